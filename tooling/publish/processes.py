"""Generated traffic published from several processes, so every core works (threads share one GIL).

The run's positions [0, count) are split into contiguous ranges on EventFactory's content chunks; each worker
process generates exactly its range (`EventFactory.mixed(start=, stop=)`, the same events one process would
generate there) and publishes it with its own Publisher, so no event is generated, sent or counted twice and
none is skipped. Workers are forked after the bus is built (imports, endpoint and credentials are resolved
once) and before any thread starts. Each reports progress and one PublishSummary over a pipe; the parent adds
them up, re-basing failure indices on the range's start.

Ctrl-C: workers ignore SIGINT (the terminal sends it to every process of the group, and two presses would
reach a worker as one from the terminal plus one forwarded); the parent counts the presses and passes them
on through two shared flags. The first stops every worker like a single-process run (calls on the wire are
awaited and counted); the second makes them stop waiting and report those calls' events unknown. Workers
report their summaries and the parent adds them up. A worker whose parent is gone stops too.
A worker that stops on an error retrying cannot fix (access denied, missing bus) has its range reported as
not sent; if nothing at all was accepted the error itself is raised, as in a single-process run. A worker
that ends without a report (killed) has its range reported unknown: it may have sent some of it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from tooling.errors import ToolingError
from tooling.publish.bus import Bus, Entry, TimedBus
from tooling.publish.events import CONTENT_CHUNK, EventFactory, EventKind
from tooling.publish.publisher import (
    WAIT_NOTICE_AFTER,
    Interrupts,
    NoticeCallback,
    ProgressCallback,
    Publisher,
    PublishFailure,
    PublishSettings,
    PublishSummary,
    PublishUnknown,
    classify,
)

if TYPE_CHECKING:
    from multiprocessing.context import ForkContext  # absent where there is no fork (Windows)

LatencyCallback = Callable[[list[float]], None]
# A worker's positions [start, stop), and what it ended with: ("done", PublishSummary), ("error", Exception),
# ("died" | "unreported", None).
Span = tuple[int, int]
Outcome = tuple[str, Any]

# Progress messages per worker are batched to this interval: a pipe write per PutEvents call would cost more
# CPU than the call's bookkeeping is worth.
PROGRESS_INTERVAL = 0.1
# How often a worker looks at the parent's interrupt flags and whether its parent is still there.
WATCH_INTERVAL = 0.1
# After the second Ctrl-C, how long the parent waits for a worker's report before giving its range up as
# unknown (a worker answers within OUTCOME_INTERVAL + WATCH_INTERVAL unless it is stuck).
REPORT_GRACE = 5.0
# Below this many events a second process costs more (fork, its own connections) than it brings.
PROCESSES_FROM = 2000
MAX_AUTO_PROCESSES = 4


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def split(count: int, processes: int, chunk: int = CONTENT_CHUNK) -> list[tuple[int, int]]:
    """Contiguous [start, stop) ranges covering [0, count), cut on chunk boundaries, as even as chunks allow;
    never an empty range (fewer ranges than processes when there are fewer chunks)."""
    chunks = -(-count // chunk)
    parts = max(1, min(processes, chunks))
    ranges = []
    for part in range(parts):
        start = chunks * part // parts * chunk
        stop = min(count, chunks * (part + 1) // parts * chunk)
        ranges.append((start, stop))
    return ranges


def _entries(
    count: int, mix: Mapping[EventKind, float] | None, seed: int, start: int, stop: int, deadline: bool
) -> Iterator[Entry]:
    """The run's events [start, stop). A run with a deadline (publish load) plans `rate x duration` events it
    may never send, so its kinds are drawn per chunk (memory bounded whatever the plan)."""
    factory = EventFactory(seed=seed)
    if deadline:
        return factory.mixed_by_chunk(count, mix, start=start, stop=stop)
    return factory.mixed(count, mix, start=start, stop=stop)


def worker_count(count: int, settings: PublishSettings, target: str, asked: int | None = None) -> int:
    """Workers for a generated run of `count` events: `asked` (--processes), else one per CPU (up to 4) for
    large aws runs. The local target publishes into one SQLite store from one process."""
    if target == "local" or not can_fork():
        return 1
    if asked is not None:
        return asked
    if count < PROCESSES_FROM or (settings.rate is not None and settings.rate < PROCESSES_FROM):
        return 1
    # The CPUs this process may run on (a container or taskset may allow fewer than the machine has).
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(usable, MAX_AUTO_PROCESSES))


def publish_generated(
    bus: Bus,
    count: int,
    *,
    mix: Mapping[EventKind, float] | None = None,
    seed: int | None = None,
    settings: PublishSettings,
    processes: int,
    progress: ProgressCallback | None = None,
    latencies: LatencyCallback | None = None,
    notice: NoticeCallback | None = None,
    interrupts: Interrupts | None = None,
) -> PublishSummary:
    """Publish `count` generated events (mix, seed as `EventFactory.mixed`) through `bus` from up to
    `processes` forked workers, splitting concurrency and rate between them. With `latencies`, every
    PutEvents call is timed and the durations (seconds) are handed over in the calling process as they come.
    `interrupts`: Ctrl-C presses counted by the caller (see tooling.publish.publisher.Interrupts)."""
    # One seed for every worker: the kinds' order must be the same permutation in all of them.
    run = _Run(bus, count, mix, seed if seed is not None else secrets.randbits(63), settings)
    ranges = split(count, processes)
    interrupts = interrupts or Interrupts()
    if len(ranges) == 1 or not can_fork():
        return _publish_here(run, progress, latencies, notice, interrupts)
    return _publish_forked(run, ranges, progress, latencies, notice, interrupts)


@dataclass(frozen=True)
class _Run:
    """What every process of a generated run shares: its events are positions [0, count) of one mix."""

    bus: Bus
    count: int
    mix: Mapping[EventKind, float] | None
    seed: int
    settings: PublishSettings

    def entries(self, start: int, stop: int) -> Iterator[Entry]:
        return _entries(self.count, self.mix, self.seed, start, stop, self.settings.deadline is not None)


def _publish_here(
    run: _Run,
    progress: ProgressCallback | None,
    latencies: LatencyCallback | None,
    notice: NoticeCallback | None,
    interrupts: Interrupts,
) -> PublishSummary:
    """The whole run in this process (one range, or no fork on this platform)."""
    entries = run.entries(0, run.count)
    if latencies is None:
        publisher = Publisher(run.bus, run.settings, interrupts=interrupts)
        return publisher.run(entries, total=run.count, progress=progress, notice=notice)
    timed = TimedBus(run.bus)

    def progress_and_timings(accepted: int, failed: int) -> None:
        if progress is not None:
            progress(accepted, failed)
        latencies(timed.drain())

    return Publisher(timed, run.settings, interrupts=interrupts).run(
        entries, total=run.count, progress=progress_and_timings, notice=notice
    )


def _publish_forked(
    run: _Run,
    ranges: list[Span],
    progress: ProgressCallback | None,
    latencies: LatencyCallback | None,
    notice: NoticeCallback | None,
    interrupts: Interrupts,
) -> PublishSummary:
    """One forked worker per range, awaited in this process; their summaries added up."""
    share = _share(run.settings, len(ranges))
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    # Ctrl-C is counted rather than raised here, from before the first fork on: a KeyboardInterrupt while
    # forking or in the middle of reading a worker's message would lose that worker's account of its range.
    waiting = _Waiting(interrupts, context.Event(), context.Event())
    workers: dict[Connection, tuple[Any, Span]] = {}
    # What is alive now (imports, botocore's models) moves to a permanent generation before the forks (the
    # gc.freeze documentation's recipe): a worker's collections never walk it, so its pages stay shared.
    gc.freeze()
    with interrupts.on_sigint():
        try:
            for span in ranges:
                receiver, process = _fork(context, run, span, share, latencies is not None, waiting)
                workers[receiver] = (process, span)
            results = _await_reports(workers, waiting, progress, latencies, notice)
        finally:
            gc.unfreeze()
    for process, _ in workers.values():
        process.join()
    return _combine(results, run.count, time.perf_counter() - started, interrupts.pressed > 0)


def _fork(
    context: ForkContext, run: _Run, span: Span, share: PublishSettings, timed: bool, waiting: _Waiting
) -> tuple[Connection, Any]:
    """Start the worker of `span`; its end of the pipe is closed here so that its death reads as EOF."""
    receiver, sender = context.Pipe(duplex=False)
    start, stop = span
    process = context.Process(
        target=_worker,
        args=(sender, run.bus, run.count, run.mix, run.seed, start, stop, share, timed),
        kwargs={"stop_all": waiting.stop_all, "abandon_all": waiting.abandon_all, "parent": os.getpid()},
        daemon=True,
    )
    process.start()
    sender.close()
    return receiver, process


@dataclass
class _Waiting:
    """The parent's side of Ctrl-C in a forked run: the presses it counts, passed on to the workers through
    two shared flags (the first stops them, the second stops their waiting), and when."""

    interrupts: Interrupts
    stop_all: Any
    abandon_all: Any
    stopped_at: float | None = None
    abandoned_at: float | None = None
    announced: bool = False

    def pass_on(self) -> None:
        if self.interrupts.pressed and not self.stop_all.is_set():
            self.stop_all.set()
            self.stopped_at = time.monotonic()
        if self.interrupts.pressed > 1 and self.abandoned_at is None:
            self.abandon_all.set()
            self.abandoned_at = time.monotonic()

    def announce_now(self) -> bool:
        """Once, when the workers have been stopped for a while (and not yet abandoned): say what is awaited."""
        waited = time.monotonic() - self.stopped_at if self.stopped_at is not None else 0.0
        if self.announced or self.abandoned_at is not None or waited <= WAIT_NOTICE_AFTER:
            return False
        self.announced = True
        return True

    def given_up(self) -> bool:
        """Whether the grace after the second Ctrl-C is over: workers that have not reported never will."""
        return self.abandoned_at is not None and time.monotonic() - self.abandoned_at > REPORT_GRACE


def _await_reports(
    workers: dict[Connection, tuple[Any, Span]],
    waiting: _Waiting,
    progress: ProgressCallback | None,
    latencies: LatencyCallback | None,
    notice: NoticeCallback | None,
) -> dict[Span, Outcome]:
    """Read the workers' pipes until each has reported (or died, or is given up): progress and timings are
    handed on as they come; each worker's outcome is kept by its range."""
    results: dict[Span, Outcome] = {}
    pending = set(workers)
    while pending:
        waiting.pass_on()
        if notice is not None and waiting.announce_now():
            notice(
                f"interrupted: waiting for {len(pending)} worker process(es) to finish their calls on "
                "the wire so that their events are counted; Ctrl-C again stops waiting"
            )
        if waiting.given_up():
            for conn in pending:  # a worker that does not report even now: its range is unknown
                results[workers[conn][1]] = ("unreported", None)
                workers[conn][0].kill()
            break
        for ready in wait(list(pending), timeout=0.2):
            assert isinstance(ready, Connection)
            kind, payload = _receive(ready)
            if kind == "progress":
                accepted, failed, timings = payload
                if progress is not None:
                    progress(accepted, failed)
                if latencies is not None:
                    latencies(timings)
                continue
            results[workers[ready][1]] = (kind, payload)
            pending.discard(ready)
    return results


def _receive(conn: Connection) -> Outcome:
    try:
        message: Outcome = conn.recv()
    except EOFError:  # the worker died without a summary (killed): its range is unaccounted
        return "died", None
    return message


def _share(settings: PublishSettings, parts: int) -> PublishSettings:
    rate = settings.rate / parts if settings.rate else None
    return replace(settings, concurrency=max(1, -(-settings.concurrency // parts)), rate=rate)


def _worker(
    conn: Connection,
    bus: Bus,
    count: int,
    mix: Mapping[EventKind, float] | None,
    seed: int,
    start: int,
    stop: int,
    settings: PublishSettings,
    timed: bool,
    *,
    stop_all: Any,
    abandon_all: Any,
    parent: int,
) -> None:
    # The parent counts Ctrl-C and passes it on (stop_all, abandon_all): see the module's docstring.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    last = time.monotonic()
    accepted = failed = 0
    timed_bus = TimedBus(bus) if timed else None
    publisher = Publisher(timed_bus or bus, settings, sigint=False)

    def watch() -> None:
        pressed = 0
        while pressed < 2:
            if abandon_all.wait(WATCH_INTERVAL) or os.getppid() != parent:
                wanted = 2
            else:
                wanted = 1 if stop_all.is_set() else 0
            while pressed < wanted:
                publisher.interrupts.press()
                pressed += 1

    def flush() -> None:
        nonlocal accepted, failed
        timings = timed_bus.drain() if timed_bus is not None else []
        if accepted or failed or timings:
            conn.send(("progress", (accepted, failed, timings)))
        accepted = failed = 0

    def report(newly_accepted: int, newly_failed: int) -> None:
        nonlocal last, accepted, failed
        accepted += newly_accepted
        failed += newly_failed
        now = time.monotonic()
        if now - last >= PROGRESS_INTERVAL:
            flush()
            last = now

    try:
        try:
            threading.Thread(target=watch, name="interrupts", daemon=True).start()
            entries = _entries(count, mix, seed, start, stop, settings.deadline is not None)
            summary = publisher.run(entries, total=stop - start, progress=report)
            flush()
            conn.send(("done", summary))
        except Exception as exc:  # the run's fatal error (nothing accepted) or a failure building the run
            conn.send(("error", _portable(exc)))
    finally:
        conn.close()
        # The parent owns stdout/stderr and the exit code; skip atexit handlers inherited through fork.
        os._exit(0)


def _portable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        code, message, _ = classify(exc)
        return ToolingError(f"{code}: {message}")
    return exc


def _combine(
    results: dict[tuple[int, int], tuple[str, Any]], count: int, seconds: float, interrupted: bool
) -> PublishSummary:
    published = unsent = 0
    failures: list[PublishFailure] = []
    unknown: list[PublishUnknown] = []
    errors: list[Exception] = []
    for (start, stop), (kind, payload) in sorted(results.items()):
        if kind == "done":
            summary: PublishSummary = payload
            published += summary.published
            unsent += summary.unsent
            failures += [replace(f, index=f.index + start) for f in summary.failures]
            unknown += [replace(u, index=u.index + start) for u in summary.unknown_events]
            interrupted = interrupted or summary.interrupted
            continue
        if kind == "error":
            errors.append(payload)
            code, message, _ = classify(payload)
            reason = (
                f"{stop - start} event(s) from index {start} on not sent: stopped after {code}: {message}"
            )
            failures.append(PublishFailure(start, "NotSent", reason, count=stop - start))
            continue
        # Its account is lost with it: whatever it sent before it ended may have been accepted.
        why = "ended without a report" if kind == "died" else "did not report after the second Ctrl-C"
        reason = (
            f"the worker process publishing events {start}..{stop - 1} {why}: they may have been accepted"
        )
        unknown.append(PublishUnknown(start, reason, count=stop - start))
    if errors and published == 0 and not unknown:
        raise errors[0]
    failures.sort(key=lambda f: f.index)
    unknown.sort(key=lambda u: u.index)
    failed = sum(f.count for f in failures)
    return PublishSummary(
        published=published,
        failed=failed,
        seconds=seconds,
        events_per_second=published / seconds if seconds > 0 else 0.0,
        failures=failures,
        interrupted=interrupted,
        unknown=sum(u.count for u in unknown),
        unknown_events=unknown,
        requested=count,
        unsent=unsent,
    )


__all__ = ["can_fork", "publish_generated", "split", "worker_count"]
