from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from event_processors.envelope import parse_envelope
from event_processors.errors import InvalidEventError
from event_processors.event_actions import priority_for, process_event

Loader = Callable[[str], dict[str, Any]]
THRESHOLD = Decimal(1000)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (0, "normal"),
        (999.99, "normal"),
        (1000, "normal"),
        (1000.0, "normal"),
        (1000.01, "high"),
        (1500.0, "high"),
    ],
)
def test_priority_is_high_only_strictly_above_the_threshold(amount: float, expected: str) -> None:
    assert priority_for(amount, THRESHOLD) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "order_created",
            {
                "action": "order_processed",
                "eventId": "6f1c9c2e-4b1a-4c5e-9a3f-2d7e1b0c8a11",
                "orderId": "ord-7f3a9c",
                "customerId": "cust-4821",
                "totalAmount": 1500.0,
                "currency": "USD",
                "priority": "high",
            },
            id="order-created",
        ),
        pytest.param(
            "order_updated",
            {"action": "order_updated", "orderId": "ord-7f3a9c", "status": "shipped"},
            id="order-updated",
        ),
        pytest.param(
            "order_cancelled",
            {"action": "order_cancelled", "orderId": "ord-7f3a9c", "reason": "customer_request"},
            id="order-cancelled",
        ),
        pytest.param(
            "user_registered",
            {"action": "user_registered", "userId": "user-5b2e1f", "sendWelcomeEmail": True},
            id="user-registered",
        ),
        pytest.param(
            "payment_processed",
            {"action": "payment_processed", "paymentId": "pay-91c4d2", "amount": 1500.0, "currency": "USD"},
            id="payment-processed",
        ),
        pytest.param(
            "stock_updated",
            {"action": "event_recorded", "source": "ecommerce.inventory", "eventType": "Stock Updated"},
            id="inventory-generic",
        ),
        pytest.param(
            "unknown_source",
            {"action": "event_recorded", "source": "partner.logistics", "eventType": "Shipment Dispatched"},
            id="unknown-source-generic",
        ),
    ],
)
def test_each_event_kind_gets_its_result(load_event: Loader, name: str, expected: dict[str, Any]) -> None:
    envelope = parse_envelope(load_event(name))

    result = process_event(envelope, high_value_threshold=THRESHOLD)

    assert result | expected == result  # every expected key present with the expected value


def test_an_unhandled_order_detail_type_gets_the_generic_result(load_event: Loader) -> None:
    event = load_event("order_created")
    event["detail-type"] = "Order Shipped"

    result = process_event(parse_envelope(event), high_value_threshold=THRESHOLD)

    assert result["action"] == "event_recorded"
    assert result["eventType"] == "Order Shipped"


def test_the_user_result_never_carries_the_email(load_event: Loader) -> None:
    result = process_event(parse_envelope(load_event("user_registered")), high_value_threshold=THRESHOLD)

    assert "@" not in repr(result)


def test_a_user_without_email_gets_no_welcome_email(load_event: Loader) -> None:
    event = load_event("user_registered")
    del event["detail"]["email"]

    result = process_event(parse_envelope(event), high_value_threshold=THRESHOLD)

    assert result["sendWelcomeEmail"] is False


@pytest.mark.parametrize(
    ("name", "field", "value", "reason"),
    [
        ("order_created", "orderId", None, "'detail.orderId' is missing"),
        ("order_created", "customerId", 17, "'detail.customerId' must be a non-empty string, got int"),
        ("order_created", "totalAmount", None, "'detail.totalAmount' is missing"),
        ("order_created", "totalAmount", "1500", "'detail.totalAmount' must be a number, got str"),
        ("order_created", "totalAmount", True, "'detail.totalAmount' must be a number, got bool"),
        ("order_created", "totalAmount", -5, "'detail.totalAmount' must not be negative"),
        ("order_created", "currency", 840, "'detail.currency' must be a string, got int"),
        ("order_cancelled", "orderId", "", "'detail.orderId' must be a non-empty string"),
        ("user_registered", "userId", None, "'detail.userId' is missing"),
        ("payment_processed", "amount", [1], "'detail.amount' must be a number, got list"),
    ],
)
def test_a_missing_or_mistyped_field_raises_naming_it(
    load_event: Loader, name: str, field: str, value: object, reason: str
) -> None:
    event = load_event(name)
    if value is None:
        event["detail"].pop(field)
    else:
        event["detail"][field] = value

    with pytest.raises(InvalidEventError) as raised:
        process_event(parse_envelope(event), high_value_threshold=THRESHOLD)

    assert reason in raised.value.reason
    assert raised.value.event_id == event["id"]
