from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from event_processors.alerts import Alert, SnsNotification, parse_alert, parse_sns_event
from event_processors.errors import InvalidNotificationError

Loader = Callable[[str], dict[str, Any]]


def notification(message: str, message_id: str = "msg-1") -> SnsNotification:
    return SnsNotification(message_id=message_id, topic_arn=None, message=message)


def test_the_sns_records_are_read_from_a_lambda_sns_event(load_event: Loader) -> None:
    [record] = parse_sns_event(load_event("sns_high_value_order"))

    assert record.message_id == "95df01b4-ee98-5cb9-9903-4c221d41eb5e"
    assert record.topic_arn == "arn:aws:sns:us-east-1:123456789012:ecommerce-dev-notifications"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(
            '"High-value order ord-7f3a9c from customer cust-4821: 1500.0 USD"',
            Alert(
                message_id="msg-1",
                amount=1500.0,
                order_id="ord-7f3a9c",
                customer_id="cust-4821",
                currency="USD",
            ),
            id="shipped-template-json-quoted",
        ),
        pytest.param(
            "High-value order ord-1 from customer cust-2: 2500 EUR",
            Alert(message_id="msg-1", amount=2500, order_id="ord-1", customer_id="cust-2", currency="EUR"),
            id="shipped-template-raw-text",
        ),
        pytest.param(
            "High-value order ord-1 from customer cust-2: 1000.01 ",
            Alert(message_id="msg-1", amount=1000.01, order_id="ord-1", customer_id="cust-2", currency=None),
            id="template-without-currency",
        ),
        pytest.param(
            '{"orderId": "ord-9", "customerId": "cust-3", "amount": 1200.5, "currency": "GBP"}',
            Alert(message_id="msg-1", amount=1200.5, order_id="ord-9", customer_id="cust-3", currency="GBP"),
            id="json-template",
        ),
        pytest.param(
            '{"orderId": 12345, "totalAmount": 4000}',
            Alert(message_id="msg-1", amount=4000, order_id="12345"),
            id="json-template-numeric-id",
        ),
    ],
)
def test_every_message_shape_becomes_the_same_alert(message: str, expected: Alert) -> None:
    assert parse_alert(notification(message)) == expected


def test_a_full_envelope_message_carries_the_event_id(load_event: Loader) -> None:
    [record] = parse_sns_event(load_event("sns_high_value_order_envelope"))

    alert = parse_alert(record)

    assert (alert.order_id, alert.customer_id, alert.amount, alert.currency) == (
        "ord-7f3a9c",
        "cust-4821",
        1500.0,
        "USD",
    )
    assert alert.event_id == "6f1c9c2e-4b1a-4c5e-9a3f-2d7e1b0c8a11"


def test_the_idempotency_key_is_the_order_id() -> None:
    alert = parse_alert(notification("High-value order ord-1 from customer c-1: 2000 USD", message_id="m-1"))

    assert alert.idempotency_key == "order#ord-1"


def test_the_idempotency_key_falls_back_to_the_sns_message_id() -> None:
    alert = parse_alert(notification('{"customerId": "c-1", "amount": 2000}', message_id="m-77"))

    assert alert.idempotency_key == "sns-message#m-77"


def test_the_alert_payload_is_high_priority_and_complete() -> None:
    alert = parse_alert(notification("High-value order ord-1 from customer c-1: 2000 USD"))

    assert alert.payload() == {
        "type": "high_value_order",
        "orderId": "ord-1",
        "customerId": "c-1",
        "amount": 2000,
        "currency": "USD",
        "priority": "high",
        "eventId": None,
        "idempotencyKey": "order#ord-1",
    }


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("Your order is on its way", "neither an EventBridge event"),
        ("High-value order ord-1 from customer c-1: lots USD", "neither an EventBridge event"),
        ('{"orderId": "ord-1"}', "amount must be a number, got missing"),
        ('{"orderId": "ord-1", "amount": "2000"}', "amount must be a number, got str"),
        ('{"orderId": ["ord-1"], "amount": 2000}', "'orderId' must be a string, got list"),
        ("[1, 2]", "JSON but a list"),
        (
            json.dumps({"id": "evt-1", "source": "ecommerce.orders", "detail": {}}),
            "embedded event: 'detail-type'",
        ),
    ],
)
def test_an_unusable_message_raises_naming_the_problem(message: str, reason: str) -> None:
    with pytest.raises(InvalidNotificationError) as raised:
        parse_alert(notification(message, message_id="m-5"))

    assert reason in raised.value.reason
    assert raised.value.message_id == "m-5"


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"Records": []},
        {"Records": [{"EventSource": "aws:sns"}]},
        {"Records": [{"Sns": {"Message": "x"}}]},
    ],
)
def test_an_event_without_sns_records_is_rejected(event: dict[str, Any]) -> None:
    with pytest.raises(InvalidNotificationError):
        parse_sns_event(event)


def test_a_json_template_can_carry_the_event_id() -> None:
    alert = parse_alert(
        notification('{"orderId": "ord-1", "amount": 2000, "currency": "USD", "eventId": "evt-9"}')
    )

    assert alert.event_id == "evt-9"
