"""`TrafficSource` for the local target: the window's traffic read from the store, as CloudWatch would count
it on AWS (tooling/observe/aws_traffic.py), and a little more (the bus's own count, event sizes, sources).

Every event the bus accepts is archived (replays are not, as on AWS), so the archive rows ingested in the
window are the bus's events; the rule and function counters are the ones `tooling monitor` reads.
"""

from __future__ import annotations

from tooling.local.metrics import sums
from tooling.local.store import Store
from tooling.observe.traffic import MeasuredTraffic, TrafficRequest

# Per source: the events, their bytes as stored (the delivered JSON) and as PutEvents entries. SQLite's
# json_extract gives a string's text and an object's minified JSON, whose byte length (a BLOB cast) is
# what PutEvents measures. An archived event always has a time, whether or not its entry gave one: the
# entry's Time (14 bytes) is counted as absent, as `tooling publish` sends none.
_ARCHIVE_SQL = """
SELECT json_extract(body, '$.source') AS source, COUNT(*) AS events,
       SUM(LENGTH(CAST(body AS BLOB))) AS event_bytes,
       SUM(LENGTH(CAST(json_extract(body, '$.source') AS BLOB))
           + LENGTH(CAST(json_extract(body, '$."detail-type"') AS BLOB))
           + COALESCE(LENGTH(CAST(json_extract(body, '$.detail') AS BLOB)), 0)
           + COALESCE((SELECT SUM(LENGTH(CAST(value AS BLOB))) FROM json_each(body, '$.resources')), 0))
           AS entry_bytes
FROM archive WHERE ingested_at >= ? AND ingested_at < ? GROUP BY source
"""


class LocalTrafficSource:
    def __init__(self, store: Store) -> None:
        self.store = store

    def close(self) -> None:
        self.store.close()

    def measure(self, request: TrafficRequest) -> MeasuredTraffic:
        start, end = request.window.start.timestamp(), request.window.end.timestamp()
        rows = self.store.query(_ARCHIVE_SQL, (start, end))
        events = sum(int(row["events"]) for row in rows)
        event_bytes = sum(int(row["event_bytes"] or 0) for row in rows)
        entry_bytes = sum(int(row["entry_bytes"] or 0) for row in rows)
        rule_names = {name: key for key, name in request.rules.items()}
        rule_counts = sums(
            self.store,
            "rule",
            [*request.rules.values(), *filter(None, [request.forwarding_rule])],
            start,
            end,
        )
        function_counts = sums(self.store, "function", list(request.functions.values()), start, end)
        return MeasuredTraffic(
            window=request.window,
            bus_scope="bus",
            bus_events=events,
            entry_bytes=entry_bytes / events if events else None,
            event_bytes=event_bytes / events if events else None,
            sources={str(row["source"]): int(row["events"]) for row in rows},
            matched={
                rule_names[name]: int(rule_counts.get(name, {}).get("MatchedEvents", 0))
                for name in request.rules.values()
            },
            forwarded=int(rule_counts.get(request.forwarding_rule or "", {}).get("MatchedEvents", 0)),
            invocations={
                key: int(function_counts.get(name, {}).get("Invocations", 0))
                for key, name in request.functions.items()
            },
            duration_ms={
                key: self._mean_duration(name, start, end) for key, name in request.functions.items()
            },
            log_bytes={key: self._log_bytes(group, start, end) for key, group in request.log_groups.items()},
        )

    def _mean_duration(self, function: str, start: float, end: float) -> float | None:
        value = self.store.scalar(
            "SELECT AVG(value) FROM samples WHERE scope = 'function' AND name = ? AND metric = 'Duration' "
            "AND ts >= ? AND ts < ?",
            (function, start, end),
        )
        return None if value is None else float(value)

    def _log_bytes(self, group: str, start: float, end: float) -> int:
        value = self.store.scalar(
            "SELECT SUM(LENGTH(CAST(message AS BLOB))) FROM logs WHERE log_group = ? AND ts >= ? AND ts < ?",
            (group, start, end),
        )
        return int(value or 0)
