"""What the order processor does with each kind of event: plain functions from a validated envelope to a
result. No I/O here; the handler logs and counts."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

from event_processors.envelope import (
    EventEnvelope,
    as_decimal,
    detail_amount,
    detail_optional_text,
    detail_text,
)

ORDERS: Final = "ecommerce.orders"
USERS: Final = "ecommerce.users"
PAYMENTS: Final = "ecommerce.payments"
INVENTORY: Final = "ecommerce.inventory"
KNOWN_SOURCES: Final = frozenset({ORDERS, USERS, PAYMENTS, INVENTORY})

Result = dict[str, Any]


def priority_for(total_amount: int | float, threshold: Decimal) -> str:
    """``high`` strictly above the threshold (1000 is normal, 1000.01 is high), else ``normal``."""
    return "high" if as_decimal(total_amount) > threshold else "normal"


def order_created(envelope: EventEnvelope, threshold: Decimal) -> Result:
    total = detail_amount(envelope, "totalAmount")
    return {
        "action": "order_processed",
        "eventId": envelope.id,
        "orderId": detail_text(envelope, "orderId"),
        "customerId": detail_text(envelope, "customerId"),
        "totalAmount": total,
        "currency": detail_optional_text(envelope, "currency"),
        "priority": priority_for(total, threshold),
    }


def order_updated(envelope: EventEnvelope) -> Result:
    return {
        "action": "order_updated",
        "eventId": envelope.id,
        "orderId": detail_text(envelope, "orderId"),
        "status": detail_optional_text(envelope, "status"),
    }


def order_cancelled(envelope: EventEnvelope) -> Result:
    return {
        "action": "order_cancelled",
        "eventId": envelope.id,
        "orderId": detail_text(envelope, "orderId"),
        "reason": detail_optional_text(envelope, "reason"),
    }


def user_registered(envelope: EventEnvelope) -> Result:
    # The address itself never leaves this function: only whether there is one to welcome.
    email = detail_optional_text(envelope, "email")
    return {
        "action": "user_registered",
        "eventId": envelope.id,
        "userId": detail_text(envelope, "userId"),
        "sendWelcomeEmail": bool(email and "@" in email),
    }


def payment_processed(envelope: EventEnvelope) -> Result:
    return {
        "action": "payment_processed",
        "eventId": envelope.id,
        "paymentId": detail_text(envelope, "paymentId"),
        "orderId": detail_optional_text(envelope, "orderId"),
        "amount": detail_amount(envelope, "amount"),
        "currency": detail_optional_text(envelope, "currency"),
    }


def generic(envelope: EventEnvelope) -> Result:
    return {
        "action": "event_recorded",
        "eventId": envelope.id,
        "source": envelope.source,
        "eventType": envelope.detail_type,
    }


_HANDLERS: Final[dict[tuple[str, str], Callable[[EventEnvelope], Result]]] = {
    (ORDERS, "Order Updated"): order_updated,
    (ORDERS, "Order Cancelled"): order_cancelled,
    (USERS, "User Registered"): user_registered,
    (PAYMENTS, "Payment Processed"): payment_processed,
}


def process_event(envelope: EventEnvelope, *, high_value_threshold: Decimal) -> Result:
    """Dispatch on (source, detail-type); anything unrecognised gets the generic result."""
    if (envelope.source, envelope.detail_type) == (ORDERS, "Order Created"):
        return order_created(envelope, high_value_threshold)
    handler = _HANDLERS.get((envelope.source, envelope.detail_type), generic)
    return handler(envelope)
