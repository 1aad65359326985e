"""`ReplaySource` for the local target: StartReplay / DescribeReplay over the local archive.

As EventBridge does, replayed events are the archived events unchanged except for a `replay-name` field in
the envelope, they go only to the chosen rules (all rules when none are chosen), and they are not archived
again. The local replay runs to completion when started; its deliveries are then queued like any others.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tooling.errors import ToolingError
from tooling.local.engine import Engine
from tooling.local.store import Store
from tooling.naming import Arns
from tooling.observe.replay import ReplayRequest, ReplayStatus

CHUNK = 100


def _dt(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


class LocalReplaySource:
    def __init__(self, store: Store, on_queued: Callable[[], object] = lambda: None) -> None:
        self.store = store
        self.on_queued = on_queued  # called once the replayed events' deliveries are queued
        self.arns = Arns(store.meta("region") or "us-east-1", store.meta("account") or "000000000000")

    def start_replay(self, request: ReplayRequest) -> ReplayStatus:
        if self.store.query("SELECT 1 FROM replays WHERE name = ?", (request.name,)):
            raise ToolingError(f"replay {request.name} already exists", hint="choose another replay name")
        engine = Engine(self.store)
        by_arn = {rule.arn: key for key, rule in engine.rules.items()}
        unknown = [arn for arn in request.rule_arns if arn not in by_arn]
        if unknown:
            raise ToolingError(
                f"rule {', '.join(unknown)} does not exist on the local bus",
                hint="apply again (tooling apply --target local) or choose rules from `tooling monitor`",
            )
        only = [by_arn[arn] for arn in request.rule_arns] or None
        start, end = request.start.timestamp(), request.end.timestamp()
        started_at = time.time()
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO replays (name, arn, state, reason, event_start, event_end, rule_arns, events_replayed, "
                "last_replayed, started_at, ended_at) VALUES (?, ?, 'RUNNING', '', ?, ?, ?, 0, NULL, ?, NULL)",
                (
                    request.name,
                    self.arns.replay(request.name),
                    start,
                    end,
                    json.dumps(request.rule_arns),
                    started_at,
                ),
            )
        replayed = 0
        last: float | None = None
        after = 0
        while True:
            rows = self.store.query(
                "SELECT seq, event_time, body FROM archive WHERE event_time >= ? AND event_time < ? AND seq > ? "
                "ORDER BY seq LIMIT ?",
                (start, end, after, CHUNK),
            )
            if not rows:
                break
            events: list[dict[str, Any]] = []
            for row in rows:
                event = json.loads(row["body"])
                event["replay-name"] = request.name
                events.append(event)
                last = max(last or 0.0, float(row["event_time"]))
            engine.publish(events, archive=False, only_rules=only)
            replayed += len(events)
            after = int(rows[-1]["seq"])
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE replays SET state = 'COMPLETED', events_replayed = ?, last_replayed = ?, ended_at = ? "
                "WHERE name = ?",
                (replayed, last, time.time(), request.name),
            )
        self.on_queued()
        return self.describe_replay(request.name)

    def describe_replay(self, name: str) -> ReplayStatus:
        rows = self.store.query("SELECT * FROM replays WHERE name = ?", (name,))
        if not rows:
            raise ToolingError(f"replay {name} does not exist on the local target")
        row = rows[0]
        return ReplayStatus(
            name=row["name"],
            arn=row["arn"],
            state=row["state"],
            reason=row["reason"]
            or (f"{row['events_replayed']} event(s) replayed" if row["state"] == "COMPLETED" else ""),
            event_start=_dt(row["event_start"]),
            event_end=_dt(row["event_end"]),
            last_replayed=_dt(row["last_replayed"]),
            started_at=_dt(row["started_at"]),
            ended_at=_dt(row["ended_at"]),
        )
