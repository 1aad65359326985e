from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]  # boto3 ships no type information
import pytest
from moto import mock_aws

from event_processors import notifier
from event_processors.errors import (
    ConfigurationError,
    InvalidNotificationError,
    WebhookDeliveryError,
    WebhookSecretError,
)

Loader = Callable[[str], dict[str, Any]]


@pytest.fixture
def sqlite_idempotency(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / ".tooling" / "dev" / "idempotency.sqlite3"
    monkeypatch.setenv("IDEMPOTENCY_SQLITE_PATH", str(path))
    return path


PARAMETER = "/ecommerce/dev/webhook-url"


def _local_parameter(monkeypatch: pytest.MonkeyPatch, folder: Path, value: str) -> Path:
    """The webhook parameter as the local target provides it: its name, and the owner-only store file."""
    store = folder / "parameters.json"
    store.write_text(json.dumps({PARAMETER: value}))
    monkeypatch.setenv("WEBHOOK_PARAMETER", PARAMETER)
    monkeypatch.setenv("LOCAL_PARAMETERS_FILE", str(store))
    return store


@pytest.fixture
def webhook_url(
    monkeypatch: pytest.MonkeyPatch, webhook_server: Any, sqlite_idempotency: Path, tmp_path: Path
) -> Any:
    _local_parameter(monkeypatch, tmp_path, webhook_server.url)
    return webhook_server


def test_a_high_value_notification_is_delivered_to_the_webhook_once(
    load_event: Loader, lambda_context: Any, webhook_url: Any
) -> None:
    result = notifier.handler(load_event("sns_high_value_order"), lambda_context)

    [request] = webhook_url.requests
    assert request["json"] == {
        "type": "high_value_order",
        "orderId": "ord-7f3a9c",
        "customerId": "cust-4821",
        "amount": 1500.0,
        "currency": "USD",
        "priority": "high",
        "eventId": None,
        "idempotencyKey": "order#ord-7f3a9c",
    }
    assert request["headers"]["idempotency-key"] == "order#ord-7f3a9c"
    [delivered] = result["delivered"]
    assert (delivered["deliveredVia"], delivered["webhookStatus"]) == ("webhook", 204)
    assert result["duplicates"] == []


def test_the_same_notification_delivered_twice_alerts_once(
    load_event: Loader, lambda_context: Any, webhook_url: Any, logs: Any
) -> None:
    notifier.handler(load_event("sns_high_value_order"), lambda_context)

    second = notifier.handler(load_event("sns_high_value_order"), lambda_context)

    assert len(webhook_url.requests) == 1
    assert second == {"delivered": [], "duplicates": ["order#ord-7f3a9c"]}
    assert logs.with_message("Duplicate notification: alert already delivered")


def test_the_same_order_in_another_message_shape_alerts_once(
    load_event: Loader, lambda_context: Any, webhook_url: Any
) -> None:
    notifier.handler(load_event("sns_high_value_order"), lambda_context)  # transformed text

    second = notifier.handler(load_event("sns_high_value_order_envelope"), lambda_context)  # full event

    assert len(webhook_url.requests) == 1
    assert second["duplicates"] == ["order#ord-7f3a9c"]


def test_the_alert_survives_a_cold_start_between_duplicates(
    load_event: Loader, lambda_context: Any, webhook_url: Any
) -> None:
    notifier.handler(load_event("sns_high_value_order"), lambda_context)
    notifier.idempotency_store.cache_clear()  # a new container: the record lives in the store, not in memory

    notifier.handler(load_event("sns_high_value_order"), lambda_context)

    assert len(webhook_url.requests) == 1


def test_a_failing_webhook_is_retried_then_raises(
    load_event: Loader, lambda_context: Any, webhook_url: Any, logs: Any
) -> None:
    webhook_url.statuses = [503, 503, 503]

    with pytest.raises(WebhookDeliveryError, match="after 3 attempts"):
        notifier.handler(load_event("sns_high_value_order"), lambda_context)

    assert len(webhook_url.requests) == 3
    assert logs.with_message("Webhook delivery failed")[0]["level"] == "ERROR"


def test_after_a_failed_delivery_the_lambda_retry_delivers(
    load_event: Loader, lambda_context: Any, webhook_url: Any
) -> None:
    webhook_url.statuses = [500, 500, 500]
    with pytest.raises(WebhookDeliveryError):
        notifier.handler(load_event("sns_high_value_order"), lambda_context)

    retry = notifier.handler(load_event("sns_high_value_order"), lambda_context)

    assert len(webhook_url.requests) == 4
    assert [item["orderId"] for item in retry["delivered"]] == ["ord-7f3a9c"]


def test_without_a_webhook_the_alert_is_a_structured_log_line(
    load_event: Loader, lambda_context: Any, sqlite_idempotency: Path, logs: Any
) -> None:
    result = notifier.handler(load_event("sns_high_value_order"), lambda_context)

    [line] = logs.with_message("High-value order alert")
    assert line["alert"]["orderId"] == "ord-7f3a9c"
    assert line["alert"]["amount"] == 1500.0
    assert line["correlation_id"] == "95df01b4-ee98-5cb9-9903-4c221d41eb5e"  # the SNS MessageId
    assert result["delivered"][0]["deliveredVia"] == "log"


def test_a_full_event_message_correlates_with_the_event_id_and_masks_the_email(
    load_event: Loader, lambda_context: Any, sqlite_idempotency: Path, logs: Any
) -> None:
    event = load_event("sns_high_value_order_envelope")
    assert "jane.doe@example.com" in event["Records"][0]["Sns"]["Message"]

    notifier.handler(event, lambda_context)

    [line] = logs.with_message("High-value order alert")
    assert line["correlation_id"] == "6f1c9c2e-4b1a-4c5e-9a3f-2d7e1b0c8a11"
    assert "@" not in logs.text


def test_an_unparseable_message_is_logged_and_raised(
    load_event: Loader, lambda_context: Any, sqlite_idempotency: Path, logs: Any
) -> None:
    event = load_event("sns_high_value_order")
    event["Records"][0]["Sns"]["Message"] = "Contact jane.doe@example.com about order"

    with pytest.raises(InvalidNotificationError):
        notifier.handler(event, lambda_context)

    [line] = logs.with_message("Rejected invalid notification")
    assert line["correlation_id"] == "95df01b4-ee98-5cb9-9903-4c221d41eb5e"
    assert "@" not in logs.text


@pytest.mark.parametrize(
    "variables", [{}, {"IDEMPOTENCY_TABLE": "t", "IDEMPOTENCY_SQLITE_PATH": "/tmp/x.db"}]
)
def test_exactly_one_idempotency_store_must_be_configured(
    load_event: Loader, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError, match="exactly one of IDEMPOTENCY_TABLE"):
        notifier.handler(load_event("sns_high_value_order"), lambda_context)


@pytest.mark.parametrize(
    "value", ["http://hooks.example.com/T0/secret", "ftp://hooks.example.com/x", "hooks"]
)
def test_a_webhook_parameter_that_is_not_an_https_url_is_a_configuration_error_without_its_value(
    load_event: Loader,
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_idempotency: Path,
    tmp_path: Path,
    logs: Any,
    value: str,
) -> None:
    _local_parameter(monkeypatch, tmp_path, value)

    with pytest.raises(ConfigurationError, match=f"{PARAMETER} must hold an absolute https URL") as raised:
        notifier.handler(load_event("sns_high_value_order"), lambda_context)
    assert value not in str(raised.value) and value not in logs.text


def test_a_missing_webhook_parameter_raises_so_lambda_retries(
    load_event: Loader,
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_idempotency: Path,
    tmp_path: Path,
    logs: Any,
) -> None:
    store = _local_parameter(monkeypatch, tmp_path, "https://hooks.example.com/x")
    store.write_text("{}")

    with pytest.raises(WebhookSecretError, match=f"{PARAMETER} could not be read"):
        notifier.handler(load_event("sns_high_value_order"), lambda_context)
    assert logs.with_message("Webhook URL unavailable")[0]["level"] == "ERROR"


def _second_order(load_event: Loader) -> dict[str, Any]:
    event = load_event("sns_high_value_order")
    record = event["Records"][0]["Sns"]
    record["Message"] = record["Message"].replace("ord-7f3a9c", "ord-2")
    record["MessageId"] = "1c9b7a55-0000-4000-8000-000000000002"
    return event


@pytest.mark.parametrize(("max_age", "paths"), [(300, ["/a", "/a"]), (0, ["/a", "/b"])])
def test_the_url_is_cached_for_its_max_age_then_a_rotated_one_is_used(
    load_event: Loader,
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
    webhook_server: Any,
    sqlite_idempotency: Path,
    tmp_path: Path,
    max_age: int,
    paths: list[str],
) -> None:
    from event_processors import webhook_secret

    monkeypatch.setattr(webhook_secret, "MAX_AGE_SECONDS", max_age)
    base = webhook_server.url.removesuffix("/hooks/alerts")
    store = _local_parameter(monkeypatch, tmp_path, base + "/a")
    notifier.handler(load_event("sns_high_value_order"), lambda_context)
    store.write_text(json.dumps({PARAMETER: base + "/b"}))  # rotated in the parameter store

    notifier.handler(_second_order(load_event), lambda_context)

    assert [r["path"] for r in webhook_server.requests] == paths


def test_in_aws_duplicates_are_suppressed_through_dynamodb(
    load_event: Loader, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, webhook_server: Any
) -> None:
    monkeypatch.setenv("IDEMPOTENCY_TABLE", "ecommerce-dev-idempotency")
    monkeypatch.setenv("WEBHOOK_PARAMETER", PARAMETER)
    with mock_aws():
        boto3.client("ssm", region_name="us-east-1").put_parameter(
            Name=PARAMETER, Value=webhook_server.url, Type="SecureString"
        )
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName="ecommerce-dev-idempotency",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

        notifier.handler(load_event("sns_high_value_order"), lambda_context)
        second = notifier.handler(load_event("sns_high_value_order_envelope"), lambda_context)

    assert len(webhook_server.requests) == 1
    assert second["duplicates"] == ["order#ord-7f3a9c"]
