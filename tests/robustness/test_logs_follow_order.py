"""`tooling logs --follow`: every line once, never an older line after a newer one, across log groups.

A line can be stored after newer ones: the local target stores an invocation's lines when it ends, stamped
from its START, while another function's shorter invocation is already stored (and CloudWatch ingests with
a delay). Before: each poll restarted at the newest timestamp printed, so such a line was lost (4% of the
lines of a `publish batch` run), and lines of one instant were re-sorted by event id as text ("10" < "9")."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from tooling.observe.logs import LogRecord, collect_logs, follow_logs

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class StoredLogs:
    """A LogSource whose lines become visible at their `stored_at`, not at their timestamp."""

    def __init__(self) -> None:
        self.lines: list[tuple[datetime, str, LogRecord]] = []  # (stored_at, group, record)
        self.clock = T0

    def add(self, group: str, stamped: float, stored: float, message: str, event_id: str) -> None:
        record = LogRecord(timestamp=T0 + timedelta(seconds=stamped), message=message, event_id=event_id)
        self.lines.append((T0 + timedelta(seconds=stored), group, record))

    def events(
        self,
        log_group: str,
        start: datetime,
        end: datetime | None = None,
        text: str | None = None,
        *,
        newest: int | None = None,
        metrics: bool = True,
    ) -> Iterable[LogRecord]:
        found = [
            r
            for stored, group, r in self.lines
            if group == log_group
            and stored <= self.clock
            and r.timestamp >= start
            and (end is None or r.timestamp < end)
        ]
        found.sort(key=lambda r: (r.timestamp, int(r.event_id)))  # as the local store: ORDER BY ts, id
        return found[-newest:] if newest else found

    def now(self) -> datetime:
        return self.clock

    def sleep(self, seconds: float) -> None:
        self.clock += timedelta(seconds=seconds)


GROUPS = {"processor": "/aws/lambda/p", "notifier": "/aws/lambda/n"}


def _follow(source: StoredLogs, polls: int, interval: float = 1.0) -> list[str]:
    events = follow_logs(
        source, GROUPS, timedelta(seconds=30), None, interval, now=source.now, sleep=source.sleep, polls=polls
    )
    return [e.message for e in events]


def test_a_line_stored_after_a_newer_one_of_another_function_is_printed_in_its_place() -> None:
    source = StoredLogs()
    source.clock = T0 + timedelta(seconds=10)
    # The notifier's invocation started at 10.0 and ended at 10.8; the processor's ran 10.1-10.2.
    source.add("/aws/lambda/p", 10.1, 10.2, "processor START", "1")
    source.add("/aws/lambda/p", 10.2, 10.2, "processor END", "2")
    source.add("/aws/lambda/n", 10.0, 10.8, "notifier START", "3")
    source.add("/aws/lambda/n", 10.8, 10.8, "notifier END", "4")

    printed = _follow(source, polls=4, interval=0.5)

    assert printed == ["notifier START", "processor START", "processor END", "notifier END"]


def test_lines_of_one_instant_keep_the_order_they_were_written_in() -> None:
    source = StoredLogs()
    source.clock = T0 + timedelta(seconds=5)
    for number, message in [(9, "handler line"), (10, "END"), (11, "REPORT")]:
        source.add("/aws/lambda/p", 1.0, 1.0, message, str(number))

    events = collect_logs(source, {"processor": "/aws/lambda/p"}, T0)

    assert [e.message for e in events] == ["handler line", "END", "REPORT"]


def test_follow_prints_every_line_once_and_in_time_order_whatever_the_storage_order() -> None:
    rng = random.Random(22)
    source = StoredLogs()
    expected = []
    for number in range(400):
        stamped = rng.uniform(0, 20)
        # Stored up to 0.9 s after its timestamp: within the hold-back of a 1 s interval.
        stored = stamped + rng.uniform(0, 0.9)
        group = rng.choice(list(GROUPS.values()))
        source.add(group, stamped, stored, f"line {number}", str(number))
        expected.append((stamped, number))

    printed = _follow(source, polls=25)

    assert sorted(printed) == sorted(f"line {n}" for _, n in expected)  # every line, once
    stamps = {f"line {n}": stamped for stamped, n in expected}
    assert [stamps[m] for m in printed] == sorted(stamps[m] for m in printed)  # never older after newer


def test_a_line_later_than_the_hold_back_is_left_out_rather_than_printed_out_of_order() -> None:
    source = StoredLogs()
    source.clock = T0 + timedelta(seconds=3)
    source.add("/aws/lambda/p", 1.0, 1.0, "early", "1")
    source.add("/aws/lambda/p", 2.0, 2.0, "newer", "2")
    source.add("/aws/lambda/n", 1.5, 9.0, "very late", "3")  # stored 7.5 s after its timestamp

    printed = _follow(source, polls=10)

    assert printed == ["early", "newer"]
