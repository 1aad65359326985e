"""The event store's item: what the batch processor writes for one SQS message, as plain functions.

Key design (the table in terraform/modules/event_store): partition key ``pk`` = ``<source>#<detail-type>``
(every event of one kind together, queried by source and type), sort key ``sk`` = ``<time>#<id>`` (time
order within the kind, and the same event id always maps to the same key, so a redelivered message finds
its row already there: the conditional put makes the write idempotent). ``expiration`` is the TTL attribute.
No I/O here: the adapters (``dynamodb_event_store``, ``sqlite_event_store``) write, the handler counts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple, Protocol

from event_processors.envelope import EventEnvelope, parse_envelope
from event_processors.errors import InvalidEventError

# DynamoDB's item size limit: attribute names plus values, in UTF-8 bytes.
MAX_ITEM_BYTES = 400 * 1024
SECONDS_PER_DAY = 86400

WriteOutcome = Literal["stored", "duplicate"]


class EventStoreWriter(Protocol):
    def put_once(self, item: StoredEvent) -> WriteOutcome:
        """Write the item unless its (pk, sk) exists: ``stored``, or ``duplicate`` (not an error)."""
        ...


class UnstorableEventError(InvalidEventError):
    """The message is a valid event the store cannot hold (over DynamoDB's 400 KB item limit)."""


class StoredEvent(NamedTuple):
    pk: str
    sk: str
    event_id: str
    source: str
    detail_type: str
    time: str
    body: str
    expiration: int

    def attributes(self) -> dict[str, str | int]:
        """The item's attributes by name, as both adapters write them."""
        return {
            "pk": self.pk,
            "sk": self.sk,
            "id": self.event_id,
            "source": self.source,
            "detail_type": self.detail_type,
            "time": self.time,
            "event": self.body,
            "expiration": self.expiration,
        }


def event_time_text(moment: datetime) -> str:
    """EventBridge's own time format (UTC, seconds, ``Z``): sorts as text in time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def partition_key(source: str, detail_type: str) -> str:
    return f"{source}#{detail_type}"


def sort_key(time_text: str, event_id: str) -> str:
    return f"{time_text}#{event_id}"


def parse_message_body(body: object, message_id: str) -> EventEnvelope:
    """The EventBridge event an SQS message carries; ``InvalidEventError`` naming what is wrong."""
    if not isinstance(body, str):
        raise InvalidEventError(f"SQS message {message_id} has no body")
    try:
        event = json.loads(body)
    except ValueError:
        raise InvalidEventError(f"SQS message {message_id} body is not JSON") from None
    envelope = parse_envelope(event)
    if envelope.time is None:
        # EventBridge always sets it; without it the sort key could not be derived from the event alone.
        raise InvalidEventError("'time' is missing (the store's sort key needs it)", event_id=envelope.id)
    return envelope


def item_size(attributes: dict[str, str | int]) -> int:
    """DynamoDB's size of an item: each attribute name plus its value (strings in UTF-8 bytes, numbers
    about one byte per two digits plus one; rounded up here, so the check never under-counts)."""
    total = 0
    for name, value in attributes.items():
        total += len(name.encode("utf-8"))
        total += len(value.encode("utf-8")) if isinstance(value, str) else len(str(value)) + 1
    return total


def build_item(envelope: EventEnvelope, body: str, *, ttl_days: int) -> StoredEvent:
    """The item of one event; ``UnstorableEventError`` when it would exceed DynamoDB's item limit."""
    assert envelope.time is not None  # parse_message_body guarantees it
    time_text = event_time_text(envelope.time)
    item = StoredEvent(
        pk=partition_key(envelope.source, envelope.detail_type),
        sk=sort_key(time_text, envelope.id),
        event_id=envelope.id,
        source=envelope.source,
        detail_type=envelope.detail_type,
        time=time_text,
        body=body,
        expiration=int(envelope.time.timestamp()) + ttl_days * SECONDS_PER_DAY,
    )
    size = item_size(item.attributes())
    if size > MAX_ITEM_BYTES:
        raise UnstorableEventError(
            f"the item would be {size} bytes, over DynamoDB's {MAX_ITEM_BYTES}-byte item limit",
            event_id=envelope.id,
        )
    return item


def batch_response(failed_message_ids: list[str]) -> dict[str, Any]:
    """The SQS partial batch response (ReportBatchItemFailures): only these messages are retried."""
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed_message_ids]}
