"""Deliveries: SQS queues (send, receive, delete, visibility, redrive), and the outcome of an asynchronous
Lambda invocation (logs, metrics, Lambda's retries by the function's async config, its DLQ).

SQS semantics kept: a received message is hidden for the visibility timeout and counts a receive; past the
queue's maxReceiveCount it moves to the redrive DLQ instead of being returned; delete needs the receipt
handle of the latest receive; VisibilityTimeout 0 leaves it visible. Peeking (`peek`) reads without any of
that, so the monitor never disturbs a consumer.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tooling.local.store import Counters, Store

# Local retry backoff: exponential from BASE, capped. AWS backs off over minutes; locally the point is to
# show the retries, not to wait for them.
RETRY_BASE_SECONDS = 0.1
RETRY_MAX_SECONDS = 2.0


def iso_millis(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- SQS ------------------------------------------------------------------------------------------------------


def string_attributes(values: dict[str, str]) -> dict[str, dict[str, str]]:
    return {key: {"DataType": "String", "StringValue": value} for key, value in values.items()}


def dead_letter_attributes(
    rule_arn: str, target_arn: str, code: str, message: str, attempts: int, condition: str
) -> dict[str, dict[str, str]]:
    """The message attributes EventBridge puts on an event it sends to a target's DLQ."""
    return string_attributes(
        {
            "RULE_ARN": rule_arn,
            "TARGET_ARN": target_arn,
            "ERROR_CODE": code,
            "ERROR_MESSAGE": message[:1000],
            "RETRY_ATTEMPTS": str(max(0, attempts - 1)),
            "EXHAUSTED_RETRY_CONDITION": condition,
        }
    )


def send_message(
    conn: sqlite3.Connection,
    queue_url: str,
    body: str,
    *,
    attributes: dict[str, dict[str, str]] | None = None,
    now: float | None = None,
) -> str:
    now = time.time() if now is None else now
    message_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO messages (id, queue_url, body, attributes, sent_at, visible_at) VALUES (?, ?, ?, ?, ?, ?)",
        (message_id, queue_url, body, json.dumps(attributes or {}), now, now),
    )
    return message_id


@dataclass(frozen=True)
class QueueCounts:
    name: str
    arn: str
    url: str
    visible: int
    in_flight: int
    max_receive_count: int | None
    oldest_sent_at: float | None


class Queues:
    """An SQS-like client over the store, for consumers, tests and the monitor."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _queue(self, url: str) -> sqlite3.Row:
        rows = self.store.query("SELECT * FROM queues WHERE url = ?", (url,))
        if not rows:
            raise KeyError(f"queue {url} does not exist")
        return rows[0]

    def exists(self, url: str) -> bool:
        return bool(self.store.query("SELECT 1 FROM queues WHERE url = ?", (url,)))

    def send(self, url: str, body: str, attributes: dict[str, dict[str, str]] | None = None) -> str:
        self._queue(url)
        with self.store.transaction() as conn:
            return send_message(conn, url, body, attributes=attributes)

    def receive(
        self, url: str, max_messages: int = 1, visibility_timeout: int | None = None
    ) -> list[dict[str, Any]]:
        """ReceiveMessage: up to `max_messages` (1..10) visible messages, oldest first."""
        queue = self._queue(url)
        timeout = int(queue["visibility_timeout"]) if visibility_timeout is None else visibility_timeout
        max_receive = queue["max_receive_count"]
        out: list[dict[str, Any]] = []
        now = time.time()
        with self.store.transaction() as conn:
            rows = list(
                conn.execute(
                    "SELECT * FROM messages WHERE queue_url = ? AND visible_at <= ? ORDER BY seq LIMIT ?",
                    (url, now, max(1, min(10, max_messages)) * 4),
                )
            )
            for row in rows:
                if len(out) >= max_messages:
                    break
                if max_receive is not None and queue["redrive_url"] and row["receive_count"] >= max_receive:
                    conn.execute(
                        "UPDATE messages SET queue_url = ?, receive_count = 0, receipt_handle = NULL, "
                        "visible_at = ? WHERE seq = ?",
                        (queue["redrive_url"], now, row["seq"]),
                    )
                    continue
                handle = uuid.uuid4().hex
                count = row["receive_count"] + 1
                conn.execute(
                    "UPDATE messages SET receive_count = ?, receipt_handle = ?, visible_at = ? WHERE seq = ?",
                    (count, handle, now + timeout, row["seq"]),
                )
                out.append(
                    {
                        "MessageId": row["id"],
                        "ReceiptHandle": handle,
                        "Body": row["body"],
                        "Attributes": {
                            "ApproximateReceiveCount": str(count),
                            "SentTimestamp": str(int(row["sent_at"] * 1000)),
                        },
                        "MessageAttributes": json.loads(row["attributes"]),
                    }
                )
        return out

    def delete(self, url: str, receipt_handle: str) -> bool:
        with self.store.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM messages WHERE queue_url = ? AND receipt_handle = ?", (url, receipt_handle)
            )
            return cur.rowcount > 0

    def change_visibility(self, url: str, receipt_handle: str, timeout: int) -> bool:
        with self.store.transaction() as conn:
            cur = conn.execute(
                "UPDATE messages SET visible_at = ? WHERE queue_url = ? AND receipt_handle = ?",
                (time.time() + timeout, url, receipt_handle),
            )
            return cur.rowcount > 0

    def counts(self, url: str) -> QueueCounts | None:
        rows = self.store.query("SELECT * FROM queues WHERE url = ?", (url,))
        if not rows:
            return None
        queue = rows[0]
        now = time.time()
        stats = self.store.query(
            "SELECT SUM(visible_at <= ?) AS visible, SUM(visible_at > ?) AS in_flight, MIN(sent_at) AS oldest "
            "FROM messages WHERE queue_url = ?",
            (now, now, url),
        )[0]
        return QueueCounts(
            name=queue["name"],
            arn=queue["arn"],
            url=url,
            visible=int(stats["visible"] or 0),
            in_flight=int(stats["in_flight"] or 0),
            max_receive_count=queue["max_receive_count"],
            oldest_sent_at=stats["oldest"],
        )

    def peek(self, url: str, limit: int) -> list[sqlite3.Row]:
        """Visible messages, oldest first, left exactly as they are."""
        return self.store.query(
            "SELECT * FROM messages WHERE queue_url = ? AND visible_at <= ? ORDER BY seq LIMIT ?",
            (url, time.time(), limit),
        )


# -- Lambda invocation outcomes -------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one invocation attempt did (filled by the worker)."""

    ok: bool
    started_at: float
    duration_ms: float
    result: Any = None
    error_type: str | None = None
    error_message: str | None = None
    stack_trace: list[str] = field(default_factory=list)
    timed_out: bool = False
    log_stream: str = ""
    log_lines: list[tuple[float, str]] = field(default_factory=list)


@dataclass
class Tally:
    """What a drain did."""

    invocations: int = 0
    succeeded: int = 0
    failed_attempts: int = 0
    retries_scheduled: int = 0
    failed_permanently: int = 0
    dead_lettered: int = 0


def backoff(attempt: int) -> float:
    return float(min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * (2 ** max(0, attempt - 1))))


def settle(
    store: Store, delivery: sqlite3.Row, function: sqlite3.Row, outcome: Outcome, tally: Tally
) -> None:
    """Record one attempt of an asynchronous invocation that Lambda accepted: its log lines, the invocation
    and its metrics, then success, a scheduled retry, or the function's dead-letter queue, all in one
    transaction (a crash leaves all of it or none of it).

    This is Lambda's side only, as in AWS: the rule (or the SNS subscription) handed the event off
    successfully when it was queued, so a function error moves none of the rule's metrics; Lambda retries it
    by the function's async config (`max_attempts` = 1 + maximum_retry_attempts, `deadline` = the event's
    maximum age) and then sends the event to the function's DLQ with Lambda's attributes.
    """
    now = time.time()
    attempt = int(delivery["attempts"]) + 1
    counters = Counters()
    name = function["name"]
    counters.add("function", name, "Invocations", at=outcome.started_at)
    counters.sample("function", name, "Duration", outcome.duration_ms, at=outcome.started_at)
    if not outcome.ok:
        counters.add("function", name, "Errors", at=outcome.started_at)
    tally.invocations += 1
    with store.transaction() as conn:
        record_attempt(conn, delivery, function, outcome, attempt)
        if outcome.ok:
            tally.succeeded += 1
            conn.execute("DELETE FROM deliveries WHERE id = ?", (delivery["id"],))
            counters.flush(conn)
            return
        tally.failed_attempts += 1
        delay = backoff(attempt)
        if attempt < int(delivery["max_attempts"]) and now + delay <= float(delivery["deadline"]):
            # A due time, never a sleep: the dispatcher runs other deliveries meanwhile.
            conn.execute(
                "UPDATE deliveries SET attempts = ?, not_before = ?, claimed = 0, last_error_type = ?, "
                "last_error_message = ?, capture_path = NULL, capture_offset = NULL WHERE id = ?",
                (attempt, now + delay, outcome.error_type, outcome.error_message, delivery["id"]),
            )
            tally.retries_scheduled += 1
            counters.flush(conn)
            return
        # Out of attempts (or of event age): Lambda sends the event to the function's dead-letter queue.
        tally.failed_permanently += 1
        conn.execute("DELETE FROM deliveries WHERE id = ?", (delivery["id"],))
        if function["dlq_url"]:
            message = f"{outcome.error_type}: {outcome.error_message}"
            send_message(
                conn,
                function["dlq_url"],
                delivery["payload"],
                attributes=lambda_dead_letter_attributes(delivery["request_id"], message),
                now=now,
            )
            counters.add("function", name, "DeadLetterMessages", at=now)
            tally.dead_lettered += 1
        else:
            counters.add("function", name, "AsyncEventsDropped", at=now)
        counters.flush(conn)


def record_attempt(
    conn: sqlite3.Connection, delivery: sqlite3.Row, function: sqlite3.Row, outcome: Outcome, attempt: int
) -> None:
    """The attempt's log lines and its `invocations` row, inside the caller's transaction."""
    conn.executemany(
        "INSERT INTO logs (log_group, log_stream, ts, message) VALUES (?, ?, ?, ?)",
        [(function["log_group"], outcome.log_stream, ts, line) for ts, line in outcome.log_lines],
    )
    conn.execute(
        "INSERT INTO invocations (function_key, request_id, event_id, rule_key, attempt, started_at, duration_ms, "
        "status, error_type, error_message, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            delivery["function_key"],
            delivery["request_id"],
            delivery["event_id"],
            delivery["rule_key"],
            attempt,
            outcome.started_at,
            outcome.duration_ms,
            "ok" if outcome.ok else ("timeout" if outcome.timed_out else "error"),
            outcome.error_type,
            outcome.error_message,
            None if not outcome.ok else json.dumps(outcome.result, default=str),
        ),
    )


def lambda_dead_letter_attributes(request_id: str, message: str) -> dict[str, dict[str, str]]:
    """The message attributes Lambda puts on an asynchronous event it sends to a function's DLQ (the body is
    the event itself). ErrorCode is the 3-digit HTTP status of the invocation: 200 for a function error."""
    return string_attributes({"RequestID": request_id, "ErrorCode": "200", "ErrorMessage": message[:1000]})
