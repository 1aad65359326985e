"""[failover] event replication on the local target: the endpoint's managed rules, one on each bus, that copy
every custom event the bus receives to the other region's bus.

A bus queues its copies in its store's `replication_outbox` in the transaction that accepts the events
(tooling/local/engine.py), so a copy is never lost; the dispatcher moves them to the other bus once they
are DELAY_SECONDS old (AWS replicates asynchronously and states no figure; a second keeps the two regions'
consumers from always working on one event at the same instant, which the notifier's idempotency answers
with an in-progress error that Lambda retries, as it would on AWS when they do). A copy keeps the event as it is (its `region` is the region that
received it from the endpoint, its time, detail and source) except its id: EventBridge gives the copy an
id of its own ("event IDs may differ between Regions"), so consumers must deduplicate on the business key.
A copy is not copied back (no loop). Delivery of copies is at least once: a crash between the other bus's
commit and the outbox's delete sends those again, which the business key also absorbs.
"""

from __future__ import annotations

import json
import time
import uuid

from tooling.local.engine import Engine
from tooling.local.store import Store

# Copies moved per call: one transaction on the other bus each.
BATCH = 200
DELAY_SECONDS = 1.0


def pending(store: Store) -> int:
    """Copies the store's bus has yet to hand to the other region."""
    return int(store.scalar("SELECT COUNT(*) FROM replication_outbox") or 0)


def lag_seconds(store: Store, now: float | None = None) -> float:
    """How long the oldest copy not yet replicated has waited (0 when none waits): the replication lag."""
    oldest = store.scalar("SELECT MIN(accepted_at) FROM replication_outbox")
    if oldest is None:
        return 0.0
    return max(0.0, (time.time() if now is None else now) - float(oldest))


def forward(source: Store, destination: Engine, limit: int = BATCH, now: float | None = None) -> int:
    """Move up to `limit` copies that are due from `source`'s outbox onto the destination's bus; how many
    moved."""
    due = (time.time() if now is None else now) - DELAY_SECONDS
    rows = source.query(
        "SELECT seq, body FROM replication_outbox WHERE accepted_at <= ? ORDER BY seq LIMIT ?", (due, limit)
    )
    if not rows:
        return 0
    copies = []
    for row in rows:
        event = json.loads(row["body"])
        event["id"] = str(uuid.uuid4())
        copies.append(event)
    destination.publish(copies, replicate=False)
    with source.transaction() as conn:
        conn.execute("DELETE FROM replication_outbox WHERE seq <= ?", (int(rows[-1]["seq"]),))
    return len(rows)


def forward_all(stores: list[Store], engines: list[Engine], now: float | None = None) -> int:
    """Both directions between the two regions (stores[i]'s copies onto engines of the other)."""
    if len(stores) != 2:
        return 0
    moved = 0
    for index, store in enumerate(stores):
        while True:
            count = forward(store, engines[1 - index], now=now)
            moved += count
            if count < BATCH:
                break
    return moved
