"""Canaries: the events `tooling smoke` publishes after a deploy, one per route, to prove each route works.

Every handler still processes a canary the way it processes business traffic (validation, the processor's
result, the notifier's idempotency claim, the batch processor's write to the event store), because that is
what proves the route; what a canary never does is reach the outside world or the business figures:

- notifier: no webhook POST (the URL is not even read) and no "High-value order alert" log line, which is
  what a team pages on when no webhook is set; the claim is still written, so the route's idempotency works;
- processor: every side-effect intent in its result is off (``sendWelcomeEmail``: a welcome mail must never go
  to a canary user), the result says ``canary: true`` for whoever consumes it, and the business metrics
  (OrdersProcessed, HighValueOrders, ...) are not counted;
- analytics: the per-source business metrics (EventsReceived, EventAgeMilliseconds) are not emitted;
- batch processor: the event is stored (the proof that the queue was consumed) but expires after
  ``CANARY_TTL_DAYS`` instead of the store's retention, so canaries do not pile up in the event store.

Each handler logs one ``LOG_MESSAGE`` line carrying ``canary_id`` per canary it handled: the line `tooling smoke`
looks for in the function's log group.

How a canary is recognised (both marks, since an input transformer may keep only some fields): ``detail.canary``
is ``true``, or the producer's id (``idempotencyKey``) or the business id the event is about starts with
``CANARY_PREFIX``. `tooling smoke` sets all of them to the canary id ``canary-<run>-<n>``; the high-value-orders
transformer's text keeps only the order and customer ids, which is how the notifier still sees a canary. The
prefix is reserved: no business id may start with it. A producer that can publish on the bus could mark its own
events as canaries; it could as well not publish them, so the marks are not a privilege.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from event_processors.business_key import BUSINESS_ID_KEYS, IDEMPOTENCY_KEY

CANARY_PREFIX: Final = "canary-"
CANARY_FIELD: Final = "canary"
# How long the event store keeps a canary's item (its TTL attribute), whatever the store's ttl_days says.
CANARY_TTL_DAYS: Final = 1
# The one log line per canary handled; tooling/smoke/probes.py matches it (the two must stay equal).
LOG_MESSAGE: Final = "Canary handled"
# Intents in the processor's result that ask a downstream system for a side effect.
SIDE_EFFECT_FLAGS: Final = ("sendWelcomeEmail",)


def _marked_id(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(CANARY_PREFIX) else None


def canary_id(detail: Mapping[str, Any]) -> str | None:
    """The canary id of an event (or alert) with these fields; None for business traffic."""
    for name in (IDEMPOTENCY_KEY, *BUSINESS_ID_KEYS):
        found = _marked_id(detail.get(name))
        if found is not None:
            return found
    if detail.get(CANARY_FIELD) is True:
        key = detail.get(IDEMPOTENCY_KEY)
        return key if isinstance(key, str) and key.strip() else CANARY_FIELD
    return None


def without_side_effects(result: Mapping[str, Any]) -> dict[str, Any]:
    """The processor's result for a canary: marked, with every side-effect intent off."""
    out = {**result, CANARY_FIELD: True}
    for flag in SIDE_EFFECT_FLAGS:
        if flag in out:
            out[flag] = False
    return out
