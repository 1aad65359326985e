"""The business key of an event: what every consumer deduplicates on, instead of the event id.

With an EventBridge global endpoint and replication enabled, each event is delivered to the buses of both
regions and processed by both regions' consumers, and the two copies may carry different event ids (AWS
does not promise to keep the id across regions). An effect keyed on the event id would then happen twice;
keyed on what the event is about, the second copy finds the first one's effect (the same item key in the
event store's global table, the same record in the idempotency table).

The key, first that applies:
1. ``detail.idempotencyKey``: the producer's own id for this event (tooling/publish/events.py sets it on
   every event it publishes, and a retried entry keeps it);
2. ``<detail-type>#<business id>`` (+ ``#v<version>`` when the detail carries a ``version``): the id the
   event is about (orderId for an order, paymentId for a payment, ...). It assumes one event per type, id
   and version: a producer that emits two different "Order Updated" for one order without a version or an
   idempotencyKey has them stored as one;
3. the event id. It cannot deduplicate across regions (each region's copy may have its own id), but it
   still makes a redelivery within one region idempotent, as before; only events that carry neither of the
   above fall here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from event_processors.envelope import EventEnvelope, is_json_number

IDEMPOTENCY_KEY: Final = "idempotencyKey"
VERSION_KEY: Final = "version"
# The same lists as tooling/publish/schemas.py (BUSINESS_ID_KEYS, _BUSINESS_ID_BY_SOURCE; the Lambda package
# cannot import the tooling, tests/robustness/test_business_key_function.py holds them equal).
BUSINESS_ID_KEYS: Final = ("orderId", "userId", "paymentId", "productId")
# The id an event of each source is about: a payment carries its order's id too, but it is the payment's,
# so two payments of one order keep two keys.
BUSINESS_ID_BY_SOURCE: Final = {
    "ecommerce.orders": "orderId",
    "ecommerce.users": "userId",
    "ecommerce.payments": "paymentId",
    "ecommerce.inventory": "productId",
}


def _id_text(value: Any) -> str | None:
    """An id as text: a non-empty string, or a JSON integer (a numeric id); anything else is no id."""
    if isinstance(value, str):
        return value if value.strip() else None
    if is_json_number(value) and isinstance(value, int):
        return str(value)
    return None


def business_id(source: str, detail: Mapping[str, Any]) -> str | None:
    """The id the event is about: the source's own id key first, then the others in BUSINESS_ID_KEYS order."""
    own = BUSINESS_ID_BY_SOURCE.get(source)
    for key in (own, *BUSINESS_ID_KEYS) if own else BUSINESS_ID_KEYS:
        found = _id_text(detail.get(key))
        if found is not None:
            return found
    return None


def business_key(envelope: EventEnvelope) -> str:
    """The key every consumer deduplicates this event on (see the module docstring for the order)."""
    detail = envelope.detail
    producer_key = _id_text(detail.get(IDEMPOTENCY_KEY))
    if producer_key is not None:
        return producer_key
    about = business_id(envelope.source, detail)
    if about is not None:
        key = f"{envelope.detail_type}#{about}"
        version = _id_text(detail.get(VERSION_KEY))
        return key if version is None else f"{key}#v{version}"
    # Last resort, region-local only: see 3. in the module docstring.
    return envelope.id
