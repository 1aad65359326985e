"""Ctrl-C in the middle of a publishing run, in process: real SIGINTs at seeded random moments against a bus
with random latencies, throttled entries and lost answers, and against a call that never answers.

What must hold after every interrupt: published + failed + unknown == requested; every failed event is in a
failure record (their counts add up to `failed`); an event the bus accepted is never reported failed; the
events reported published are exactly those the bus accepted outside the unknown ones; an unknown event
carries the ids a re-send needs. One Ctrl-C waits for the calls on the wire; a second stops waiting and
reports their events unknown.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tooling.publish.events import EventFactory
from tooling.publish.publisher import Publisher, PublishSettings, PublishSummary

Entry = dict[str, Any]
TRIALS = 20
EVENTS = 1000
BASE_SEED = 2022


def key(entry: Entry) -> str:
    return str(json.loads(entry["Detail"])["idempotencyKey"])


def generated(count: int, seed: int) -> list[Entry]:
    """Generated events whose idempotency keys are seeded too (they are fresh per run otherwise)."""
    numbers = itertools.count()
    factory = EventFactory(seed=seed, new_key=lambda: f"key-{seed}-{next(numbers)}")
    return list(factory.mixed(count))


class FlakyBus:
    """Answers each call after a random delay. Some calls are refused before they arrive (connection
    refused: nothing accepted), some lose their answer after the entries were accepted (connection reset),
    some entries are throttled. Every random choice is drawn from (seed, the call's first key, its attempt),
    so a seed reproduces the same fates whatever the threads' order. Logs what it accepted, by key."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.lock = threading.Lock()
        self.accepted: Counter[str] = Counter()
        self.lost: set[str] = set()  # keys of calls whose answer was lost after they were accepted
        self.attempts: Counter[str] = Counter()

    def put_events(self, batch: list[Entry]) -> list[dict[str, Any]]:
        keys = [key(e) for e in batch]
        with self.lock:
            self.attempts[keys[0]] += 1
            rng = random.Random(f"{self.seed}:{keys[0]}:{self.attempts[keys[0]]}")
        time.sleep(rng.choice((0.001, 0.004, 0.01, 0.02, 0.02, 0.15)))
        fate = rng.random()
        if fate < 0.04:
            raise ConnectionRefusedError("refused (injected)")
        results: list[dict[str, Any]] = []
        with self.lock:
            for k in keys:
                if rng.random() < 0.08:
                    results.append({"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"})
                else:
                    self.accepted[k] += 1
                    results.append({"EventId": f"id-{k}"})
            if fate > 0.96:
                self.lost.update(keys)
        if fate > 0.96:
            raise ConnectionResetError("the answer was lost (injected)")
        return results


class StuckBus:
    """Accepts every call at once, except call number `stuck`, which waits until `release` is set (then
    accepts its entries, as a bus that answers too late would)."""

    def __init__(self, stuck: int) -> None:
        self.stuck = stuck
        self.calls = 0
        self.lock = threading.Lock()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.answered = threading.Event()
        self.accepted: Counter[str] = Counter()
        self.stuck_keys: list[str] = []

    def put_events(self, batch: list[Entry]) -> list[dict[str, Any]]:
        with self.lock:
            number = self.calls
            self.calls += 1
        if number == self.stuck:
            self.stuck_keys = [key(e) for e in batch]
            self.entered.set()
            self.release.wait(30)
        else:
            time.sleep(0.002)
        with self.lock:
            self.accepted.update(key(e) for e in batch)
        if number == self.stuck:
            self.answered.set()
        return [{"EventId": f"id-{key(e)}"} for e in batch]


@pytest.fixture
def quiet_sigint() -> Iterator[None]:
    """A SIGINT that arrives after a run restored the handler lands here, not in pytest."""
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)
    yield
    signal.signal(signal.SIGINT, previous)


def press_later(*delays: float) -> threading.Thread:
    """Ctrl-C (SIGINT to this process) after each delay in turn."""

    def press() -> None:
        for delay in delays:
            time.sleep(delay)
            os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=press, daemon=True)
    thread.start()
    return thread


def covered(summary: PublishSummary) -> tuple[set[int], set[int]]:
    failed = {i for f in summary.failures for i in range(f.index, f.index + f.count)}
    unknown = {i for u in summary.unknown_events for i in range(u.index, u.index + u.count)}
    return failed, unknown


def check_accounting(summary: PublishSummary, entries: list[Entry], accepted: Counter[str]) -> None:
    keys = [key(e) for e in entries]
    failed, unknown = covered(summary)
    assert summary.requested == len(entries)
    assert summary.published + summary.failed + summary.unknown == summary.requested
    # Every failed event is in a failure record, and no event is in two records.
    assert sum(f.count for f in summary.failures) == summary.failed == len(failed)
    assert sum(u.count for u in summary.unknown_events) == summary.unknown == len(unknown)
    assert not failed & unknown
    published = set(range(len(entries))) - failed - unknown
    assert len(published) == summary.published
    # An event the bus accepted is never reported failed; the published ones are exactly those it accepted.
    assert not {keys[i] for i in failed} & set(accepted)
    assert {keys[i] for i in published} == set(accepted) - {keys[i] for i in unknown}
    # An unknown event carries the ids a re-send can skip it by.
    for event in summary.unknown_events:
        assert event.ids["idempotencyKey"] == keys[event.index]


@pytest.mark.usefixtures("quiet_sigint")
def test_ctrl_c_at_random_moments_keeps_every_count_exact() -> None:
    rng = random.Random(BASE_SEED)
    settings = PublishSettings(concurrency=4, max_attempts=4, base_delay=0.005, max_delay=0.02)
    interrupted = 0
    for trial in range(TRIALS):
        seed = BASE_SEED + trial
        entries = generated(EVENTS, seed)
        bus = FlakyBus(seed)
        twice = trial % 2 == 1
        delays = (rng.uniform(0.02, 0.4), rng.uniform(0.0, 0.05)) if twice else (rng.uniform(0.02, 0.4),)
        presser = press_later(*delays)

        summary = Publisher(bus, settings).run(entries, total=len(entries))

        presser.join()
        context = f"trial {trial} (seed {seed}, Ctrl-C after {delays})"
        try:
            check_accounting(summary, entries, bus.accepted)
            # Only a lost answer, or a call abandoned by a second Ctrl-C, makes an event unknown.
            if not (twice and summary.interrupted):
                keys = [key(e) for e in entries]
                assert {keys[u.index] for u in summary.unknown_events} <= bus.lost
            # A key accepted twice was resent after its answer was lost, never otherwise.
            assert {k for k, n in bus.accepted.items() if n > 1} <= bus.lost
        except AssertionError as error:
            raise AssertionError(f"{context}: {error}") from error
        interrupted += summary.interrupted
    # The presses did land mid-run (the runs take longer than the latest press).
    assert interrupted >= TRIALS - 2


@pytest.mark.usefixtures("quiet_sigint")
def test_one_ctrl_c_waits_for_the_call_on_the_wire_and_counts_it() -> None:
    entries = generated(200, 1)
    bus = StuckBus(stuck=3)
    notices: list[str] = []

    def press_then_release() -> None:
        bus.entered.wait(10)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.8)  # longer than the notice's delay
        bus.release.set()

    helper = threading.Thread(target=press_then_release, daemon=True)
    helper.start()

    summary = Publisher(bus, PublishSettings(concurrency=1)).run(entries, total=200, notice=notices.append)

    helper.join()
    assert summary.interrupted
    assert summary.unknown == 0
    assert summary.published == sum(bus.accepted.values()) == 40  # 3 calls before the stuck one, and it
    check_accounting(summary, entries, bus.accepted)
    assert [f.code for f in summary.failures] == ["NotSent"] and summary.failures[0].count == 160
    assert len(notices) == 1 and "waiting for 1 PutEvents call" in notices[0]
    assert "Ctrl-C again" in notices[0]


@pytest.mark.usefixtures("quiet_sigint")
def test_a_second_ctrl_c_reports_the_call_on_the_wire_unknown_with_its_ids() -> None:
    entries = generated(200, 2)
    bus = StuckBus(stuck=3)

    def press_twice() -> None:
        bus.entered.wait(10)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGINT)

    helper = threading.Thread(target=press_twice, daemon=True)
    helper.start()

    summary = Publisher(bus, PublishSettings(concurrency=1)).run(entries, total=200)

    helper.join()
    assert summary.interrupted
    assert summary.published == 30 and summary.unknown == 10 and summary.failed == 160
    assert [u.ids["idempotencyKey"] for u in summary.unknown_events] == bus.stuck_keys
    assert all("may have been accepted" in u.reason for u in summary.unknown_events)
    # The bus answers after all, accepting them: they were rightly not reported failed.
    bus.release.set()
    assert bus.answered.wait(10)
    check_accounting(summary, entries, bus.accepted)
    assert set(bus.stuck_keys) <= set(bus.accepted)
