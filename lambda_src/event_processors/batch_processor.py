"""Batch processor: the batch queue's consumer, invoked by an SQS event source mapping.

Entry point ``event_processors.batch_processor.handler``. Every message carries an EventBridge event; each is
written once per business key to the event store (``event_store``, ``business_key``; a redelivered message,
or the other region's copy of a replicated event, finds its row and counts as a duplicate, not an error). The response reports only the messages that failed (``batchItemFailures``, the
mapping has ReportBatchItemFailures), so one bad message never makes SQS redeliver its whole batch.

A failed message is one that is malformed (body not JSON, not a valid event), one the store cannot hold
(over DynamoDB's 400 KB item limit), or one whose write failed (throttling, an outage). All are reported as
failed and logged with their reason: SQS makes them visible again after the visibility timeout, and past
the queue's maxReceiveCount moves them to the batch DLQ, where `tooling dlq` shows them. The reason is in
the log line (``Message failed``, with ``message_id``), not on the DLQ message: SQS's redrive keeps the
message as it was sent (see the README, "Batch consumer", for why this path and not a send of our own).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from event_processors.canary import CANARY_TTL_DAYS, LOG_MESSAGE, canary_id
from event_processors.errors import InvalidEventError
from event_processors.event_store import (
    EventStoreWriter,
    UnstorableEventError,
    batch_response,
    build_item,
    parse_message_body,
)
from event_processors.observability import instrumented, logger, metrics
from event_processors.settings import BatchSettings, batch_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@cache
def event_store() -> EventStoreWriter | None:
    """Built on first use and kept for the container's life; None when the event store is disabled."""
    settings = batch_settings()
    if settings.event_store_table is not None:
        from event_processors.dynamodb_event_store import DynamoDBEventStore

        return DynamoDBEventStore(settings.event_store_table)
    if settings.event_store_sqlite_path is not None:
        from event_processors.sqlite_event_store import SQLiteEventStore

        return SQLiteEventStore(settings.event_store_sqlite_path)
    return None


def process_record(record: dict[str, Any], store: EventStoreWriter | None, settings: BatchSettings) -> str:
    """One SQS record: ``stored``, ``duplicate`` or ``consumed`` (no store); raises on failure. A `tooling
    smoke` canary is stored too (that proves the route) but expires after CANARY_TTL_DAYS."""
    message_id = str(record.get("messageId") or "")
    body = record.get("body")
    envelope = parse_message_body(body, message_id)
    canary = canary_id(envelope.detail)
    ttl_days = settings.ttl_days if canary is None else CANARY_TTL_DAYS
    item = build_item(envelope, str(body), ttl_days=ttl_days, processed_in=settings.region)
    outcome = "consumed" if store is None else store.put_once(item)
    if canary is not None:
        logger.info(LOG_MESSAGE, extra={"canary_id": canary, "message_id": message_id, "outcome": outcome})
    return outcome


def _failed(message_id: str, reason: str, kind: str, metric: str) -> None:
    logger.error("Message failed", extra={"message_id": message_id, "reason": reason, "failure": kind})
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records")
    if not isinstance(records, list):
        # Not an SQS batch at all (a hand-made invoke): nothing to report per message.
        raise InvalidEventError("the event has no 'Records' list; the batch processor takes SQS batches")
    settings = batch_settings()
    store = event_store()
    failed: list[str] = []
    outcomes = {"stored": 0, "duplicate": 0, "consumed": 0}
    for record in records:
        message_id = str(record.get("messageId") or "") if isinstance(record, dict) else ""
        if not message_id:
            # A record without an id cannot be reported alone; failing the invocation retries the batch.
            raise InvalidEventError("an SQS record has no messageId")
        try:
            outcomes[process_record(record, store, settings)] += 1
        except UnstorableEventError as error:
            _failed(message_id, error.reason, "unstorable", "UnstorableEvents")
            failed.append(message_id)
        except InvalidEventError as error:
            _failed(message_id, error.reason, "malformed", "MalformedMessages")
            failed.append(message_id)
        except Exception as error:  # a write that failed (throttling, outage): retried by SQS
            _failed(message_id, repr(error), "write", "EventStoreWriteErrors")
            failed.append(message_id)
    metrics.add_metric(name="EventsStored", unit=MetricUnit.Count, value=outcomes["stored"])
    metrics.add_metric(name="DuplicateEvents", unit=MetricUnit.Count, value=outcomes["duplicate"])
    logger.info(
        "Batch processed",
        extra={"records": len(records), "failed": len(failed), **outcomes},
    )
    return batch_response(failed)
