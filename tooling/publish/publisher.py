"""Publish entries through the Bus seam: batched, concurrent, rate-limited, retried, and accounted for.

- Batches hold at most 10 entries and at most `max_request_bytes` (AWS's entry-size arithmetic, see
  tooling.publish.events.entry_size). An entry larger than the limit on its own is refused before sending.
- A partial failure (some entries carry ErrorCode) resends only those entries, and only for retryable
  codes, with exponential backoff and full jitter, up to `max_attempts` sends per entry. A whole-call error
  (throttling, 5xx, connection trouble) is retried the same way. An accepted entry is never resent.
  A whole-call error about the request's content (ValidationException) is narrowed down by sending that
  batch's entries one by one, so only the offending entry fails. Any other whole-call error that retrying
  cannot fix (access denied, missing bus, bad credentials) stops the run: nothing more is sent, and if
  nothing was accepted yet the error itself is raised.
- Calls run on up to `concurrency` sender threads (more join only while calls wait on the network), each
  drawing its next batch from the input when it is free, so entries are drawn lazily and a million
  generated events never sit in memory at once.
- Ctrl-C stops cleanly: no new call starts, retry waits end, calls on the wire finish and are counted, and
  the summary says what was and was not published (interrupted=True).

Every input entry ends up exactly once in the summary: accepted, or in `failures` with its index (its
position in the input). Entries never drawn from the input after a stop are reported as one "NotSent"
record at the first such index; `failed` still counts every one of them when `total` is known.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tooling.publish.bus import Bus, Entry, Result
from tooling.publish.events import entry_size

MAX_ENTRIES_PER_CALL = 10
# How often the calling thread collects finished batches (progress, the summary's counts); senders never wait
# for it.
OUTCOME_INTERVAL = 0.05
# Another sender thread joins after this many calls in a row took more than WAIT_FACTOR times the CPU they
# used (they waited on the network, a backoff or the rate limit). See _Senders.
WAIT_FACTOR = 4.0
WAITING_CALLS = 3
DEFAULT_MAX_REQUEST_BYTES = 256 * 1024

# Per-entry ErrorCodes and whole-call error codes that succeed when tried again later.
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "InternalFailure",
        "InternalException",
        "InternalServerError",
        "InternalServiceError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)

# Whole-call errors caused by the request's content rather than by the caller or the bus: the batch is split
# so that only the offending entry fails (a failed call accepted none of its entries, so none is sent twice).
# Any other non-retryable whole-call error (access denied, missing bus, bad credentials) stops the run.
REQUEST_CODES = frozenset({"ValidationException", "ParamValidationError", "SerializationException"})

ProgressCallback = Callable[[int, int], None]
"""Called from the calling thread with (newly accepted, newly failed) counts as batches complete."""


@dataclass(frozen=True)
class PublishFailure:
    index: int
    code: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "code": self.code, "message": self.message}


@dataclass
class PublishSummary:
    published: int
    failed: int
    seconds: float
    events_per_second: float
    failures: list[PublishFailure] = field(default_factory=list)
    # Not part of the JSON shape: how the run ended, for the CLI's exit code.
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.interrupted

    def as_json(self) -> dict[str, Any]:
        """Exactly the documented `--json` object."""
        return {
            "published": self.published,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.events_per_second, 1),
            "failures": [f.as_json() for f in self.failures],
        }


@dataclass(frozen=True)
class PublishSettings:
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_attempts: int = 8
    concurrency: int = 4
    rate: float | None = None  # events per second across all threads; None = as fast as the bus takes them
    trace_header: str | None = None  # X-Ray trace header set on entries that carry none
    base_delay: float = 0.1
    max_delay: float = 5.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be positive")


# -- batching ------------------------------------------------------------------------------------------------

Indexed = tuple[int, Entry]


def plan_batches(
    entries: Iterable[Indexed], max_request_bytes: int, max_count: int = MAX_ENTRIES_PER_CALL
) -> Iterator[list[Indexed] | PublishFailure]:
    """Group (index, entry) pairs into batches by count and by size, keeping input order; yield a failure
    for each entry that alone exceeds the limit. Lazy: a batch is yielded once the next entry would not fit.
    Everything yielded so far covers a contiguous prefix of the input."""
    batch: list[Indexed] = []
    batch_bytes = 0
    for index, entry in entries:
        size = entry_size(entry)
        too_large = size > max_request_bytes
        if batch and (too_large or len(batch) >= max_count or batch_bytes + size > max_request_bytes):
            yield batch
            batch, batch_bytes = [], 0
        if too_large:
            yield PublishFailure(
                index,
                "EntryTooLarge",
                f"entry is {size} bytes (Source + DetailType + Detail + Resources, +14 with Time); the "
                f"request limit is {max_request_bytes} bytes: put large payloads in S3 and send a reference",
            )
            continue
        batch.append((index, entry))
        batch_bytes += size
    if batch:
        yield batch


# -- errors --------------------------------------------------------------------------------------------------


def classify(exc: BaseException) -> tuple[str, str, bool]:
    """(code, message, retryable) for an exception raised by Bus.put_events.

    botocore's ClientError is recognised by its `response` (no botocore import, so any Bus may raise it);
    connection trouble is botocore's ConnectionError/HTTPClientError family or the builtin OSError family.
    """
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        error = response["Error"]
        code = str(error.get("Code") or "Unknown")
        message = str(error.get("Message") or exc)
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return code, message, code in RETRYABLE_CODES or status >= 500 or status == 429
    botocore_transport = any(
        cls.__module__.startswith("botocore") and cls.__name__ in ("ConnectionError", "HTTPClientError")
        for cls in type(exc).__mro__
    )
    if botocore_transport or isinstance(exc, OSError):
        return type(exc).__name__, str(exc), True
    return type(exc).__name__, str(exc), False


class _RateLimiter:
    """Spaces sends so the long-run rate stays at `rate` events/s across threads (no initial burst)."""

    def __init__(self, rate: float, stop: threading.Event) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()
        self._stop = stop

    def acquire(self, events: int) -> bool:
        """Wait for the slot of `events` events; False when stopped meanwhile."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + events * self._interval
        delay = start - time.monotonic()
        return not (delay > 0 and self._stop.wait(delay))


@dataclass
class _BatchOutcome:
    accepted: int = 0
    failures: list[PublishFailure] = field(default_factory=list)
    fatal: BaseException | None = None


class Publisher:
    """One publishing run's engine. Use `publish(...)` unless you need the pieces."""

    def __init__(self, bus: Bus, settings: PublishSettings, *, rng: random.Random | None = None) -> None:
        self.bus = bus
        self.settings = settings
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self.stop = threading.Event()
        self._limiter = _RateLimiter(settings.rate, self.stop) if settings.rate else None

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max_delay, base * 2**(attempt-1))]."""
        ceiling = min(self.settings.max_delay, self.settings.base_delay * 2 ** (attempt - 1))
        with self._rng_lock:
            return self._rng.uniform(0, ceiling)

    def send_batch(self, batch: list[Indexed]) -> _BatchOutcome:
        """Send one batch until every entry is accepted or finally failed. Runs on a worker thread."""
        outcome = _BatchOutcome()
        pending = batch
        attempt = 0
        last: dict[int, tuple[str, str]] = {}
        while pending:
            attempt += 1
            if self.stop.is_set():  # queued behind the stop: never reaches the wire
                break
            if self._limiter is not None and not self._limiter.acquire(len(pending)):
                break
            retry: list[Indexed] = []
            try:
                results = self.bus.put_events([entry for _, entry in pending])
            except Exception as exc:  # any Bus may raise anything; classify() decides what it means
                code, message, retryable = classify(exc)
                if not retryable and code in REQUEST_CODES:
                    if len(pending) == 1:
                        outcome.failures.append(PublishFailure(pending[0][0], code, message))
                    else:
                        for single in pending:
                            _merge(outcome, self.send_batch([single]))
                    return outcome
                if not retryable:
                    self.stop.set()  # at once, so batches queued behind this one are not sent
                    outcome.failures += [PublishFailure(i, code, message) for i, _ in pending]
                    outcome.fatal = exc
                    return outcome
                last.update({i: (code, message) for i, _ in pending})
                retry = pending
            else:
                retry = self._sort_results(pending, results, outcome, last)
            pending = retry
            if not pending:
                break
            if attempt >= self.settings.max_attempts:
                outcome.failures += [
                    PublishFailure(i, last[i][0], f"{last[i][1]} (gave up after {attempt} attempts)")
                    for i, _ in pending
                ]
                return outcome
            if self.stop.wait(self.backoff(attempt)):
                break
        if pending:  # stopped while waiting to (re)send
            outcome.failures += [_not_sent(i, last.get(i)) for i, _ in pending]
        return outcome

    def _sort_results(
        self,
        pending: list[Indexed],
        results: list[Result],
        outcome: _BatchOutcome,
        last: dict[int, tuple[str, str]],
    ) -> list[Indexed]:
        if len(results) != len(pending):
            # The response cannot be matched to entries: resending could duplicate, so report them all.
            message = f"bus answered {len(results)} results for {len(pending)} entries"
            outcome.failures += [PublishFailure(i, "InvalidResponse", message) for i, _ in pending]
            return []
        retry: list[Indexed] = []
        for (index, entry), result in zip(pending, results, strict=True):
            if result.get("EventId"):
                outcome.accepted += 1
                continue
            code = str(result.get("ErrorCode") or "Unknown")
            message = str(result.get("ErrorMessage") or "no message")
            if code in RETRYABLE_CODES:
                last[index] = (code, message)
                retry.append((index, entry))
            else:
                outcome.failures.append(PublishFailure(index, code, message))
        return retry

    def run(
        self, entries: Iterable[Entry], *, total: int | None = None, progress: ProgressCallback | None = None
    ) -> PublishSummary:
        started = time.perf_counter()
        published = 0
        failures: list[PublishFailure] = []
        fatal: BaseException | None = None
        interrupted = False

        def record(outcome: _BatchOutcome) -> None:
            nonlocal published, fatal
            published += outcome.accepted
            failures.extend(outcome.failures)
            if outcome.fatal is not None and fatal is None:
                fatal = outcome.fatal
                self.stop.set()
            if progress is not None:
                progress(outcome.accepted, len(outcome.failures))

        rate = self.settings.rate
        # Below 10 events/s, smaller batches keep the pace even instead of bursts of 10.
        max_count = min(MAX_ENTRIES_PER_CALL, max(1, int(rate))) if rate else MAX_ENTRIES_PER_CALL
        indexed = ((i, self._with_trace(e)) for i, e in enumerate(entries))
        plan = plan_batches(indexed, self.settings.max_request_bytes, max_count)
        senders = _Senders(self, plan, self.settings.concurrency)
        try:
            try:
                senders.start()
                while senders.running():
                    for outcome in senders.outcomes():
                        record(outcome)
            except KeyboardInterrupt:
                interrupted = True
                self.stop.set()
        finally:
            # Calls already on the wire finish (retry waits end at once) so their entries are counted.
            senders.join()
        for outcome in senders.outcomes():
            record(outcome)

        if fatal is not None and published == 0:
            raise fatal
        handed = senders.handed
        # With `total` known the untouched tail is plain arithmetic (an interrupt may have closed the input
        # generator mid-entry, so asking it again would say nothing is left).
        has_tail = total > handed if total is not None else not senders.exhausted and senders.more()
        if has_tail:
            reason = "interrupted" if interrupted else f"stopped after {fatal_code(fatal)}"
            count = f"{total - handed} event(s)" if total is not None else "the remaining events"
            failures.append(
                PublishFailure(handed, "NotSent", f"{count} from index {handed} on not sent: {reason}")
            )
        seconds = time.perf_counter() - started
        failures.sort(key=lambda f: f.index)
        failed = (total - published) if total is not None else len(failures)
        return PublishSummary(
            published=published,
            failed=failed,
            seconds=seconds,
            events_per_second=published / seconds if seconds > 0 else 0.0,
            failures=failures,
            interrupted=interrupted,
        )

    def _with_trace(self, entry: Entry) -> Entry:
        if self.settings.trace_header and "TraceHeader" not in entry:
            return {**entry, "TraceHeader": self.settings.trace_header}
        return entry


class _Senders:
    """Up to `concurrency` threads that each draw the next batch from the plan (under one lock, so every entry
    is drawn once and in order), send it and queue its outcome; the calling thread only collects outcomes.

    Why not a pool fed by the calling thread: handing each batch to a pool thread and its result back wakes
    two threads per PutEvents call, and on a fast endpoint those GIL hand-offs cost more CPU than the call.
    Here a thread hands off only when it waits on the network.

    Why not `concurrency` threads from the start: threads only help while calls wait on the network. Against
    an endpoint that answers in well under a millisecond, a second thread in the process costs ~12 µs of
    CPU per event in GIL hand-offs and sends nothing faster; against AWS (tens of milliseconds per call)
    every thread multiplies the rate. So one sender starts, and another joins (up to `concurrency`) each
    time WAITING_CALLS calls in a row took more than WAIT_FACTOR times the CPU they used: every call to a
    remote endpoint does (and throttling backoff and the rate limit's waits), while a local endpoint's calls
    do so only now and then (the process was descheduled). A thread's first call, which opens its
    connection, is not counted.
    """

    def __init__(
        self, publisher: Publisher, plan: Iterator[list[Indexed] | PublishFailure], concurrency: int
    ) -> None:
        self._publisher = publisher
        self._plan = plan
        self._limit = concurrency
        self._lock = threading.Lock()
        self._done: queue.SimpleQueue[_BatchOutcome] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._waiting = 0  # calls in a row that mostly waited, under _lock
        self.handed = 0  # entries [0, handed) have been drawn by a sender or refused
        self.exhausted = False

    def start(self) -> None:
        with self._lock:
            self._add()

    def _add(self) -> None:  # under _lock
        thread = threading.Thread(target=self._send, name=f"publish-{len(self._threads)}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def running(self) -> bool:
        """Wait a moment for outcomes; False once every sender has ended."""
        with self._lock:
            alive = next((thread for thread in self._threads if thread.is_alive()), None)
        if alive is None:
            return False
        alive.join(OUTCOME_INTERVAL)
        return True

    def outcomes(self) -> Iterator[_BatchOutcome]:
        while True:
            try:
                yield self._done.get_nowait()
            except queue.Empty:
                return

    def join(self) -> None:
        while self.running():
            pass

    def more(self) -> bool:
        with self._lock:
            return next(self._plan, None) is not None

    def _next(self) -> list[Indexed] | None:
        with self._lock:
            while not self.exhausted and not self._publisher.stop.is_set():
                item = next(self._plan, None)
                if item is None:
                    self.exhausted = True
                elif isinstance(item, PublishFailure):
                    self.handed = item.index + 1
                    self._done.put(_BatchOutcome(failures=[item]))
                else:
                    self.handed = item[-1][0] + 1
                    return item
            return None

    def _send(self) -> None:
        first = True
        while (batch := self._next()) is not None:
            wall, cpu = time.perf_counter(), time.thread_time()
            self._done.put(self._publisher.send_batch(batch))
            if not first:
                self._observe(time.perf_counter() - wall > WAIT_FACTOR * (time.thread_time() - cpu))
            first = False

    def _observe(self, waited: bool) -> None:
        with self._lock:
            self._waiting = self._waiting + 1 if waited else 0
            if (
                self._waiting >= WAITING_CALLS
                and len(self._threads) < self._limit
                and not self.exhausted
                and not self._publisher.stop.is_set()
            ):
                self._waiting = 0
                self._add()


def _merge(into: _BatchOutcome, part: _BatchOutcome) -> None:
    into.accepted += part.accepted
    into.failures += part.failures
    into.fatal = into.fatal or part.fatal


def fatal_code(exc: BaseException | None) -> str:
    return classify(exc)[0] if exc is not None else "a stop request"


def _not_sent(index: int, last: tuple[str, str] | None) -> PublishFailure:
    detail = f" (last error {last[0]}: {last[1]})" if last else ""
    return PublishFailure(index, "NotSent", f"not published: stopped before it was sent{detail}")


def publish(
    bus: Bus,
    entries: Iterable[Entry],
    settings: PublishSettings | None = None,
    *,
    total: int | None = None,
    progress: ProgressCallback | None = None,
    rng: random.Random | None = None,
) -> PublishSummary:
    """Publish `entries` (any iterable, consumed lazily) and account for every one of them."""
    return Publisher(bus, settings or PublishSettings(), rng=rng).run(entries, total=total, progress=progress)


__all__ = [
    "MAX_ENTRIES_PER_CALL",
    "RETRYABLE_CODES",
    "PublishFailure",
    "PublishSettings",
    "PublishSummary",
    "Publisher",
    "classify",
    "plan_batches",
    "publish",
]
