"""The batch queue's SQS event source mapping on the local target: Lambda's poller, as AWS runs it.

`poll` (called by the dispatcher on every pass) looks at each mapping's queue: once `batch_size` messages are
visible, or the oldest visible one has waited the batching window (0: at once), it receives up to
`batch_size` of them (and at most Lambda's 6 MB invoke payload), each receive hiding the message for the
queue's visibility timeout and counting towards maxReceiveCount (past it, the receive moves the message to
the redrive DLQ instead: delivery.Queues.receive). The batch becomes a delivery of the function (source
`sqs`), run by the dispatcher like any other; no sleep anywhere, the window is a due condition.

With a filter ([batch_processor] filter_pattern), each received record is matched as Lambda matches it (the
body read as JSON when it is JSON; a body that is not, against a filter on body, never matches): the records
that do not match are deleted without an invocation, as Lambda deletes them from the queue.

`settle_batch` is the synchronous invocation's outcome, as the ESM with ReportBatchItemFailures treats it:
success with no `batchItemFailures` deletes the whole batch; listed failures delete all the others; a
function error, a timeout, or a response naming a message that is not in the batch (or no id at all)
deletes nothing. What is not deleted reappears when its visibility timeout ends and is polled again.
Lambda's asynchronous retries and the function DLQ play no part.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import uuid
from dataclasses import dataclass
from typing import Any

from tooling.local.delivery import Outcome, Queues, Tally, record_attempt
from tooling.local.store import Counters, Store
from tooling.patterns import compile_pattern

# Lambda's synchronous invocation payload limit: a batch never exceeds it, whatever its batch size.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
# Batches of one mapping in flight at once (Lambda starts an SQS mapping with five concurrent pollers).
MAX_CONCURRENT_BATCHES = 5
SOURCE = "sqs"


@dataclass(frozen=True)
class Mapping:
    uuid: str
    queue_url: str
    queue_arn: str
    function_key: str
    batch_size: int
    window_seconds: int
    filter_pattern: str | None = None

    @classmethod
    def of(cls, row: sqlite3.Row) -> Mapping:
        return cls(
            uuid=str(row["uuid"]),
            queue_url=str(row["queue_url"]),
            queue_arn=str(row["queue_arn"]),
            function_key=str(row["function_key"]),
            batch_size=int(row["batch_size"]),
            window_seconds=int(row["window_seconds"]),
            filter_pattern=row["filter_pattern"],
        )


def mappings(store: Store) -> list[Mapping]:
    return [Mapping.of(row) for row in store.query("SELECT * FROM event_source_mappings WHERE enabled = 1")]


def visible_waiting(store: Store, now: float | None = None) -> int:
    """Messages visible now on the queues of enabled mappings: work the poller has yet to take."""
    now = time.time() if now is None else now
    return int(
        store.scalar(
            "SELECT COUNT(*) FROM messages m JOIN event_source_mappings e ON e.queue_url = m.queue_url "
            "WHERE e.enabled = 1 AND m.visible_at <= ?",
            (now,),
        )
        or 0
    )


def _due(store: Store, mapping: Mapping, now: float, flush: bool = False) -> int:
    """How many messages to take now (0: none visible, or still gathering within the window; `flush`
    does not wait the window out)."""
    row = store.query(
        "SELECT COUNT(*) AS visible, MIN(visible_at) AS since FROM messages WHERE queue_url = ? AND visible_at <= ?",
        (mapping.queue_url, now),
    )[0]
    visible = int(row["visible"] or 0)
    if visible == 0:
        return 0
    waited = now - float(row["since"])
    if flush or visible >= mapping.batch_size or waited >= mapping.window_seconds:
        return min(visible, mapping.batch_size)
    return 0


def _fitting(store: Store, mapping: Mapping, wanted: int, now: float) -> int:
    """Of the `wanted` oldest visible messages, how many fit in one invoke payload (at least one)."""
    sizes = store.query(
        "SELECT LENGTH(CAST(body AS BLOB)) + LENGTH(CAST(attributes AS BLOB)) AS size FROM messages "
        "WHERE queue_url = ? AND visible_at <= ? ORDER BY seq LIMIT ?",
        (mapping.queue_url, now, wanted),
    )
    # Room for each record's envelope (ids, receipt handle, attributes, ARN): generous, never under.
    total, count = 0, 0
    for row in sizes:
        total += int(row["size"] or 0) + 1024
        if count and total > MAX_PAYLOAD_BYTES:
            break
        count += 1
    return max(1, count)


def _record(message: dict[str, Any], mapping: Mapping, region: str) -> dict[str, Any]:
    """One SQS record as Lambda hands it to the function."""
    attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType", "String"),
        }
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": message["Attributes"]["ApproximateReceiveCount"],
            "SentTimestamp": message["Attributes"]["SentTimestamp"],
            "SenderId": "AIDAEVENTBRIDGE",
            "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
        },
        "messageAttributes": attributes,
        "md5OfBody": hashlib.md5(message["Body"].encode("utf-8"), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": mapping.queue_arn,
        "awsRegion": region,
    }


def _filtered(queues: Queues, mapping: Mapping, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records the mapping's filter matches; the others are deleted from the queue, uninvoked."""
    assert mapping.filter_pattern is not None
    pattern = compile_pattern(mapping.filter_pattern)
    on_body = "body" in json.loads(mapping.filter_pattern)
    kept = []
    for record in records:
        seen = dict(record)
        try:
            seen["body"] = json.loads(record["body"])
            readable = True
        except ValueError:
            readable = False
        if (readable or not on_body) and pattern.matches(seen):
            kept.append(record)
        else:
            queues.delete(mapping.queue_url, record["receiptHandle"])
    return kept


def poll(store: Store, now: float | None = None, *, flush: bool = False) -> int:
    """One pass of every mapping's poller; returns how many batches it queued. `flush` takes what is
    visible without waiting out the batching window (the local failover drill's checks: docs/commands.md)."""
    now = time.time() if now is None else now
    region = store.meta("region") or "us-east-1"
    queues = Queues(store)
    queued = 0
    for mapping in mappings(store):
        in_flight = int(
            store.scalar(
                "SELECT COUNT(*) FROM deliveries WHERE source = ? AND target_id = ?", (SOURCE, mapping.uuid)
            )
            or 0
        )
        while in_flight < MAX_CONCURRENT_BATCHES:
            wanted = _due(store, mapping, now, flush)
            if wanted == 0:
                break
            wanted = _fitting(store, mapping, wanted, now)
            received: list[dict[str, Any]] = []
            while len(received) < wanted:
                chunk = queues.receive(mapping.queue_url, min(10, wanted - len(received)))
                if not chunk:
                    break
                received += chunk
            if not received:  # all of them were past maxReceiveCount: the receive redrove them
                continue
            records = [_record(m, mapping, region) for m in received]
            if mapping.filter_pattern is not None:
                records = _filtered(queues, mapping, records)
                if not records:
                    continue
            payload = json.dumps({"Records": records}, separators=(",", ":"))
            with store.transaction() as conn:
                conn.execute(
                    "INSERT INTO deliveries (function_key, payload, source, rule_key, target_id, event_id, "
                    "ingested_at, max_attempts, deadline, not_before, request_id) "
                    "VALUES (?, ?, ?, NULL, ?, NULL, ?, 1, ?, ?, ?)",
                    (
                        mapping.function_key,
                        payload,
                        SOURCE,
                        mapping.uuid,
                        now,
                        now + 86400,
                        now,
                        str(uuid.uuid4()),
                    ),
                )
            in_flight += 1
            queued += 1
    return queued


def failed_ids(outcome: Outcome, batch_ids: list[str]) -> list[str]:
    """The message ids the invocation leaves in the queue, as the ESM reads a ReportBatchItemFailures
    response: all of them after a function error or an invalid response, else those it listed."""
    if not outcome.ok:
        return list(batch_ids)
    result = outcome.result
    if result is None or result == {} or result == "":
        return []
    if not isinstance(result, dict):
        return list(batch_ids)  # a response that is not the partial-batch shape: the batch failed
    failures = result.get("batchItemFailures")
    if failures is None or failures == []:
        return []
    if not isinstance(failures, list):
        return list(batch_ids)
    listed: list[str] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or not identifier or identifier not in batch_ids:
            return list(batch_ids)  # Lambda treats a null, empty or unknown id as a failure of the batch
        listed.append(identifier)
    return [message_id for message_id in batch_ids if message_id in listed]


def settle_batch(
    store: Store, delivery: sqlite3.Row, function: sqlite3.Row, outcome: Outcome, tally: Tally
) -> None:
    """Record the invocation of one batch and delete what succeeded, in one transaction."""
    records = json.loads(delivery["payload"])["Records"]
    batch_ids = [str(r["messageId"]) for r in records]
    failed = set(failed_ids(outcome, batch_ids))
    queue_url = _queue_url_of(store, str(delivery["target_id"]))
    counters = Counters()
    name = function["name"]
    counters.add("function", name, "Invocations", at=outcome.started_at)
    counters.sample("function", name, "Duration", outcome.duration_ms, at=outcome.started_at)
    if not outcome.ok:
        counters.add("function", name, "Errors", at=outcome.started_at)
    mapping_name = str(delivery["target_id"])
    counters.add("mapping", mapping_name, "Batches", at=outcome.started_at)
    counters.add(
        "mapping", mapping_name, "MessagesDeleted", len(batch_ids) - len(failed), at=outcome.started_at
    )
    counters.add("mapping", mapping_name, "MessagesFailed", len(failed), at=outcome.started_at)
    tally.invocations += 1
    with store.transaction() as conn:
        record_attempt(conn, delivery, function, outcome, 1)
        if queue_url is not None:
            for record in records:
                if record["messageId"] not in failed:
                    conn.execute(
                        "DELETE FROM messages WHERE queue_url = ? AND receipt_handle = ?",
                        (queue_url, record["receiptHandle"]),
                    )
        conn.execute("DELETE FROM deliveries WHERE id = ?", (delivery["id"],))
        counters.flush(conn)
    if outcome.ok:
        tally.succeeded += 1
    else:
        tally.failed_attempts += 1


def _queue_url_of(store: Store, mapping_uuid: str) -> str | None:
    value = store.scalar("SELECT queue_url FROM event_source_mappings WHERE uuid = ?", (mapping_uuid,))
    return None if value is None else str(value)
