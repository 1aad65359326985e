"""The publishing engine against scripted in-memory buses: batching, retries, concurrency, stops."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from hypothesis import given, settings
from hypothesis import strategies as st

from tooling.publish.publisher import Publisher, PublishSettings, classify, plan_batches, publish

Entry = dict[str, Any]
Result = dict[str, Any]
FAST = PublishSettings(base_delay=0, max_delay=0, concurrency=2)


def entries(count: int, detail_bytes: int = 0) -> list[Entry]:
    return [
        {"Source": "t.src", "DetailType": "T", "Detail": json.dumps({"n": i, "pad": "x" * detail_bytes})}
        for i in range(count)
    ]


def number(entry: Entry) -> int:
    return int(json.loads(entry["Detail"])["n"])


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} happened"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "PutEvents",
    )


class ScriptedBus:
    """Answers each entry through `decide(n, attempt_of_n)`: None accepts, a code fails it.
    `whole(call_number)` may return an exception to raise for the whole call."""

    def __init__(
        self,
        decide: Callable[[int, int], str | None] = lambda n, a: None,
        whole: Callable[[int], Exception | None] = lambda c: None,
        delay: float = 0.0,
    ) -> None:
        self.decide = decide
        self.whole = whole
        self.delay = delay
        self.lock = threading.Lock()
        self.calls: list[list[int]] = []
        self.accepted: Counter[int] = Counter()
        self.attempts: Counter[int] = Counter()
        self.active = 0
        self.max_active = 0

    def put_events(self, batch: list[Entry]) -> list[Result]:
        with self.lock:
            self.calls.append([number(e) for e in batch])
            call = len(self.calls)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            error = self.whole(call)
            if error is not None:
                raise error
            results: list[Result] = []
            with self.lock:
                for entry in batch:
                    n = number(entry)
                    self.attempts[n] += 1
                    code = self.decide(n, self.attempts[n])
                    if code is None:
                        self.accepted[n] += 1
                        results.append({"EventId": f"id-{n}"})
                    else:
                        results.append({"ErrorCode": code, "ErrorMessage": f"{code} for {n}"})
            return results
        finally:
            with self.lock:
                self.active -= 1


def test_batches_hold_at_most_ten_entries() -> None:
    bus = ScriptedBus()

    summary = publish(bus, entries(25), FAST, total=25)

    assert sorted(len(c) for c in bus.calls) == [5, 10, 10]
    assert summary.published == 25
    assert summary.failed == 0
    assert summary.ok


def test_batches_split_by_request_size_as_well_as_count() -> None:
    bus = ScriptedBus()
    settings = PublishSettings(max_request_bytes=256 * 1024, base_delay=0, concurrency=1)

    publish(bus, entries(6, detail_bytes=100 * 1024), settings, total=6)

    assert [len(c) for c in bus.calls] == [2, 2, 2]


def test_plan_keeps_every_batch_within_the_limit() -> None:
    sizes = [100, 5000, 40, 9000, 1, 7000, 3000]
    items = [(i, {"Source": "s", "DetailType": "T", "Detail": "x" * n}) for i, n in enumerate(sizes)]

    batches = [b for b in plan_batches(items, max_request_bytes=10_000) if isinstance(b, list)]

    assert [i for b in batches for i, _ in b] == list(range(len(sizes)))
    assert all(sum(len(e["Detail"]) + 2 for _, e in b) <= 10_000 for b in batches)


def test_an_oversized_entry_is_refused_alone_and_the_rest_go() -> None:
    bus = ScriptedBus()
    batch = entries(5)
    # Over EventBridge's 1 MiB entry limit (January 2026; 256 KiB before).
    batch[2] = {"Source": "t.src", "DetailType": "T", "Detail": json.dumps({"n": 2, "pad": "x" * 1_100_000})}

    summary = publish(bus, batch, FAST, total=5)

    assert summary.published == 4
    assert summary.failed == 1
    assert [(f.index, f.code) for f in summary.failures] == [(2, "EntryTooLarge")]
    assert "1048576" in summary.failures[0].message
    assert 2 not in bus.attempts


def test_partial_failures_resend_only_the_failed_entries() -> None:
    bus = ScriptedBus(decide=lambda n, attempt: "ThrottlingException" if n % 3 == 0 and attempt < 3 else None)

    summary = publish(bus, entries(30), FAST, total=30)

    assert summary.published == 30
    assert bus.accepted == Counter(range(30))
    assert all(bus.attempts[n] == (3 if n % 3 == 0 else 1) for n in range(30))


def test_non_retryable_entry_errors_are_reported_once_with_their_code() -> None:
    bus = ScriptedBus(decide=lambda n, attempt: "MalformedDetail" if n == 4 else None)

    summary = publish(bus, entries(10), FAST, total=10)

    assert summary.published == 9
    assert summary.failed == 1
    assert [(f.index, f.code) for f in summary.failures] == [(4, "MalformedDetail")]
    assert bus.attempts[4] == 1


def test_retryable_errors_give_up_after_max_attempts() -> None:
    bus = ScriptedBus(decide=lambda n, attempt: "InternalFailure" if n == 0 else None)
    settings = PublishSettings(max_attempts=4, base_delay=0)

    summary = publish(bus, entries(3), settings, total=3)

    assert bus.attempts[0] == 4
    assert summary.failures[0].code == "InternalFailure"
    assert "gave up after 4 attempts" in summary.failures[0].message
    assert summary.published == 2


def test_whole_call_throttling_and_connection_errors_are_retried() -> None:
    errors: dict[int, Exception] = {
        1: client_error("ThrottlingException", 400),
        2: EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        3: client_error("InternalError", 503),
    }
    bus = ScriptedBus(whole=errors.get)
    settings = PublishSettings(base_delay=0, concurrency=1)

    summary = publish(bus, entries(10), settings, total=10)

    assert summary.published == 10
    assert len(bus.calls) == 4
    assert bus.accepted == Counter(range(10))


def test_a_request_the_bus_refuses_as_invalid_is_narrowed_down_to_the_bad_entry() -> None:
    def refuse_seven(call: int) -> Exception | None:
        return client_error("ValidationException", 400) if 7 in bus.calls[call - 1] else None

    bus = ScriptedBus(whole=refuse_seven)

    summary = publish(bus, entries(25), FAST, total=25)

    assert summary.published == 24
    assert [(f.index, f.code) for f in summary.failures] == [(7, "ValidationException")]
    assert bus.accepted == Counter(n for n in range(25) if n != 7)


def test_a_fatal_error_before_anything_was_accepted_is_raised() -> None:
    bus = ScriptedBus(whole=lambda call: client_error("ResourceNotFoundException", 400))

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        publish(bus, entries(30), FAST, total=30)
    assert len(bus.calls) <= FAST.concurrency


def test_a_fatal_error_after_some_accepted_stops_and_reports_the_rest() -> None:
    bus = ScriptedBus(whole=lambda call: client_error("AccessDeniedException", 400) if call >= 3 else None)
    settings = PublishSettings(base_delay=0, concurrency=1)

    summary = publish(bus, entries(100), settings, total=100)

    assert summary.published == 20
    assert summary.failed == 80
    codes = [f.code for f in summary.failures]
    assert codes.count("AccessDeniedException") == 10
    assert summary.failures[-1].code == "NotSent"
    assert summary.failures[-1].message.endswith("not sent: stopped after AccessDeniedException")
    assert len(bus.calls) <= 4  # the failing call, and at most one batch already queued behind it


def test_a_result_list_of_the_wrong_length_is_reported_unknown_not_resent() -> None:
    class ShortBus:
        calls = 0

        def put_events(self, batch: list[Entry]) -> list[Result]:
            ShortBus.calls += 1
            return [{"EventId": "x"}]

    summary = publish(ShortBus(), entries(3), FAST, total=3)

    assert ShortBus.calls == 1
    assert summary.published == 0
    # The answer cannot say which entries were accepted: none is reported failed (or resent).
    assert summary.failures == [] and summary.unknown == 3
    assert [u.index for u in summary.unknown_events] == [0, 1, 2]
    assert "1 results for 3 entries" in summary.unknown_events[0].reason


def test_concurrency_is_bounded_and_used() -> None:
    bus = ScriptedBus(delay=0.02)
    settings = PublishSettings(concurrency=3, base_delay=0)

    publish(bus, entries(200), settings, total=200)

    assert bus.max_active == 3


def test_senders_are_added_only_while_calls_wait() -> None:
    # A bus that answers at once keeps one sender (more would only hand the GIL around); one whose calls
    # wait (as AWS's do, for tens of milliseconds) gets every thread `concurrency` allows.
    fast, slow = ScriptedBus(), ScriptedBus(delay=0.01)

    publish(fast, entries(500), PublishSettings(concurrency=8), total=500)
    publish(slow, entries(500), PublishSettings(concurrency=8), total=500)

    assert fast.max_active < 8
    assert slow.max_active == 8


def test_progress_is_reported_on_the_calling_thread_and_adds_up() -> None:
    bus = ScriptedBus(decide=lambda n, a: "AccessDeniedException" if n % 50 == 0 else None, delay=0.001)
    threads: set[str] = set()
    counted = [0, 0]

    def progress(accepted: int, failed: int) -> None:
        threads.add(threading.current_thread().name)
        counted[0] += accepted
        counted[1] += failed

    summary = publish(bus, entries(300), PublishSettings(concurrency=3), total=300, progress=progress)

    assert threads == {threading.current_thread().name}
    assert counted == [summary.published, summary.failed] == [294, 6]


def test_rate_limit_spaces_events() -> None:
    bus = ScriptedBus()
    settings = PublishSettings(rate=400, base_delay=0, concurrency=4)

    started = time.perf_counter()
    summary = publish(bus, entries(200), settings, total=200)

    assert time.perf_counter() - started >= 0.45  # 200 events at 400/s, the first slot immediate
    assert summary.published == 200


def test_a_low_rate_uses_small_batches() -> None:
    bus = ScriptedBus()

    publish(bus, entries(4), PublishSettings(rate=50, base_delay=0), total=4)

    assert all(len(c) <= 10 for c in bus.calls)
    publish(bus := ScriptedBus(), entries(4), PublishSettings(rate=2, base_delay=0), total=4)
    assert [len(c) for c in bus.calls] == [2, 2]


def test_ctrl_c_stops_cleanly_and_accounts_for_every_event() -> None:
    bus = ScriptedBus(delay=0.005)
    pressed = False

    def interrupt_after_first_batch(accepted: int, failed: int) -> None:
        nonlocal pressed
        if not pressed:
            pressed = True
            raise KeyboardInterrupt

    summary = Publisher(bus, FAST).run(entries(500), total=500, progress=interrupt_after_first_batch)

    assert summary.interrupted
    assert not summary.ok
    assert summary.published == sum(bus.accepted.values())
    assert summary.published + summary.failed == 500
    assert summary.failures[-1].code == "NotSent"
    assert len(bus.calls) < 50


def test_trace_header_is_set_on_entries_without_one() -> None:
    sent: list[Entry] = []

    class RecordingBus:
        def put_events(self, batch: list[Entry]) -> list[Result]:
            sent.extend(batch)
            return [{"EventId": "x"} for _ in batch]

    given_entries = entries(2)
    given_entries[1]["TraceHeader"] = "Root=own"

    publish(RecordingBus(), given_entries, PublishSettings(trace_header="Root=1-abc"), total=2)

    assert [e["TraceHeader"] for e in sent] == ["Root=1-abc", "Root=own"]


def test_backoff_is_exponential_with_full_jitter() -> None:
    publisher = Publisher(ScriptedBus(), PublishSettings(base_delay=0.1, max_delay=2.0), rng=random.Random(1))

    for attempt, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (6, 2.0), (12, 2.0)]:
        delays = [publisher.backoff(attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8


def test_summary_json_has_exactly_the_documented_shape() -> None:
    bus = ScriptedBus(decide=lambda n, attempt: "InvalidArgument" if n == 1 else None)

    document = publish(bus, entries(3), FAST, total=3).as_json()

    assert set(document) == {
        "requested",
        "published",
        "failed",
        "unknown",
        "seconds",
        "events_per_second",
        "failures",
        "unknown_events",
    }
    assert (document["requested"], document["published"], document["failed"], document["unknown"]) == (
        3,
        2,
        1,
        0,
    )
    assert document["failures"] == [
        {"index": 1, "count": 1, "code": "InvalidArgument", "message": "InvalidArgument for 1"}
    ]
    assert document["unknown_events"] == []
    assert isinstance(document["seconds"], float)
    assert isinstance(document["events_per_second"], float)


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (client_error("ThrottlingException", 400), True),
        (client_error("Whatever", 500), True),
        (client_error("TooManyRequests", 429), True),
        (client_error("AccessDeniedException", 400), False),
        (EndpointConnectionError(endpoint_url="http://x"), True),
        (ConnectionResetError(), True),
        (ValueError("bug"), False),
    ],
)
def test_classify_decides_what_is_retryable(error: Exception, retryable: bool) -> None:
    assert classify(error)[2] is retryable


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(0, 60),
    seed=st.integers(0, 10_000),
    concurrency=st.integers(1, 4),
)
def test_every_event_is_accepted_at_most_once_and_accounted_for(
    count: int, seed: int, concurrency: int
) -> None:
    rng = random.Random(seed)
    script = {
        n: rng.choice([None, None, None, "ThrottlingException", "InternalFailure", "InvalidArgument"])
        for n in range(count)
    }
    bus = ScriptedBus(
        decide=lambda n, attempt: script[n] if attempt <= 2 or script[n] == "InvalidArgument" else None,
        whole=lambda call: client_error("ServiceUnavailable", 503) if rng.random() < 0.1 else None,
    )
    settings_ = PublishSettings(base_delay=0, max_attempts=20, concurrency=concurrency)

    summary = publish(bus, entries(count), settings_, total=count)

    assert all(times == 1 for times in bus.accepted.values())
    assert summary.published == len(bus.accepted)
    assert summary.published + summary.failed == count
    failed = {f.index for f in summary.failures}
    assert failed == {n for n, code in script.items() if code == "InvalidArgument"}
    assert failed.isdisjoint(bus.accepted)
