"""Reading the local target's CloudWatch-like counters and samples back over a time window."""

from __future__ import annotations

import math

from tooling.local.store import Store


def sums(store: Store, scope: str, names: list[str], start: float, end: float) -> dict[str, dict[str, float]]:
    """{name: {metric: sum}} of the counters with start <= bucket < end."""
    if not names:
        return {}
    marks = ",".join("?" * len(names))
    rows = store.query(
        f"SELECT name, metric, SUM(value) AS total FROM counters WHERE scope = ? AND name IN ({marks}) "
        "AND bucket >= ? AND bucket < ? GROUP BY name, metric",
        (scope, *names, int(start), end),
    )
    out: dict[str, dict[str, float]] = {}
    for row in rows:
        out.setdefault(row["name"], {})[row["metric"]] = float(row["total"])
    return out


def percentiles(
    store: Store, scope: str, name: str, metric: str, start: float, end: float, points: tuple[float, ...]
) -> list[float]:
    """Nearest-rank percentiles of the samples in [start, end); zeros when there are none."""
    values = [
        float(row[0])
        for row in store.query(
            "SELECT value FROM samples WHERE scope = ? AND name = ? AND metric = ? AND ts >= ? AND ts < ? "
            "ORDER BY value",
            (scope, name, metric, start, end),
        )
    ]
    if not values:
        return [0.0 for _ in points]
    return [values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))] for p in points]
