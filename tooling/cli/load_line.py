"""The live line of `tooling publish load` on stderr: elapsed time, events done, the current rate and the
PutEvents latency of the last second. Redrawn in place on a terminal; elsewhere (CI logs) a line every
10 seconds, so a log does not fill with progress."""

from __future__ import annotations

import time
from typing import TextIO

from tooling.publish.load import LoadTick, percentile

TERMINAL_EVERY = 0.5
LOG_EVERY = 10.0


class LoadLine:
    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream = stream
        self.total = total
        self.terminal = stream.isatty()
        self.every = TERMINAL_EVERY if self.terminal else LOG_EVERY
        self._window: list[float] = []
        self._last_draw = time.perf_counter()
        self._last_done = 0
        self._last_elapsed = 0.0
        self._drawn = False

    def tick(self, tick: LoadTick) -> None:
        self._window += tick.recent_latencies
        now = time.perf_counter()
        if now - self._last_draw < self.every:
            return
        done = tick.accepted + tick.failed
        span = tick.elapsed - self._last_elapsed
        rate = (done - self._last_done) / span if span > 0 else 0.0
        ordered = sorted(self._window)
        text = (
            f"{tick.elapsed:7.1f} s  {done}/{self.total} events  {rate:8.0f}/s  {tick.failed} failed  "
            f"PutEvents p50 {percentile(ordered, 50) * 1000:.1f} ms  p99 {percentile(ordered, 99) * 1000:.1f} ms"
        )
        self.stream.write(f"\r{text}\x1b[K" if self.terminal else f"{text}\n")
        self.stream.flush()
        self._drawn = True
        self._window = []
        self._last_draw, self._last_done, self._last_elapsed = now, done, tick.elapsed

    def close(self) -> None:
        if self._drawn and self.terminal:
            self.stream.write("\n")
            self.stream.flush()
