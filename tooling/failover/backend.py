"""What the failover commands need of a target (`FailoverBackend`), and the event store item they count.

Two implementations: tooling/failover/aws.py (CloudWatch, Route 53, EventBridge, DynamoDB through the
tooling's boto3 clients) and tooling/local/failover_source.py (the local target's stores). The drill
publishes through a `Bus` of its own (tooling/targets.py's `bus_for` with the endpoint), not through here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tooling.observe.failover import EndpointStatus


@dataclass(frozen=True)
class StoredItem:
    """One event store item, as the drill counts it (the contract's business-key attributes)."""

    key: str  # the event's idempotencyKey
    # The event's `region`: the region whose bus received it from the endpoint (a replicated copy keeps it).
    region: str
    # The consumer's region (the item's `processed_in`); None where the consumer does not record it.
    processed_in: str | None
    sort_key: str


def stored_item(attributes: Mapping[str, Any]) -> StoredItem | None:
    """The item's key and regions: the `region` and `processed_in` attributes when the consumer writes them,
    else the stored event's own `region` field; None for an item without an idempotencyKey (events the
    drill did not publish, such as the order workflow's)."""
    try:
        event = json.loads(str(attributes.get("event") or "{}"))
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    detail = event.get("detail")
    key = detail.get("idempotencyKey") if isinstance(detail, dict) else None
    if not isinstance(key, str) or not key:
        return None
    region = attributes.get("region") or event.get("region") or ""
    processed_in = attributes.get("processed_in")
    return StoredItem(
        key=key,
        region=str(region),
        processed_in=str(processed_in) if processed_in else None,
        sort_key=str(attributes.get("sk") or ""),
    )


class FailoverBackend(Protocol):
    """The endpoint, its health alarm and the event store of one deployed environment with [failover]."""

    # How often the drill polls the endpoint and the store, and sets the alarm again while it needs it
    # (CloudWatch puts a SetAlarmState back at the alarm's next evaluation).
    poll_seconds: float
    reassert_seconds: float

    def status(self) -> EndpointStatus:
        """The endpoint now: state, health check, alarm, the receiving region, replication."""
        ...

    def set_alarm(self, state: str, reason: str) -> None:
        """SetAlarmState on the health alarm (in the primary region)."""
        ...

    def stored(self, partitions: Sequence[str], since: str) -> list[StoredItem]:
        """The event store's items of these partition keys (`<source>#<detail-type>`) whose sort key is at
        or after `since` (event time text), every copy of each."""
        ...

    def settle(self) -> None:
        """Hand over work that only time would start (the local target's batching windows); a no-op on AWS."""
        ...

    def idle(self) -> bool:
        """Nothing the drill published can still cause an effect (True where that cannot be known)."""
        ...

    def close(self) -> None: ...
