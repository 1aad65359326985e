"""`tooling smoke` canaries in the handlers: processed and stored as any event (that proves the route), but no
webhook POST, no alert line, no side-effect intent, no business metric, and a short life in the event store."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from event_processors import analytics, batch_processor, notifier, processor
from event_processors.canary import CANARY_TTL_DAYS, LOG_MESSAGE, canary_id

Loader = Callable[[str], dict[str, Any]]
CANARY = "canary-20261130t120000-ab12-1"


def emf_metric_names(stdout: str) -> set[str]:
    names: set[str] = set()
    for line in stdout.splitlines():
        document = json.loads(line) if line.startswith("{") else {}
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            names.update(metric["Name"] for metric in directive["Metrics"])
    return names


def as_canary(event: dict[str, Any], *, flag: bool = True, ids: bool = True) -> dict[str, Any]:
    """The marks `tooling smoke` puts on a canary (tooling/smoke/canary.py)."""
    detail = event["detail"]
    if flag:
        detail["canary"] = True
    if ids:
        detail["idempotencyKey"] = CANARY
        for key in ("orderId", "userId", "paymentId", "productId"):
            if key in detail:
                detail[key] = CANARY
    return event


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        ({"orderId": CANARY}, CANARY),
        ({"idempotencyKey": CANARY, "orderId": "ord-1"}, CANARY),
        ({"canary": True, "idempotencyKey": "k-1"}, "k-1"),
        ({"canary": True}, "canary"),
        ({"canary": "true", "orderId": "ord-1"}, None),  # only the JSON true marks
        ({"orderId": "ord-canary-1"}, None),  # a prefix, not a substring
        ({"orderId": "ord-1", "idempotencyKey": "4b1c"}, None),
    ],
)
def test_a_canary_is_known_by_its_flag_or_a_prefixed_id(detail: dict[str, Any], expected: str | None) -> None:
    assert canary_id(detail) == expected


@pytest.fixture
def sqlite_idempotency(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "idempotency.sqlite3"
    monkeypatch.setenv("IDEMPOTENCY_SQLITE_PATH", str(path))
    return path


def sns_with(message: str, message_id: str = "m-canary-1") -> dict[str, Any]:
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": message_id, "Message": message}}]}


def test_a_canary_alert_is_never_posted_to_the_webhook_nor_logged_as_an_alert(
    lambda_context: Any, webhook_server: Any, sqlite_idempotency: Path, tmp_path: Path, logs: Any,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    store = tmp_path / "parameters.json"
    store.write_text(json.dumps({"/ecommerce/dev/webhook-url": webhook_server.url}))
    monkeypatch.setenv("WEBHOOK_PARAMETER", "/ecommerce/dev/webhook-url")
    monkeypatch.setenv("LOCAL_PARAMETERS_FILE", str(store))
    # What the high-value-orders transformer publishes: only the ids survive, the order id carries the mark.
    text = json.dumps(f"High-value order {CANARY} from customer canary-customer: 1500.0 USD")

    result = notifier.handler(sns_with(text), lambda_context)

    assert webhook_server.requests == []
    [delivered] = result["delivered"]
    assert delivered["canary"] is True and delivered["deliveredVia"] == "none (canary)"
    assert logs.with_message("High-value order alert") == []
    [line] = logs.with_message(LOG_MESSAGE)
    assert line["canary_id"] == CANARY
    names = emf_metric_names(capsys.readouterr().out)
    assert "CanaryAlertsSkipped" in names and "AlertsDelivered" not in names


def test_a_business_alert_next_to_a_canary_is_still_posted(
    lambda_context: Any, webhook_server: Any, sqlite_idempotency: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    store = tmp_path / "parameters.json"
    store.write_text(json.dumps({"/ecommerce/dev/webhook-url": webhook_server.url}))
    monkeypatch.setenv("WEBHOOK_PARAMETER", "/ecommerce/dev/webhook-url")
    monkeypatch.setenv("LOCAL_PARAMETERS_FILE", str(store))
    canary = json.dumps(f"High-value order {CANARY} from customer canary-customer: 1500.0 USD")
    business = json.dumps("High-value order ord-77 from customer cust-1: 2000 USD")
    event = sns_with(canary)
    event["Records"] += sns_with(business, "m-business-1")["Records"]

    notifier.handler(event, lambda_context)

    assert [r["json"]["orderId"] for r in webhook_server.requests] == ["ord-77"]


def test_a_canary_carried_whole_by_sns_is_known_by_its_flag_alone(
    load_event: Loader, lambda_context: Any, sqlite_idempotency: Path, logs: Any
) -> None:
    # A rule whose pattern constrains orderId keeps the business-looking id; the flag still marks it.
    order = as_canary(load_event("order_created"), ids=False)
    order["detail"]["totalAmount"] = 1500

    result = notifier.handler(sns_with(json.dumps(order)), lambda_context)

    assert result["delivered"][0]["canary"] is True
    assert logs.with_message("High-value order alert") == []


def test_the_processor_processes_a_canary_user_without_a_welcome_email_or_business_metric(
    load_event: Loader, lambda_context: Any, logs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    event = as_canary(load_event("user_registered"))

    result = processor.handler(event, lambda_context)

    assert result["action"] == "user_registered" and result["userId"] == CANARY
    assert result["sendWelcomeEmail"] is False and result["canary"] is True
    [line] = logs.with_message(LOG_MESSAGE)
    assert line["canary_id"] == CANARY and line["side_effects"] == "skipped"
    names = emf_metric_names(capsys.readouterr().out)
    assert "CanaryEventsProcessed" in names and "UsersRegistered" not in names


def test_the_processor_still_asks_a_real_user_for_a_welcome_email(
    load_event: Loader, lambda_context: Any, logs: Any
) -> None:
    result = processor.handler(load_event("user_registered"), lambda_context)

    assert result["sendWelcomeEmail"] is True and "canary" not in result
    assert logs.with_message(LOG_MESSAGE) == []


def test_a_high_value_canary_order_is_prioritised_but_not_counted_as_a_business_order(
    load_event: Loader, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    event = as_canary(load_event("order_created"))
    event["detail"]["totalAmount"] = 2500

    result = processor.handler(event, lambda_context)

    assert (result["priority"], result["orderId"]) == ("high", CANARY)
    names = emf_metric_names(capsys.readouterr().out)
    assert not names & {"OrdersProcessed", "HighValueOrders"}


def test_analytics_logs_a_canary_and_keeps_it_out_of_the_business_metrics(
    load_event: Loader, lambda_context: Any, logs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    result = analytics.handler(as_canary(load_event("order_created")), lambda_context)

    assert result["canary"] is True
    [line] = logs.with_message(LOG_MESSAGE)
    assert line["canary_id"] == CANARY
    names = emf_metric_names(capsys.readouterr().out)
    assert "CanaryEventsObserved" in names
    assert not names & {"EventsReceived", "EventAgeMilliseconds", "EventsAnalysed"}


def test_the_batch_processor_stores_a_canary_for_one_day_only(
    load_event: Loader, lambda_context: Any, logs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    path = tmp_path / "event_store.sqlite"
    monkeypatch.setenv("EVENT_STORE_SQLITE_PATH", str(path))
    monkeypatch.setenv("EVENT_STORE_TTL_DAYS", "90")
    canary, business = as_canary(load_event("order_created")), load_event("order_updated")
    records = [
        {"messageId": f"m-{n}", "body": json.dumps(event), "eventSource": "aws:sqs"}
        for n, event in enumerate((canary, business))
    ]

    response = batch_processor.handler({"Records": records}, lambda_context)

    assert response == {"batchItemFailures": []}
    conn = sqlite3.connect(path)
    rows = dict(conn.execute("SELECT business_key, expiration FROM events").fetchall())
    conn.close()
    canary_time = datetime.fromisoformat(canary["detail"]["timestamp"]).timestamp()
    business_time = datetime.fromisoformat(business["detail"]["timestamp"]).timestamp()
    assert rows[CANARY] == int(canary_time) + CANARY_TTL_DAYS * 86400
    assert [v for k, v in rows.items() if k != CANARY] == [int(business_time) + 90 * 86400]
    [line] = logs.with_message(LOG_MESSAGE)
    assert (line["canary_id"], line["outcome"]) == (CANARY, "stored")
