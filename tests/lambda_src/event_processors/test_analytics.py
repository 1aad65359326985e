from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from event_processors import analytics
from event_processors.envelope import parse_envelope
from event_processors.errors import InvalidEventError

Loader = Callable[[str], dict[str, Any]]


def emf_documents(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith('{"_aws"')]


def metric_points(stdout: str) -> list[tuple[str, tuple[str, ...], dict[str, Any]]]:
    """(metric name, dimension names, document) for each metric in the EMF output."""
    points = []
    for document in emf_documents(stdout):
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimensions in directive["Dimensions"]:
                for metric in directive["Metrics"]:
                    points.append((metric["Name"], tuple(dimensions), document))
    return points


@pytest.mark.parametrize(
    ("name", "source", "detail_type"),
    [
        ("order_created", "ecommerce.orders", "Order Created"),
        ("user_registered", "ecommerce.users", "User Registered"),
        ("payment_processed", "ecommerce.payments", "Payment Processed"),
        ("stock_updated", "ecommerce.inventory", "Stock Updated"),
    ],
)
def test_each_event_is_counted_per_source_and_per_detail_type_in_emf(
    load_event: Loader,
    lambda_context: Any,
    capsys: pytest.CaptureFixture[str],
    name: str,
    source: str,
    detail_type: str,
) -> None:
    analytics.handler(load_event(name), lambda_context)

    points = metric_points(capsys.readouterr().out)
    received = [(dims, doc) for metric, dims, doc in points if metric == "EventsReceived"]
    by_type = [doc for dims, doc in received if dims == ("source", "detailType", "service")]
    by_source = [doc for dims, doc in received if dims == ("source", "service")]
    assert [(doc["source"], doc["detailType"], doc["EventsReceived"]) for doc in by_type] == [
        (source, detail_type, [1.0])
    ]
    assert [(doc["source"], doc["EventsReceived"]) for doc in by_source] == [(source, [1.0])]
    assert all(
        doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "EcommerceEvents" for doc in by_type + by_source
    )


def test_the_total_is_counted_once_per_invocation(
    load_event: Loader, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    analytics.handler(load_event("order_created"), lambda_context)

    totals = [doc for metric, _, doc in metric_points(capsys.readouterr().out) if metric == "EventsAnalysed"]
    assert [doc["EventsAnalysed"] for doc in totals] == [[1.0]]


def test_the_event_age_is_measured_from_the_event_time(load_event: Loader) -> None:
    envelope = parse_envelope(load_event("order_created"))  # time 19:30:00Z

    assert analytics.event_age_ms(envelope, datetime(2026, 11, 26, 19, 30, 2, 500_000, tzinfo=UTC)) == 2500.0


def test_one_structured_log_line_per_event_without_detail_values(
    load_event: Loader, lambda_context: Any, logs: Any
) -> None:
    event = load_event("user_registered")

    analytics.handler(event, lambda_context)

    [record] = logs.with_message("Event observed")
    assert record["correlation_id"] == event["id"]
    assert (record["source"], record["detail_type"]) == ("ecommerce.users", "User Registered")
    assert "email" in record["detail_fields"]
    assert "@" not in logs.text and "Alice" not in logs.text


def test_a_malformed_event_is_raised_for_the_retry_and_failure_destination(
    load_event: Loader, lambda_context: Any, logs: Any
) -> None:
    event = load_event("order_created")
    del event["source"]

    with pytest.raises(InvalidEventError, match="'source' is missing"):
        analytics.handler(event, lambda_context)
    assert logs.with_message("Rejected invalid event")[0]["correlation_id"] == event["id"]


def test_an_oversized_detail_type_is_bounded_as_a_dimension(
    load_event: Loader, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    event = load_event("stock_updated")
    event["detail-type"] = "x" * 2000

    analytics.handler(event, lambda_context)

    documents = emf_documents(capsys.readouterr().out)
    assert max(len(doc.get("detailType", "")) for doc in documents) == analytics.MAX_DIMENSION_CHARS
