"""`publish load`: hold a rate for a duration with generated traffic, and measure PutEvents as it goes.

The run plans `rate x duration` generated events (drawn lazily, memory bounded whatever the plan) published
at `rate` (the publisher's limiter, split between worker processes) with every guarantee of `publish batch`,
and holds its duration: no call starts after `duration` seconds, whatever rate was achieved; calls on the
wire then finish and are counted, and the planned events never sent are `unsent` (not failures). Each
PutEvents call is timed on the wire (its latency, failed calls included); a tick callback gets the running
totals and the latencies of the calls finished since the previous tick, and the report gives the requested
and achieved rates, the events sent and latency percentiles.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tooling.publish.bus import Bus
from tooling.publish.events import EventKind
from tooling.publish.processes import publish_generated
from tooling.publish.publisher import Interrupts, NoticeCallback, PublishSettings, PublishSummary

PERCENTILES = (50, 90, 99)


def percentile(sorted_values: Sequence[float], point: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(point / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class LoadTick:
    """Running totals, handed to the tick callback as results arrive."""

    elapsed: float
    accepted: int
    failed: int
    recent_latencies: list[float]


@dataclass
class LoadReport:
    summary: PublishSummary
    rate: float
    duration: float
    latencies: list[float] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Events that went out (accepted, refused, or unknown): the planned ones minus those never sent."""
        summary = self.summary
        return summary.published + summary.failed + summary.unknown

    @property
    def achieved_rate(self) -> float:
        """Events sent per second over the run's elapsed time (compare with `rate`)."""
        return self.sent / self.summary.seconds if self.summary.seconds > 0 else 0.0

    def latency_ms(self) -> dict[str, float]:
        ordered = sorted(self.latencies)
        figures = {f"p{p}": percentile(ordered, p) * 1000 for p in PERCENTILES}
        figures["max"] = (ordered[-1] if ordered else 0.0) * 1000
        return figures

    def as_json(self) -> dict[str, Any]:
        return {
            **self.summary.as_json(),
            "requested_rate": self.rate,
            "achieved_rate": round(self.achieved_rate, 1),
            "duration": self.duration,
            "sent": self.sent,
            "unsent": self.summary.unsent,
            "calls": len(self.latencies),
            "latency_ms": {key: round(value, 2) for key, value in self.latency_ms().items()},
        }


def planned(rate: float, duration: float) -> int:
    """The events a run at `rate` for `duration` would send: its plan, and the most it can send."""
    return max(1, math.ceil(rate * duration))


def run_load(
    bus: Bus,
    *,
    rate: float,
    duration: float,
    settings: PublishSettings,
    processes: int,
    mix: Mapping[EventKind, float] | None = None,
    seed: int | None = None,
    tick: Callable[[LoadTick], None] | None = None,
    notice: NoticeCallback | None = None,
    interrupts: Interrupts | None = None,
) -> LoadReport:
    """Publish `rate` events/s for `duration` seconds (no call starts later) and time every PutEvents call."""
    count = planned(rate, duration)
    latencies: list[float] = []
    accepted = failed = 0
    started = time.perf_counter()
    deadline = time.monotonic() + duration

    def progress(newly_accepted: int, newly_failed: int) -> None:
        nonlocal accepted, failed
        accepted += newly_accepted
        failed += newly_failed
        if tick is not None:
            tick(LoadTick(time.perf_counter() - started, accepted, failed, []))

    def timings(values: list[float]) -> None:
        latencies.extend(values)
        if tick is not None:
            tick(LoadTick(time.perf_counter() - started, accepted, failed, values))

    summary = publish_generated(
        bus,
        count,
        mix=mix,
        seed=seed,
        settings=replace(settings, rate=rate, deadline=deadline),
        processes=processes,
        progress=progress,
        latencies=timings,
        notice=notice,
        interrupts=interrupts,
    )
    return LoadReport(summary, rate, duration, latencies)


__all__ = ["LoadReport", "LoadTick", "percentile", "planned", "run_load"]
