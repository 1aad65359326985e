"""`tooling routes diff` on the local target: the routing table as provisioned (the store's rules and
targets), and the bus's EventBridge archive (the store's archive table) as JSON-lines chunks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from tooling.local.store import Store
from tooling.outputs import DeploymentOutputs
from tooling.routes.chunks import Chunk
from tooling.routes.model import RouteRule, Routes, RouteTarget, Transformer

ROWS_PER_CHUNK = 5000


class LocalRoutesSource:
    def __init__(self, store: Store, outputs: DeploymentOutputs) -> None:
        self.store = store
        self.outputs = outputs

    def deployed_routes(self) -> Routes:
        targets: dict[str, list[RouteTarget]] = {}
        for row in self.store.query("SELECT * FROM targets ORDER BY rule_key, position"):
            stored = None if row["input_transformer"] is None else json.loads(row["input_transformer"])
            targets.setdefault(row["rule_key"], []).append(
                RouteTarget(
                    target=row["kind"],
                    target_id=row["target_id"],
                    transformer=None
                    if stored is None
                    else Transformer(
                        tuple(sorted(stored.get("input_paths", {}).items())), stored["input_template"]
                    ),
                )
            )
        rules = tuple(
            RouteRule(
                name=row["key"],
                pattern=json.loads(row["pattern"]),
                enabled=row["state"] != "DISABLED",
                targets=tuple(targets.get(row["key"], [])),
                aws_name=row["name"],
                arn=row["arn"],
            )
            for row in self.store.query("SELECT * FROM rules ORDER BY position")
        )
        return Routes(origin=f"deployed on the local target (bus {self.outputs.event_bus_name})", rules=rules)

    def archived_chunks(self, since: date | None, until: date | None) -> tuple[Iterator[Chunk], str]:
        start = 0.0 if since is None else datetime.combine(since, time(), UTC).timestamp()
        end = (
            float("inf")
            if until is None
            else datetime.combine(until + timedelta(days=1), time(), UTC).timestamp()
        )
        return self._chunks(start, end), f"the local EventBridge archive {self.outputs.archive_name}"

    def _chunks(self, start: float, end: float) -> Iterator[Chunk]:
        after = 0
        line = 1
        while True:
            rows = self.store.query(
                "SELECT seq, body FROM archive WHERE seq > ? AND event_time >= ? AND event_time < ? "
                "ORDER BY seq LIMIT ?",
                (after, start, end, ROWS_PER_CHUNK),
            )
            if not rows:
                return
            after = rows[-1]["seq"]
            yield Chunk("the local archive", "\n".join(row["body"] for row in rows).encode(), first_line=line)
            line += len(rows)

    def close(self) -> None:
        self.store.close()
