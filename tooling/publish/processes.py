"""Generated traffic published from several processes, so every core works (threads share one GIL).

The run's positions [0, count) are split into contiguous ranges on EventFactory's content chunks; each worker
process generates exactly its range (`EventFactory.mixed(start=, stop=)`, the same events one process would
generate there) and publishes it with its own Publisher, so no event is generated, sent or counted twice and
none is skipped. Workers are forked after the bus is built (imports, endpoint and credentials are resolved
once) and before any thread starts. Each reports progress and one PublishSummary over a pipe; the parent adds
them up, re-basing failure indices on the range's start.

Ctrl-C: the terminal sends SIGINT to every process of the group, and the parent forwards it to workers too
(a worker takes the first SIGINT and ignores any further one, so its in-flight calls are still counted).
Each worker stops like a single-process run; the parent waits for their summaries and reports interrupted.
A worker that stops on an error retrying cannot fix (access denied, missing bus) has its range reported as
not sent; if nothing at all was accepted the error itself is raised, as in a single-process run.
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
from collections.abc import Callable, Mapping
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from typing import Any

from tooling.errors import ToolingError
from tooling.publish.bus import Bus, TimedBus
from tooling.publish.events import CONTENT_CHUNK, EventFactory, EventKind
from tooling.publish.publisher import (
    ProgressCallback,
    Publisher,
    PublishFailure,
    PublishSettings,
    PublishSummary,
    classify,
)

LatencyCallback = Callable[[list[float]], None]

# Progress messages per worker are batched to this interval: a pipe write per PutEvents call would cost more
# CPU than the call's bookkeeping is worth.
PROGRESS_INTERVAL = 0.1


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
) -> PublishSummary:
    """Publish `count` generated events (mix, seed as `EventFactory.mixed`) through `bus` from up to
    `processes` forked workers, splitting concurrency and rate between them. With `latencies`, every
    PutEvents call is timed and the durations (seconds) are handed over in the calling process as they come."""
    # One seed for every worker: the kinds' order must be the same permutation in all of them.
    shared_seed = seed if seed is not None else secrets.randbits(63)
    ranges = split(count, processes)
    if len(ranges) == 1 or not can_fork():
        entries = EventFactory(seed=shared_seed).mixed(count, mix)
        if latencies is None:
            return Publisher(bus, settings).run(entries, total=count, progress=progress)
        timed = TimedBus(bus)

        def progress_and_timings(accepted: int, failed: int) -> None:
            if progress is not None:
                progress(accepted, failed)
            latencies(timed.drain())

        return Publisher(timed, settings).run(entries, total=count, progress=progress_and_timings)
    share = _share(settings, len(ranges))
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    interrupted = threading.Event()
    # Ctrl-C sets a flag rather than raising here, from before the first fork on: a KeyboardInterrupt while
    # forking or in the middle of reading a worker's message would lose that worker's account of its range.
    # (A worker replaces this handler first thing; the parent forwards the signal once it sees the flag.)
    previous = _on_sigint(lambda: interrupted.set())
    workers: dict[Connection, tuple[Any, tuple[int, int]]] = {}
    results: dict[tuple[int, int], tuple[str, Any]] = {}
    # What is alive now (imports, botocore's models) moves to a permanent generation before the forks (the
    # gc.freeze documentation's recipe): a worker's collections never walk it, so its pages stay shared.
    gc.freeze()
    try:
        for start, stop in ranges:
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_worker,
                args=(sender, bus, count, mix, shared_seed, start, stop, share, latencies is not None),
                daemon=True,
            )
            process.start()
            sender.close()
            workers[receiver] = (process, (start, stop))
        pending = set(workers)
        forwarded = False
        while pending:
            if interrupted.is_set() and not forwarded:
                forwarded = True
                for waiting in pending:
                    process = workers[waiting][0]
                    if process.pid is not None and process.is_alive():
                        os.kill(process.pid, signal.SIGINT)
            for ready in wait(list(pending), timeout=0.2):
                assert isinstance(ready, Connection)
                conn = ready
                try:
                    kind, payload = conn.recv()
                except EOFError:  # the worker died without a summary (killed): its range is unaccounted
                    kind, payload = "died", None
                if kind == "progress":
                    accepted, failed, timings = payload
                    if progress is not None:
                        progress(accepted, failed)
                    if latencies is not None:
                        latencies(timings)
                    continue
                results[workers[conn][1]] = (kind, payload)
                pending.discard(conn)
    finally:
        gc.unfreeze()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    for process, _ in workers.values():
        process.join()
    return _combine(results, count, time.perf_counter() - started, interrupted.is_set())


def _on_sigint(action: Callable[[], None]) -> Any:
    """Run `action` on SIGINT instead of raising; returns the handler to restore (None off the main thread,
    where Python cannot install handlers and KeyboardInterrupt is not delivered anyway)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, lambda signum, frame: action())


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
) -> None:
    signal.signal(signal.SIGINT, _first_interrupt_only)
    last = time.monotonic()
    accepted = failed = 0
    timed_bus = TimedBus(bus) if timed else None

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
            entries = EventFactory(seed=seed).mixed(count, mix, start=start, stop=stop)
            summary = Publisher(timed_bus or bus, settings).run(entries, total=stop - start, progress=report)
            # The run is accounted for: a late Ctrl-C must not turn its summary into "interrupted".
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            flush()
            conn.send(("done", summary))
        except KeyboardInterrupt:  # before or after the Publisher ran: nothing of the range is unaccounted
            conn.send(("interrupted", None))
        except Exception as exc:  # the run's fatal error (nothing accepted) or a failure building the run
            conn.send(("error", _portable(exc)))
    finally:
        conn.close()
        # The parent owns stdout/stderr and the exit code; skip atexit handlers inherited through fork.
        os._exit(0)


def _first_interrupt_only(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


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
    published = 0
    failures: list[PublishFailure] = []
    errors: list[Exception] = []
    for (start, stop), (kind, payload) in sorted(results.items()):
        if kind == "done":
            summary: PublishSummary = payload
            published += summary.published
            failures += [replace(f, index=f.index + start) for f in summary.failures]
            interrupted = interrupted or summary.interrupted
            continue
        if kind == "error":
            errors.append(payload)
            code, message, _ = classify(payload)
            reason = f"stopped after {code}: {message}"
        elif kind == "interrupted":
            interrupted = True
            reason = "interrupted"
        else:
            reason = "the worker process ended without a report"
        failures.append(
            PublishFailure(
                start, "NotSent", f"{stop - start} event(s) from index {start} on not sent: {reason}"
            )
        )
    if errors and published == 0:
        raise errors[0]
    failures.sort(key=lambda f: f.index)
    return PublishSummary(
        published=published,
        failed=count - published,
        seconds=seconds,
        events_per_second=published / seconds if seconds > 0 else 0.0,
        failures=failures,
        interrupted=interrupted,
    )


__all__ = ["can_fork", "publish_generated", "split"]
