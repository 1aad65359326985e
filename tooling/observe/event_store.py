"""The event store read side: `tooling events query` and the monitor's item count, on either target.

The store's items (written by the batch processor, lambda_src/event_processors/event_store.py): partition
key `pk` = `<source>#<detail-type>`, sort key `sk` = `<time>#<business key>` (EventBridge's time text, so
the sort key sorts in time order; items written before the business key have `<time>#<event id>`, read
the same way), `source`, `detail_type`, `time`, `id`, `event` (the whole event as JSON text), `expiration`
(TTL, epoch seconds) and, on newer items, `business_key`, `region` (where the global endpoint delivered
the event) and `processed_in` (the consumer's region). A query names a source, and optionally a detail-type: with one it is a
Query on the table's key; without, on the `source-time` index (partition `source`, sort `sk`). Both read
newest first and skip items past their expiration, which DynamoDB may still hold for days.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from tooling.errors import UsageError

# The table's index by source (terraform/modules/event_store).
SOURCE_INDEX = "source-time"
MAX_LIMIT = 1000


@dataclass(frozen=True)
class EventQuery:
    source: str
    detail_type: str | None
    since: timedelta | None
    limit: int

    def since_text(self, now: datetime) -> str | None:
        """The lowest sort key the window admits (EventBridge's time format sorts as text)."""
        if self.since is None:
            return None
        return (now - self.since).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_query(source: str, detail_type: str | None, since: timedelta | None, limit: int) -> EventQuery:
    if not source.strip():
        raise UsageError(
            "--source must not be empty", hint="name an event source, e.g. --source ecommerce.orders"
        )
    if detail_type is not None and not detail_type.strip():
        raise UsageError(
            "--type must not be empty", hint="leave it out to query every detail-type of the source"
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"--limit must be from 1 to {MAX_LIMIT}, not {limit}", hint="e.g. --limit 20")
    return EventQuery(source=source, detail_type=detail_type, since=since, limit=limit)


@dataclass(frozen=True)
class StoredEvent:
    id: str
    source: str
    detail_type: str
    time: str
    event: dict[str, Any]
    # None on items written before the business key (nothing to show, not a guess).
    key: str | None = None
    region: str | None = None
    processed_in: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "detailType": self.detail_type,
            "time": self.time,
            "key": self.key,
            "region": self.region,
            "processedIn": self.processed_in,
            "event": self.event,
        }

    def regions_text(self) -> str:
        """`us-east-1->us-west-2` (delivered to -> processed in), or '' when the item predates them."""
        if self.region is None and self.processed_in is None:
            return ""
        return f"{self.region or '?'}->{self.processed_in or '?'}"


def _text_or_none(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return str(value) if value is not None and value != "" else None


def stored_event(item: dict[str, Any]) -> StoredEvent:
    """An item (plain values) as read from either store."""
    try:
        event = json.loads(str(item.get("event") or "{}"))
    except ValueError:
        event = {}
    return StoredEvent(
        id=str(item.get("id", "")),
        source=str(item.get("source", "")),
        detail_type=str(item.get("detail_type", "")),
        time=str(item.get("time", "")),
        event=event if isinstance(event, dict) else {},
        key=_text_or_none(item, "business_key"),
        region=_text_or_none(item, "region"),
        processed_in=_text_or_none(item, "processed_in"),
    )


class EventStoreSource(Protocol):
    def query(self, query: EventQuery, now: datetime) -> list[StoredEvent]:
        """Newest first, at most query.limit, none past its expiration."""
        ...

    def item_count(self) -> int | None:
        """How many items the store holds (None when it cannot tell)."""
        ...


class EventStoreDisabled(UsageError):
    """The deployment has no event store ([event_store] is disabled)."""


def require_table(table_name: str, environment: str) -> str:
    if not table_name:
        raise EventStoreDisabled(
            f"environment {environment!r} has no event store ([event_store] is disabled, or the deployment "
            "predates it)",
            hint="enable [event_store] and [batch_processor] in the environment file, then apply again",
        )
    return table_name


def query_events(
    source: EventStoreSource, query: EventQuery, now: datetime | None = None
) -> list[StoredEvent]:
    return source.query(query, now or datetime.now(UTC))
