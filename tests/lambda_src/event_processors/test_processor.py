from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from event_processors import processor
from event_processors.errors import ConfigurationError, InvalidEventError

Loader = Callable[[str], dict[str, Any]]


def emf_metric_names(stdout: str) -> set[str]:
    """Metric names in the Embedded Metric Format documents Powertools printed."""
    names: set[str] = set()
    for line in stdout.splitlines():
        document = json.loads(line) if line.startswith("{") else {}
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            names.update(metric["Name"] for metric in directive["Metrics"])
    return names


@pytest.mark.parametrize(
    ("threshold", "amount", "priority"),
    [(None, 1000, "normal"), (None, 1000.01, "high"), ("2500", 1500.0, "normal"), ("2500", 2500.5, "high")],
)
def test_order_priority_follows_the_configured_threshold(
    load_event: Loader,
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
    threshold: str | None,
    amount: float,
    priority: str,
) -> None:
    if threshold is not None:
        monkeypatch.setenv("HIGH_VALUE_THRESHOLD", threshold)
    event = load_event("order_created")
    event["detail"]["totalAmount"] = amount

    result = processor.handler(event, lambda_context)

    assert result["priority"] == priority
    assert result["totalAmount"] == amount


def test_a_high_value_order_is_counted_as_a_business_metric(
    load_event: Loader, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    processor.handler(load_event("order_created"), lambda_context)

    names = emf_metric_names(capsys.readouterr().out)
    assert {"OrdersProcessed", "HighValueOrders"} <= names


def test_an_unknown_source_is_logged_counted_and_not_crashed_on(
    load_event: Loader, lambda_context: Any, logs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    result = processor.handler(load_event("unknown_source"), lambda_context)

    assert result == {
        "action": "event_recorded",
        "eventId": "f0e1d2c3-b4a5-4968-8776-655443322177",
        "source": "partner.logistics",
        "eventType": "Shipment Dispatched",
    }
    assert logs.with_message("Event from an unknown source recorded generically")
    assert "UnknownSourceEvents" in emf_metric_names(capsys.readouterr().out)


def test_a_malformed_event_is_logged_with_its_id_and_raised(
    load_event: Loader, lambda_context: Any, logs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    event = load_event("order_created")
    event["detail"] = "{not json"

    with pytest.raises(InvalidEventError, match="not JSON"):
        processor.handler(event, lambda_context)

    [record] = logs.with_message("Rejected invalid event")
    assert record["level"] == "ERROR"
    assert record["correlation_id"] == event["id"]
    assert record["reason"] == "'detail' is a string that is not JSON"
    assert "InvalidEvents" in emf_metric_names(capsys.readouterr().out)


def test_a_failure_is_raised_never_returned_as_an_error_body(load_event: Loader, lambda_context: Any) -> None:
    event = load_event("order_created")
    event["detail"]["totalAmount"] = "lots"

    with pytest.raises(InvalidEventError):
        processor.handler(event, lambda_context)


def test_every_log_line_carries_the_event_id_as_correlation_id(
    load_event: Loader, lambda_context: Any, logs: Any
) -> None:
    event = load_event("order_created")

    processor.handler(event, lambda_context)

    assert logs.records
    assert {record["correlation_id"] for record in logs.records} == {event["id"]}
    [record] = logs.with_message("Event processed")
    assert record["function_request_id"] == lambda_context.aws_request_id


@pytest.mark.parametrize("name", ["order_created", "user_registered", "unknown_source", "order_updated"])
def test_no_email_address_or_name_appears_in_the_logs(
    load_event: Loader, lambda_context: Any, logs: Any, name: str
) -> None:
    processor.handler(load_event(name), lambda_context)

    assert logs.records
    assert "@" not in logs.text
    assert "Jane" not in logs.text and "Alice" not in logs.text


def test_a_bad_threshold_setting_is_a_clear_configuration_error(
    load_event: Loader,
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
    logs: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HIGH_VALUE_THRESHOLD", "a thousand")

    with pytest.raises(ConfigurationError, match="HIGH_VALUE_THRESHOLD must be a number"):
        processor.handler(load_event("order_created"), lambda_context)

    assert logs.with_message("Configuration error")[0]["level"] == "ERROR"
    assert "ConfigurationErrors" in emf_metric_names(capsys.readouterr().out)


def test_an_unexpected_error_is_logged_with_the_correlation_id_and_raised(
    load_event: Loader, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, logs: Any
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise KeyError("boom")

    monkeypatch.setattr(processor, "process_event", broken)
    event = load_event("order_created")

    with pytest.raises(KeyError):
        processor.handler(event, lambda_context)

    [line] = logs.with_message("Unexpected error")
    assert line["correlation_id"] == event["id"]
    assert "KeyError" in line["exception"]


@pytest.mark.parametrize(
    ("name", "action", "metric"),
    [
        ("order_created", "order_processed", "OrdersProcessed"),
        ("order_updated", "order_updated", "OrdersUpdated"),
        ("order_cancelled", "order_cancelled", "OrdersCancelled"),
        ("user_registered", "user_registered", "UsersRegistered"),
        ("payment_processed", "payment_processed", "PaymentsProcessed"),
        ("stock_updated", "event_recorded", "OtherEventsRecorded"),
        ("unknown_source", "event_recorded", "OtherEventsRecorded"),
    ],
)
def test_the_handler_returns_and_counts_each_business_outcome(
    load_event: Loader,
    lambda_context: Any,
    capsys: pytest.CaptureFixture[str],
    name: str,
    action: str,
    metric: str,
) -> None:
    event = load_event(name)

    result = processor.handler(event, lambda_context)

    assert (result["action"], result["eventId"]) == (action, event["id"])
    assert metric in emf_metric_names(capsys.readouterr().out)
