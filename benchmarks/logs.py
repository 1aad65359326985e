"""`tooling logs --since 1h` on the local target over a large log table: the read `tooling logs` does (the
newest 200 events of the window, EMF lines left out) over 200,000 stored lines of three functions spread
over 24 hours. Baselines, measured in the same run on the same database: the same query forced to scan the
table (`NOT INDEXED`: what a store without the (log_group, ts) index does), and the read before `--limit`
(every event of the hour, through the index).

Run: .venv/bin/python benchmarks/logs.py [--lines 200000] [--repeat 5]
Uses a temporary database; never touches .tooling/.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tooling.local.logs_source import LocalLogSource
from tooling.local.store import Store
from tooling.observe.logs import collect_logs

GROUPS = {f: f"/aws/lambda/shop-dev-x1y2z3-{f}" for f in ("processor", "notifier", "analytics")}
EMF = '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"E","Metrics":[{"Name":"M"}]}]},"M":1}'


def fill(store: Store, lines: int, now: float) -> None:
    span = 24 * 3600.0
    rows = []
    groups = list(GROUPS.values())
    for i in range(lines):
        ts = now - span + span * i / lines
        message = EMF if i % 3 == 1 else f'{{"level":"INFO","message":"order o-{i} accepted"}}'
        rows.append((groups[i % 3], "2026/11/30/[$LATEST]abc", ts, message))
    with store.transaction() as conn:
        conn.executemany("INSERT INTO logs (log_group, log_stream, ts, message) VALUES (?, ?, ?, ?)", rows)


class Unindexed(LocalLogSource):
    """The same reads with SQLite told not to use any index on `logs`."""

    table = "logs NOT INDEXED"


def best(run: Callable[[], int], repeat: int) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        found = run()
        times.append(time.perf_counter() - started)
    return min(times), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "local.sqlite", create=True)
        fill(store, args.lines, now.timestamp())
        start = now - timedelta(hours=1)
        plan = store.query(
            "EXPLAIN QUERY PLAN SELECT id, ts, message FROM logs WHERE log_group = ? AND ts >= ? "
            "ORDER BY ts DESC, id DESC LIMIT 200",
            (GROUPS["processor"], start.timestamp()),
        )
        indexed, found = best(
            lambda: len(collect_logs(LocalLogSource(store), GROUPS, start, limit=200, metrics=False)),
            args.repeat,
        )
        scan, found_scan = best(
            lambda: len(collect_logs(Unindexed(store), GROUPS, start, limit=200, metrics=False)), args.repeat
        )
        everything, found_all = best(
            lambda: len(collect_logs(LocalLogSource(store), GROUPS, start, metrics=False)), args.repeat
        )
        store.close()
    assert found == found_scan == 200, (found, found_scan)
    print(f"logs --since 1h --limit 200 over {args.lines:,} stored lines (best of {args.repeat})")
    print(f"  query plan: {'; '.join(str(row['detail']) for row in plan)}")
    print(f"  indexed, newest 200:         {indexed * 1000:8.1f} ms  ({found} events)")
    print(f"  baseline: table scan:        {scan * 1000:8.1f} ms  -> {scan / indexed:,.0f}x faster")
    print(f"  baseline: the whole hour:    {everything * 1000:8.1f} ms  ({found_all:,} events) -> "
          f"{everything / indexed:,.0f}x faster")  # fmt: skip


if __name__ == "__main__":
    main()
