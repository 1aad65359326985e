"""One diff: the chunks through worker processes (or this one, for a small input), merged into a report.

Chunks are handed out as they are read, never more than two per worker ahead, so memory stays bounded
whatever the archive's size; results are merged in the chunks' order, so a run's examples and sample are
the same whatever the scheduling. Workers are forked where the platform allows (nothing to re-import) and
each compiles the patterns once.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult, Pool
from typing import TypeVar

from tooling.errors import UsageError
from tooling.patterns import InvalidPatternError, compile_pattern
from tooling.routes.chunks import Chunk
from tooling.routes.model import Routes
from tooling.routes.plan import DiffPlan, build_plan
from tooling.routes.report import DiffReport, build_report
from tooling.routes.scan import SampleTally, Scanner, Tally, sample_chunk

IN_FLIGHT_PER_WORKER = 2
DEFAULT_EXAMPLES = 3
SAMPLE_CHUNK_LINES = 20_000
NOT_AN_EVENT_HINT = "every line must be one EventBridge event as JSON (as the S3 archive holds them)"
T = TypeVar("T")


@dataclass(frozen=True)
class EventInput:
    chunks: Iterable[Chunk]
    source: str  # how the report names where the events came from


@dataclass(frozen=True)
class DiffOptions:
    sample: int | None = None
    seed: int = 7
    workers: int = 0  # 0: one per core, at most 2 (a diff shares the machine with the rest of CI)
    examples: int = DEFAULT_EXAMPLES


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def check_patterns(routes: Routes) -> None:
    """A deployed rule whose pattern this engine refuses is named before any event is read."""
    for rule in routes.rules:
        try:
            compile_pattern(rule.pattern)
        except InvalidPatternError as exc:
            raise UsageError(
                f"{routes.origin}: rule {rule.name}: {exc.message}",
                hint="fix the rule's pattern (tooling test-pattern checks one)",
            ) from None


Progress = Callable[[str, int], None]  # (what is under way, events done so far)


def diff_routes(
    before: Routes,
    after: Routes,
    events: EventInput,
    options: DiffOptions,
    on_progress: Progress | None = None,
) -> DiffReport:
    check_patterns(before)
    check_patterns(after)
    plan = build_plan(before, after, options.examples)
    workers = options.workers or default_workers()
    progress = on_progress or (lambda _what, _done: None)
    if options.sample is None:
        tally = _scan_all(plan, events.chunks, workers, progress=lambda n: progress("matched", n))
        read = tally.events
    else:
        lines, read, first, last = _sample(
            events.chunks, options.sample, options.seed, workers, lambda n: progress("sampled", n)
        )
        tally = _scan_all(
            plan,
            _sample_chunks(lines),
            workers,
            lambda _, line: f"{lines[line - 1][0]} line {lines[line - 1][1]}",
            progress=lambda n: progress("matched", n),
        )
        tally.first_time, tally.last_time = first, last  # the span of everything read, not of the sample
    return build_report(
        plan,
        tally,
        before=before.origin,
        after=after.origin,
        source=events.source,
        read=read,
        examples=options.examples,
        sample_seed=None if options.sample is None else options.seed,
    )


# -- worker processes ----------------------------------------------------------------------------------------

_scanner: Scanner | None = None


def _start_worker(plan: DiffPlan) -> None:
    global _scanner
    _scanner = Scanner(plan)


def _scan_in_worker(chunk: Chunk) -> Tally:
    assert _scanner is not None
    return _scanner.scan(chunk)


def _pool(workers: int, plan: DiffPlan | None) -> Pool:
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if plan is None:
        return context.Pool(workers)
    return context.Pool(workers, initializer=_start_worker, initargs=(plan,))


def _ordered(
    chunks: Iterable[Chunk],
    workers: int,
    plan: DiffPlan | None,
    submit: Callable[[Pool, int, Chunk], AsyncResult[T]],
    local: Callable[[int, Chunk], T],
) -> Iterator[T]:
    """Each chunk's result in chunk order: in this process when there is one chunk or one worker."""
    iterator = iter(chunks)
    head = [chunk for _, chunk in zip(range(2), iterator, strict=False)]
    if workers <= 1 or len(head) <= 1:
        for number, chunk in enumerate([*head, *iterator]):
            yield local(number, chunk)
        return
    with _pool(workers, plan) as pool:
        pending: deque[AsyncResult[T]] = deque()
        for number, chunk in enumerate(_chain(head, iterator)):
            pending.append(submit(pool, number, chunk))
            while len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _chain(head: list[Chunk], rest: Iterator[Chunk]) -> Iterator[Chunk]:
    yield from head
    yield from rest


def _scan_all(
    plan: DiffPlan,
    chunks: Iterable[Chunk],
    workers: int,
    where: Callable[[str, int], str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Tally:
    scanner: Scanner | None = None

    def local(_: int, chunk: Chunk) -> Tally:
        nonlocal scanner
        scanner = scanner or Scanner(plan)
        return scanner.scan(chunk)

    def submit(pool: Pool, _: int, chunk: Chunk) -> AsyncResult[Tally]:
        return pool.apply_async(_scan_in_worker, (chunk,))

    total = Tally()
    for tally in _ordered(chunks, workers, plan, submit, local):
        if tally.error is not None:
            place = tally.error.where(where)
            raise UsageError(f"{place}: {tally.error.reason}", hint=NOT_AN_EVENT_HINT)
        total.merge(tally, plan.examples)
        if progress is not None:
            progress(total.events)
    return total


# -- a uniform sample ----------------------------------------------------------------------------------------


def _sample(
    chunks: Iterable[Chunk], size: int, seed: int, workers: int, progress: Callable[[int], None]
) -> tuple[list[tuple[str, int, bytes]], int, str | None, str | None]:
    """The `size` events of smallest priority over every chunk: (source, line, text) in reading order;
    with the number of events read and their time span."""
    labels: dict[int, tuple[str, int]] = {}

    def remember(number: int, chunk: Chunk) -> Chunk:
        labels[number] = (chunk.label, chunk.first_line)
        return chunk

    def local(number: int, chunk: Chunk) -> SampleTally:
        return sample_chunk(remember(number, chunk), number, size, seed)

    def submit(pool: Pool, number: int, chunk: Chunk) -> AsyncResult[SampleTally]:
        remember(number, chunk)
        return pool.apply_async(sample_chunk, (chunk, number, size, seed))

    kept: list[tuple[float, int, int, bytes]] = []
    read = 0
    total = Tally()
    for part in _ordered(chunks, workers, None, submit, local):
        if part.error is not None:
            raise UsageError(f"{part.error.where()}: {part.error.reason}", hint=NOT_AN_EVENT_HINT)
        read += part.events
        total.add_time(part.first_time, part.last_time)
        kept = sorted([*kept, *part.kept])[:size]
        progress(read)
    chosen = sorted(kept, key=lambda item: (item[1], item[2]))  # reading order
    lines = [(labels[n][0], labels[n][1] + ln, text) for _, n, ln, text in chosen]
    return lines, read, total.first_time, total.last_time


def _sample_chunks(lines: list[tuple[str, int, bytes]]) -> Iterator[Chunk]:
    """The sample as chunks, numbered by position in the sample (mapped back to the source when one is not
    an event)."""
    for start in range(0, len(lines), SAMPLE_CHUNK_LINES):
        part = lines[start : start + SAMPLE_CHUNK_LINES]
        yield Chunk("the sample", b"\n".join(text for _, _, text in part), first_line=start + 1)
