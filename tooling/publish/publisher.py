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
- Ctrl-C comes in two steps (`Interrupts`). The first stops the run: no new call starts, retry waits end,
  and the calls on the wire are awaited, so their entries are counted as the bus answered. The second stops
  waiting: the entries of calls still on the wire are reported unknown. The summary says interrupted=True.
- With a deadline (`publish load --duration`) no call starts after it; calls on the wire finish and are
  counted, and entries the deadline left unsent are `unsent`, not failed.

Every input entry ends up exactly once in the summary: published (counted), failed (in `failures`, each
record covering `count` entries from its index), unknown (in `unknown_events`: a call with it got no answer,
so the bus may have accepted it; its ids let a re-send skip it), or unsent by the deadline. An entry the bus
may have accepted is never reported failed. Entries never drawn from the input after a stop are one
"NotSent" record at the first such index, whose count is the rest of `total`.
"""

from __future__ import annotations

import queue
import random
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tooling.aws_limits import PUT_EVENTS_REQUEST_BYTES
from tooling.publish.bus import Bus, Entry, Result
from tooling.publish.events import entry_size
from tooling.publish.schemas import event_ids

MAX_ENTRIES_PER_CALL = 10
# How often the calling thread collects finished batches (progress, the summary's counts); senders never wait
# for it.
OUTCOME_INTERVAL = 0.05
# Another sender thread joins after this many calls in a row took more than WAIT_FACTOR times the CPU they
# used (they waited on the network, a backoff or the rate limit). See _Senders.
WAIT_FACTOR = 4.0
WAITING_CALLS = 3
DEFAULT_MAX_REQUEST_BYTES = PUT_EVENTS_REQUEST_BYTES
# After the first Ctrl-C, calls still on the wire this long are announced (with how to stop waiting).
WAIT_NOTICE_AFTER = 0.5

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

# Transport errors raised before the request left (no connection was made): the bus cannot have seen it.
# Every other transport error may have come after the bus read the request, so its entries are in doubt.
_NOT_SENT_ERRORS = frozenset(
    {"ConnectionRefusedError", "gaierror", "EndpointConnectionError", "ConnectTimeoutError"}
)

ProgressCallback = Callable[[int, int], None]
"""Called from the calling thread with (newly accepted, newly failed) counts as batches complete."""
NoticeCallback = Callable[[str], None]
"""Called from the calling thread with a line for the person at the terminal (e.g. what an interrupt waits
for)."""


@dataclass(frozen=True)
class PublishFailure:
    """Entries [index, index + count) that were not published: the bus refused them or never got them."""

    index: int
    code: str
    message: str
    count: int = 1

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "count": self.count, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class PublishUnknown:
    """Entries [index, index + count) whose PutEvents call got no answer: the bus may have accepted them.
    `ids` (one entry only) are the event's own ids (idempotencyKey, orderId, ...) so a re-send can skip it."""

    index: int
    reason: str
    ids: dict[str, str] = field(default_factory=dict)
    count: int = 1

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "count": self.count, "reason": self.reason, "ids": self.ids}


@dataclass
class PublishSummary:
    published: int
    failed: int
    seconds: float
    events_per_second: float
    failures: list[PublishFailure] = field(default_factory=list)
    # Not part of the JSON shape: how the run ended, for the CLI's exit code.
    interrupted: bool = False
    unknown: int = 0
    unknown_events: list[PublishUnknown] = field(default_factory=list)
    # What the run was asked to send; published + failed + unknown + unsent == requested.
    requested: int = 0
    # Entries a deadline (publish load's --duration) left unsent: neither sent nor failed.
    unsent: int = 0

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.unknown == 0 and not self.interrupted

    def as_json(self) -> dict[str, Any]:
        """Exactly the documented `--json` object."""
        return {
            "requested": self.requested,
            "published": self.published,
            "failed": self.failed,
            "unknown": self.unknown,
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.events_per_second, 1),
            "failures": [f.as_json() for f in self.failures],
            "unknown_events": [u.as_json() for u in self.unknown_events],
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
    # time.monotonic() after which no call starts (publish load's --duration); None = no deadline.
    deadline: float | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be positive")


class Interrupts:
    """Ctrl-C presses, counted. `press()` only counts (safe in a signal handler, where taking a lock the
    interrupted code holds would deadlock); the run's calling thread acts on the count: one press stops the
    run and waits for the calls on the wire, two stop the waiting."""

    def __init__(self) -> None:
        self.pressed = 0

    def press(self) -> None:
        self.pressed += 1

    @contextmanager
    def on_sigint(self, enabled: bool = True) -> Iterator[None]:
        """Count SIGINT as presses instead of raising KeyboardInterrupt, for the duration. Only the main
        thread can install a handler (and only it receives KeyboardInterrupt), so elsewhere this does nothing."""
        if not enabled or threading.current_thread() is not threading.main_thread():
            yield
            return
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # e.g. a background job: SIGINT stays ignored
            yield
            return
        previous = signal.signal(signal.SIGINT, lambda signum, frame: self.press())
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


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
    if _transport(exc):
        return type(exc).__name__, str(exc), True
    return type(exc).__name__, str(exc), False


def _transport(exc: BaseException) -> bool:
    botocore_transport = any(
        cls.__module__.startswith("botocore") and cls.__name__ in ("ConnectionError", "HTTPClientError")
        for cls in type(exc).__mro__
    )
    return botocore_transport or isinstance(exc, OSError)


def unanswered(exc: BaseException) -> bool:
    """True when the call may have reached the bus but its answer was lost (a connection dropped or timed
    out after the request left, or an answer that cannot be read): the bus may have accepted its entries."""
    if any(cls.__name__ == "InvalidResponseError" for cls in type(exc).__mro__):
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    return _transport(exc) and not names & _NOT_SENT_ERRORS


class _RateLimiter:
    """Spaces sends so the long-run rate stays at `rate` events/s across threads (no initial burst)."""

    def __init__(self, rate: float, stop: threading.Event, deadline: float | None) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()
        self._stop = stop
        self._deadline = deadline

    def acquire(self, events: int) -> bool:
        """Wait for the slot of `events` events; False when stopped meanwhile or the slot is past the
        deadline (then it is not waited for)."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            if self._deadline is not None and start >= self._deadline:
                return False
            self._next = start + events * self._interval
        delay = start - time.monotonic()
        return not (delay > 0 and self._stop.wait(delay))


@dataclass
class _BatchOutcome:
    accepted: int = 0
    failures: list[PublishFailure] = field(default_factory=list)
    unknown: list[PublishUnknown] = field(default_factory=list)
    unsent: int = 0  # entries the deadline kept from ever being sent
    fatal: BaseException | None = None


@dataclass(eq=False)
class _Flight:
    """One batch on its way, as its sender last recorded it under Publisher._lock: what is settled
    (`outcome`), what is in the PutEvents call now (`wire`), what waits to be (re)sent (`waiting`), and which
    entries were in a call that got no answer (`doubt`: index -> the error). The calling thread reads it to
    report a batch it stops waiting for (`abandoned`); the sender then discards its own account."""

    outcome: _BatchOutcome = field(default_factory=_BatchOutcome)
    wire: list[Indexed] = field(default_factory=list)
    waiting: dict[int, Entry] = field(default_factory=dict)
    doubt: dict[int, str] = field(default_factory=dict)
    abandoned: bool = False

    def snapshot(self) -> _BatchOutcome:
        """The account of the flight if nothing more is heard from it."""
        wire_reason = "its PutEvents call was on the wire when the run stopped waiting for it: it may have been accepted"
        unknown = [PublishUnknown(i, wire_reason, event_ids(e)) for i, e in self.wire]
        failures: list[PublishFailure] = []
        for index, entry in self.waiting.items():
            if index in self.doubt:
                unknown.append(PublishUnknown(index, _doubt_reason(self.doubt[index]), event_ids(entry)))
            else:
                failures.append(_not_sent(index, None))
        outcome = self.outcome
        return _BatchOutcome(
            outcome.accepted,
            outcome.failures + failures,
            outcome.unknown + unknown,
            outcome.unsent,
            outcome.fatal,
        )


class Publisher:
    """One publishing run's engine. Use `publish(...)` unless you need the pieces.

    `sigint=False` leaves SIGINT alone (a worker process whose parent drives `interrupts` instead)."""

    def __init__(
        self,
        bus: Bus,
        settings: PublishSettings,
        *,
        rng: random.Random | None = None,
        interrupts: Interrupts | None = None,
        sigint: bool = True,
    ) -> None:
        self.bus = bus
        self.settings = settings
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self.stop = threading.Event()
        self.interrupts = interrupts or Interrupts()
        self._sigint = sigint
        self._limiter = _RateLimiter(settings.rate, self.stop, settings.deadline) if settings.rate else None
        # Guards every _Flight and the set of flights in progress (senders record into them, the calling
        # thread may abandon them).
        self._lock = threading.Lock()
        self._flights: set[_Flight] = set()
        # The rate limiter has no slot left before the deadline: nothing more is drawn or sent.
        self._out_of_time = False

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max_delay, base * 2**(attempt-1))]."""
        ceiling = min(self.settings.max_delay, self.settings.base_delay * 2 ** (attempt - 1))
        with self._rng_lock:
            return self._rng.uniform(0, ceiling)

    def _expired(self) -> bool:
        deadline = self.settings.deadline
        return deadline is not None and (self._out_of_time or time.monotonic() >= deadline)

    # -- one batch, on a sender thread ---------------------------------------------------------------------

    def begin(self, batch: list[Indexed]) -> _Flight:
        flight = _Flight(waiting=dict(batch))
        with self._lock:
            self._flights.add(flight)
        return flight

    def fly(self, flight: _Flight, deliver: Callable[[_BatchOutcome], None]) -> None:
        """Send the flight's batch until every entry is settled, then hand its outcome to `deliver` (unless
        the calling thread abandoned it meanwhile and reported it itself)."""
        self._send(flight, list(flight.waiting.items()), sent_before=False)
        with self._lock:
            self._flights.discard(flight)
            if not flight.abandoned:
                # Everything is settled by now; the snapshot would still account for anything that was not.
                deliver(flight.snapshot())

    def _send(self, flight: _Flight, group: list[Indexed], *, sent_before: bool) -> None:
        """Send `group` (entries waiting in `flight`) until each is accepted, failed, or unknown."""
        pending = group
        attempt = 0
        last: dict[int, tuple[str, str]] = {}
        outcome = flight.outcome
        while pending:
            attempt += 1
            sent = sent_before or attempt > 1
            if self.stop.is_set():  # queued behind the stop: never reaches the wire
                break
            if self._limiter is not None and not self._limiter.acquire(len(pending)):
                self._out_of_time = not self.stop.is_set()
                break
            if self._expired():
                break
            with self._lock:
                # Checked under the lock: once the calling thread reported this flight, nothing more is sent.
                if flight.abandoned:
                    return
                stopped = self.stop.is_set()
                if not stopped:
                    for index, _ in pending:
                        del flight.waiting[index]
                    flight.wire = pending
            if stopped:  # since the check above: settled below like any entry queued behind the stop
                break
            try:
                results = self.bus.put_events([entry for _, entry in pending])
            except Exception as exc:  # any Bus may raise anything; classify() decides what it means
                code, message, retryable = classify(exc)
                with self._lock:
                    if flight.abandoned:
                        return
                    flight.wire = []
                    if unanswered(exc):
                        flight.doubt.update({i: f"{code}: {message}" for i, _ in pending})
                    if not retryable and code in REQUEST_CODES and len(pending) > 1:
                        flight.waiting.update(pending)
                    elif not retryable:
                        if code not in REQUEST_CODES:
                            self.stop.set()  # at once, so batches queued behind this one are not sent
                            outcome.fatal = exc
                        self._settle_failed(flight, pending, code, message)
                        return
                    else:
                        last.update({i: (code, message) for i, _ in pending})
                        flight.waiting.update(pending)
                if not retryable:  # the request's content: narrow it down to the offending entry
                    for single in pending:
                        self._send(flight, [single], sent_before=True)
                    return
                retry = pending
            else:
                with self._lock:
                    if flight.abandoned:
                        return
                    flight.wire = []
                    retry = self._sort_results(flight, pending, results, last)
                    flight.waiting.update(retry)
            pending = retry
            if not pending:
                break
            if attempt >= self.settings.max_attempts:
                with self._lock:
                    for index, entry in pending:
                        del flight.waiting[index]
                        code, message = last[index]
                        if index in flight.doubt:
                            outcome.unknown.append(
                                PublishUnknown(index, _doubt_reason(flight.doubt[index]), event_ids(entry))
                            )
                        else:
                            outcome.failures.append(
                                PublishFailure(index, code, f"{message} (gave up after {attempt} attempts)")
                            )
                return
            if self.stop.wait(self._wait(self.backoff(attempt))):
                break
        if pending:  # stopped, or out of time, before it was (re)sent
            with self._lock:
                if flight.abandoned:
                    return
                for index, entry in pending:
                    del flight.waiting[index]
                    if not sent and not self.stop.is_set():
                        outcome.unsent += 1  # the deadline came first: never sent, not a failure
                    elif index in flight.doubt:
                        outcome.unknown.append(
                            PublishUnknown(index, _doubt_reason(flight.doubt[index]), event_ids(entry))
                        )
                    else:
                        outcome.failures.append(
                            _not_sent(index, last.get(index), expired=not self.stop.is_set())
                        )

    def _wait(self, delay: float) -> float:
        """A backoff delay, cut at the deadline (the next attempt then sees the run is out of time)."""
        deadline = self.settings.deadline
        return delay if deadline is None else max(0.0, min(delay, deadline - time.monotonic()))

    def _settle_failed(self, flight: _Flight, pending: list[Indexed], code: str, message: str) -> None:
        """Entries refused by a whole-call error retrying cannot fix (under _lock). An entry that was in an
        earlier call without an answer may have been accepted then: unknown, not failed."""
        for index, entry in pending:
            flight.waiting.pop(index, None)
            if index in flight.doubt and code not in REQUEST_CODES:
                flight.outcome.unknown.append(
                    PublishUnknown(index, _doubt_reason(flight.doubt[index]), event_ids(entry))
                )
            else:
                flight.outcome.failures.append(PublishFailure(index, code, message))

    def _sort_results(
        self,
        flight: _Flight,
        pending: list[Indexed],
        results: list[Result],
        last: dict[int, tuple[str, str]],
    ) -> list[Indexed]:
        """Account for one answer (under _lock); return the entries to resend."""
        outcome = flight.outcome
        if len(results) != len(pending):
            # The answer cannot be matched to entries: any of them may have been accepted, so none is resent.
            reason = f"the bus answered {len(results)} results for {len(pending)} entries"
            outcome.unknown += [
                PublishUnknown(i, f"{reason}: it may have been accepted", event_ids(e)) for i, e in pending
            ]
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
            else:  # refused for what it holds: it was refused the same way by any earlier call
                outcome.failures.append(PublishFailure(index, code, message))
        return retry

    def _abandon(self, senders: _Senders) -> list[_BatchOutcome]:
        """Stop waiting for the calls on the wire: every flight in progress is reported as it stands (its
        entries on the wire unknown), and its sender's own account, should it come, is discarded."""
        with senders.lock, self._lock:  # senders.lock: no batch is being drawn (and registered) meanwhile
            flights, self._flights = self._flights, set()
            for flight in flights:
                flight.abandoned = True
            return [flight.snapshot() for flight in flights]

    def _on_the_wire(self) -> int:
        with self._lock:
            return sum(1 for flight in self._flights if flight.wire)

    # -- the run, on the calling thread --------------------------------------------------------------------

    def run(
        self,
        entries: Iterable[Entry],
        *,
        total: int | None = None,
        progress: ProgressCallback | None = None,
        notice: NoticeCallback | None = None,
    ) -> PublishSummary:
        started = time.perf_counter()
        published = unsent = 0
        failures: list[PublishFailure] = []
        unknown: list[PublishUnknown] = []
        fatal: BaseException | None = None
        interrupts = self.interrupts

        def record(outcome: _BatchOutcome) -> None:
            nonlocal published, unsent, fatal
            published += outcome.accepted
            unsent += outcome.unsent
            failures.extend(outcome.failures)
            unknown.extend(outcome.unknown)
            if outcome.fatal is not None and fatal is None:
                fatal = outcome.fatal
                self.stop.set()
            if progress is not None:
                progress(outcome.accepted, len(outcome.failures) + len(outcome.unknown))

        rate = self.settings.rate
        # Below 10 events/s, smaller batches keep the pace even instead of bursts of 10.
        max_count = min(MAX_ENTRIES_PER_CALL, max(1, int(rate))) if rate else MAX_ENTRIES_PER_CALL
        indexed = ((i, self._with_trace(e)) for i, e in enumerate(entries))
        plan = plan_batches(indexed, self.settings.max_request_bytes, max_count)
        senders = _Senders(self, plan, self.settings.concurrency)
        stopped_at: float | None = None
        announced = False
        with interrupts.on_sigint(self._sigint):
            try:
                senders.start()
                while True:
                    try:
                        if not senders.running():
                            break
                        for outcome in senders.outcomes():
                            record(outcome)
                    except KeyboardInterrupt:  # raised by a progress callback, or Ctrl-C off the main thread
                        interrupts.press()
                    if not interrupts.pressed:
                        continue
                    if stopped_at is None:
                        stopped_at = time.monotonic()
                        self.stop.set()
                    if interrupts.pressed > 1:
                        for outcome in self._abandon(senders):
                            record(outcome)
                        break
                    if (
                        not announced
                        and notice is not None
                        and time.monotonic() - stopped_at > WAIT_NOTICE_AFTER
                    ):
                        announced = True
                        calls = self._on_the_wire()
                        if calls:
                            notice(
                                f"interrupted: waiting for {calls} PutEvents call(s) on the wire so that their "
                                "events are counted; Ctrl-C again stops waiting (they are reported unknown)"
                            )
            except BaseException:
                # Not an interrupt (those are counted above): a bug or a failing callback. Stop sending, and
                # let the calls on the wire end before the error propagates.
                self.stop.set()
                senders.join()
                raise
        for outcome in senders.outcomes():
            record(outcome)

        interrupted = interrupts.pressed > 0
        if fatal is not None and published == 0 and not unknown:
            raise fatal
        handed = senders.handed
        # With `total` known the untouched tail is plain arithmetic (an interrupt may have closed the input
        # generator mid-entry, so asking it again would say nothing is left).
        if senders.expired:  # the deadline stopped the drawing: the rest was never due
            unsent += total - handed if total is not None else 0
        elif (total is not None and total > handed) or (
            total is None and not senders.exhausted and senders.more()
        ):
            reason = "interrupted" if interrupted else f"stopped after {fatal_code(fatal)}"
            rest = total - handed if total is not None else None
            count = f"{rest} event(s)" if rest is not None else "the remaining events"
            failures.append(
                PublishFailure(
                    handed, "NotSent", f"{count} from index {handed} on not sent: {reason}", count=rest or 1
                )
            )
        seconds = time.perf_counter() - started
        failures.sort(key=lambda f: f.index)
        unknown.sort(key=lambda u: u.index)
        failed = sum(f.count for f in failures)
        unknown_count = sum(u.count for u in unknown)
        return PublishSummary(
            published=published,
            failed=failed,
            seconds=seconds,
            events_per_second=published / seconds if seconds > 0 else 0.0,
            failures=failures,
            interrupted=interrupted,
            unknown=unknown_count,
            unknown_events=unknown,
            requested=total if total is not None else published + failed + unknown_count + unsent,
            unsent=unsent,
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
        self.lock = threading.Lock()
        self._done: queue.SimpleQueue[_BatchOutcome] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._waiting = 0  # calls in a row that mostly waited, under lock
        self.handed = 0  # entries [0, handed) have been drawn by a sender or refused
        self.exhausted = False
        self.expired = False  # drawing stopped at the deadline

    def start(self) -> None:
        with self.lock:
            self._add()

    def _add(self) -> None:  # under lock
        thread = threading.Thread(target=self._send, name=f"publish-{len(self._threads)}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def running(self) -> bool:
        """Wait a moment for outcomes; False once every sender has ended."""
        with self.lock:
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
        with self.lock:
            return next(self._plan, None) is not None

    def _next(self) -> _Flight | None:
        publisher = self._publisher
        with self.lock:
            while not self.exhausted and not publisher.stop.is_set():
                if publisher._expired():
                    self.expired = True
                    return None
                item = next(self._plan, None)
                if item is None:
                    self.exhausted = True
                elif isinstance(item, PublishFailure):
                    self.handed = item.index + 1
                    self._done.put(_BatchOutcome(failures=[item]))
                else:
                    self.handed = item[-1][0] + 1
                    # Registered while the lock is held, so an abandoning caller sees every drawn batch.
                    return publisher.begin(item)
            return None

    def _send(self) -> None:
        first = True
        while (flight := self._next()) is not None:
            wall, cpu = time.perf_counter(), time.thread_time()
            self._publisher.fly(flight, self._done.put)
            if not first:
                self._observe(time.perf_counter() - wall > WAIT_FACTOR * (time.thread_time() - cpu))
            first = False

    def _observe(self, waited: bool) -> None:
        with self.lock:
            self._waiting = self._waiting + 1 if waited else 0
            if (
                self._waiting >= WAITING_CALLS
                and len(self._threads) < self._limit
                and not self.exhausted
                and not self._publisher.stop.is_set()
            ):
                self._waiting = 0
                self._add()


def fatal_code(exc: BaseException | None) -> str:
    return classify(exc)[0] if exc is not None else "a stop request"


def _doubt_reason(error: str) -> str:
    return f"a PutEvents call with it got no answer ({error}): it may have been accepted"


def _not_sent(index: int, last: tuple[str, str] | None, *, expired: bool = False) -> PublishFailure:
    detail = f" (last error {last[0]}: {last[1]})" if last else ""
    # At the deadline only an entry already tried fails (one never tried is unsent, not failed).
    when = "the run's duration ended before a resend" if expired else "stopped before it was sent"
    return PublishFailure(index, "NotSent", f"not published: {when}{detail}")


def publish(
    bus: Bus,
    entries: Iterable[Entry],
    settings: PublishSettings | None = None,
    *,
    total: int | None = None,
    progress: ProgressCallback | None = None,
    notice: NoticeCallback | None = None,
    rng: random.Random | None = None,
    interrupts: Interrupts | None = None,
) -> PublishSummary:
    """Publish `entries` (any iterable, consumed lazily) and account for every one of them. `interrupts`:
    presses counted before the run (a caller that takes SIGINT earlier) stop it at once."""
    return Publisher(bus, settings or PublishSettings(), rng=rng, interrupts=interrupts).run(
        entries, total=total, progress=progress, notice=notice
    )


__all__ = [
    "MAX_ENTRIES_PER_CALL",
    "RETRYABLE_CODES",
    "Interrupts",
    "PublishFailure",
    "PublishSettings",
    "PublishSummary",
    "PublishUnknown",
    "Publisher",
    "classify",
    "plan_batches",
    "publish",
    "unanswered",
]
