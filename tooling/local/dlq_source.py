"""`DlqSource` for the local target: the queue primitives of tooling/observe/dlq.py on the SQLite store, with
SQS's semantics (tooling/local/delivery.py). A move returns each message to the queue whose redrive policy
sent it here, as SQS's StartMessageMoveTask does without a destination."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from tooling.local.delivery import Queues
from tooling.local.store import Store
from tooling.observe.dlq import DlqMessage, DlqStats, MoveOutcome, Received


def _attributes(raw: str) -> dict[str, str]:
    values = json.loads(raw or "{}")
    return {
        key: str(value.get("StringValue", "")) for key, value in values.items() if isinstance(value, dict)
    }


class LocalDlqSource:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.queues = Queues(store)

    def stats(self, url: str) -> DlqStats | None:
        counts = self.queues.counts(url)
        if counts is None:
            return None
        oldest = counts.oldest_sent_at
        return DlqStats(
            arn=counts.arn,
            visible=counts.visible,
            in_flight=counts.in_flight,
            oldest_sent_at=datetime.fromtimestamp(oldest, UTC) if oldest is not None else None,
        )

    def peek(self, url: str, limit: int) -> list[DlqMessage]:
        return [
            DlqMessage(
                message_id=row["id"],
                body=row["body"],
                attributes=_attributes(row["attributes"]),
                sent_at=datetime.fromtimestamp(row["sent_at"], UTC),
                receive_count=int(row["receive_count"]),
            )
            for row in self.queues.peek(url, limit)
        ]

    def source_queues(self, url: str) -> list[str]:
        rows = self.store.query("SELECT url FROM queues WHERE redrive_url = ? ORDER BY url", (url,))
        return [str(row["url"]) for row in rows]

    def move(self, url: str, arn: str, to_url: str) -> MoveOutcome:
        # Messages in flight are moved too: nothing consumes a DLQ here, so none is being worked on.
        with self.store.transaction() as conn:
            moved = conn.execute(
                "UPDATE messages SET queue_url = ?, receive_count = 0, receipt_handle = NULL, visible_at = ? "
                "WHERE queue_url = ?",
                (to_url, time.time(), url),
            ).rowcount
        return MoveOutcome(moved=int(moved), failed=0)

    def receive(self, url: str, limit: int, visibility_timeout: int) -> list[Received]:
        return [
            Received(m["MessageId"], m["ReceiptHandle"], m["Body"])
            for m in self.queues.receive(url, limit, visibility_timeout)
        ]

    def delete(self, url: str, receipt_handle: str) -> None:
        self.queues.delete(url, receipt_handle)

    def release(self, url: str, receipt_handle: str) -> None:
        self.queues.change_visibility(url, receipt_handle, 0)

    def purge(self, url: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM messages WHERE queue_url = ?", (url,))
