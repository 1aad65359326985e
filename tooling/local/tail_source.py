"""`tooling tail` on the local target: the events the bus accepted, read from the store's archive table.

Every event the local bus accepts (put by a producer, forwarded from the default bus, published by the order
workflow) is written to `archive` in the PutEvents transaction that accepts it, in order (`seq`); the
reader follows that table and keeps the events the tail's pattern matches, with the engine that routes
them (tooling/patterns). Replayed events are not archived again, so a local tail does not see a replay;
on AWS a replay to every rule of the bus (no `--rules`) reaches a tail's rule too.
"""

from __future__ import annotations

import json
from typing import Any

from tooling.local.store import Store
from tooling.patterns import compile_pattern

# Rows read per poll: a burst larger than this is read over the next polls, in order.
BATCH_ROWS = 500


class LocalEventReader:
    """The EventReader of tooling/observe/tail.py over one store."""

    def __init__(self, store: Store, pattern: dict[str, Any]) -> None:
        self.store = store
        self.pattern = compile_pattern(pattern)

    def close(self) -> None:
        self.store.close()

    def newest(self, before: float | None = None) -> int:
        if before is None:
            value = self.store.scalar("SELECT MAX(seq) FROM archive")
        else:
            value = self.store.scalar("SELECT MAX(seq) FROM archive WHERE ingested_at < ?", (before,))
        return int(value or 0)

    def read_after(self, position: int) -> tuple[int, list[dict[str, Any]]]:
        rows = self.store.query(
            "SELECT seq, body FROM archive WHERE seq > ? ORDER BY seq LIMIT ?", (position, BATCH_ROWS)
        )
        matched = []
        for row in rows:
            event = json.loads(row["body"])
            if isinstance(event, dict) and self.pattern.matches(event):
                matched.append(event)
        return (int(rows[-1]["seq"]) if rows else position), matched


def rule_pattern(store: Store, rule_name: str) -> dict[str, Any] | None:
    """The pattern of a provisioned rule (its full name), None when there is no such rule."""
    text = store.scalar("SELECT pattern FROM rules WHERE name = ?", (rule_name,))
    if text is None:
        return None
    pattern = json.loads(str(text))
    return pattern if isinstance(pattern, dict) else None
