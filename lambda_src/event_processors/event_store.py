"""The event store's item: what the batch processor writes for one SQS message, as plain functions.

Key design (the table in terraform/modules/event_store): partition key ``pk`` = ``<source>#<detail-type>``
(every event of one kind together, queried by source and type), sort key ``sk`` = ``<time>#<business key>``
(time order within the kind; ``business_key.py``: the producer's idempotencyKey, else the type and business
id, else the event id). The same business event always maps to the same key, whichever region's copy and
whichever event id arrives: a redelivered message, or the other region's copy of a replicated event, finds
its row already there and the conditional put makes the write idempotent. Event ids are not used because
the two regions' copies of one event may carry different ones. In a DynamoDB global table the conditional
put is checked in the writing region only, so two regions writing the same event at the same instant both
succeed; they wrote the same key, and replication (last writer wins) leaves one item: still one effect.
``expiration`` is the TTL attribute. ``region`` is the event's own region field (the region whose bus the
global endpoint delivered it to; a replicated copy keeps it), ``processed_in`` the consumer's region.
No I/O here: the adapters (``dynamodb_event_store``, ``sqlite_event_store``) write, the handler counts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple, Protocol

from event_processors.business_key import business_key
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
    business_key: str
    region: str | None = None
    processed_in: str | None = None

    def attributes(self) -> dict[str, str | int]:
        """The item's attributes by name, as both adapters write them; an unknown region is left out."""
        attributes: dict[str, str | int] = {
            "pk": self.pk,
            "sk": self.sk,
            "id": self.event_id,
            "source": self.source,
            "detail_type": self.detail_type,
            "time": self.time,
            "event": self.body,
            "expiration": self.expiration,
            "business_key": self.business_key,
        }
        if self.region is not None:
            attributes["region"] = self.region
        if self.processed_in is not None:
            attributes["processed_in"] = self.processed_in
        return attributes


def event_time_text(moment: datetime) -> str:
    """EventBridge's own time format (UTC, seconds, ``Z``): sorts as text in time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def partition_key(source: str, detail_type: str) -> str:
    return f"{source}#{detail_type}"


def sort_key(time_text: str, key: str) -> str:
    """``<time>#<business key>``; items written before the business key have ``<time>#<event id>``, which is
    what the key of an event without an idempotencyKey or business id still is."""
    return f"{time_text}#{key}"


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


def producer_time(envelope: EventEnvelope) -> datetime:
    """When the event happened as its producer says (``detail.timestamp``, ISO-8601), else the envelope's time.

    Both regions' copies of one business event must land on one item (a global table keeps one per key), so
    the sort key's time must be the same in both: the producer's timestamp is part of the event itself, and
    the order workflow copies the order's time into its outcome's; the envelope's time is EventBridge's
    (the fallback for events whose producer sets none, such as AWS service events)."""
    assert envelope.time is not None  # parse_message_body guarantees it
    raw = envelope.detail.get("timestamp")
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            return envelope.time
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return envelope.time


def build_item(
    envelope: EventEnvelope, body: str, *, ttl_days: int, processed_in: str | None = None
) -> StoredEvent:
    """The item of one event; ``UnstorableEventError`` when it would exceed DynamoDB's item limit.
    ``processed_in``: the consumer's region (AWS_REGION), None when unknown."""
    moment = producer_time(envelope)
    time_text = event_time_text(moment)
    key = business_key(envelope)
    item = StoredEvent(
        pk=partition_key(envelope.source, envelope.detail_type),
        sk=sort_key(time_text, key),
        event_id=envelope.id,
        source=envelope.source,
        detail_type=envelope.detail_type,
        time=time_text,
        body=body,
        expiration=int(moment.timestamp()) + ttl_days * SECONDS_PER_DAY,
        business_key=key,
        region=envelope.region,
        processed_in=processed_in,
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
