"""Logs merging/following and replay requests/waiting, through in-memory sources."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from tooling.errors import ToolingError, UsageError
from tooling.observe.aws_sources import filter_pattern
from tooling.observe.logs import LogRecord, LogSource, collect_logs, follow_logs, is_emf, log_groups
from tooling.observe.replay import (
    ReplayRequest,
    ReplaySource,
    ReplayStatus,
    build_request,
    parse_time,
    replay_name,
    wait_for_replay,
)
from tooling.outputs import DeploymentOutputs

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ARN = "arn:aws:events:us-east-1:123456789012"


def outputs() -> DeploymentOutputs:
    return DeploymentOutputs(
        region="us-east-1",
        event_bus_name="shop-dev-x1y2z3-bus",
        event_bus_arn=f"{ARN}:event-bus/shop-dev-x1y2z3-bus",
        archive_name="shop-dev-x1y2z3-archive",
        rule_arns={
            "orders": f"{ARN}:rule/shop-dev-x1y2z3-bus/shop-dev-x1y2z3-orders",
            "all": f"{ARN}:rule/b/all",
        },
        batch_queue_url="u",
        batch_queue_arn="a",
        dead_letter_queue_urls={},
        notifications_topic_arn="t",
        function_names={"processor": "p", "notifier": "n"},
        log_group_names={"processor": "/aws/lambda/p", "notifier": "/aws/lambda/n"},
    )


def at(seconds: int) -> datetime:
    return NOW + timedelta(seconds=seconds)


class FakeLogs:
    def __init__(self, groups: dict[str, list[LogRecord]]) -> None:
        self.groups = groups
        self.asked: list[tuple[str, datetime, str | None]] = []

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
        self.asked.append((log_group, start, text))
        found = [
            r
            for r in self.groups.get(log_group, [])
            if r.timestamp >= start
            and (end is None or r.timestamp < end)
            and (text is None or text in r.message)
            and (metrics or not is_emf(r.message))
        ]
        return found[-newest:] if newest else found


def record(seconds: int, message: str, event_id: str) -> LogRecord:
    return LogRecord(timestamp=at(seconds), message=message, event_id=event_id, log_stream="s")


def test_events_of_all_functions_merge_in_time_order_with_json_parsed() -> None:
    source: LogSource = FakeLogs(
        {
            "/aws/lambda/p": [record(3, '{"level": "INFO", "message": "b"}', "p2"), record(1, "START", "p1")],
            "/aws/lambda/n": [record(2, '{"message": "a"}\n', "n1")],
        }
    )

    events = collect_logs(source, log_groups(outputs()), NOW)

    assert [(e.function, e.event_id) for e in events] == [
        ("processor", "p1"),
        ("notifier", "n1"),
        ("processor", "p2"),
    ]
    assert [e.data for e in events] == [None, {"message": "a"}, {"level": "INFO", "message": "b"}]
    assert events[1].message == '{"message": "a"}'


def test_unknown_function_is_a_usage_error_naming_the_choices() -> None:
    with pytest.raises(UsageError) as raised:
        log_groups(outputs(), ["procesor"])

    assert raised.value.hint == "choose from: notifier, processor"


def test_follow_prints_each_event_once_across_polls() -> None:
    fake = FakeLogs({"/aws/lambda/p": [record(-60, "old", "1"), record(0, "same-ts-a", "2")]})
    clock = [at(2)]
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        clock[0] += timedelta(seconds=seconds)
        if len(polls) == 1:
            # Between polls a late event arrives with the same timestamp, and a newer one.
            fake.groups["/aws/lambda/p"] += [record(0, "same-ts-b", "3"), record(3, "new", "4")]

    events = list(
        follow_logs(
            fake,
            {"processor": "/aws/lambda/p"},
            timedelta(minutes=5),
            None,
            1.5,
            now=lambda: clock[0],
            sleep=sleep,
            polls=3,
        )
    )

    assert [e.message for e in events] == ["old", "same-ts-a", "same-ts-b", "new"]
    assert polls == [1.5, 1.5]
    assert fake.asked[1][1] == NOW  # the second poll starts at the newest timestamp printed, inclusive


def test_filter_text_becomes_an_exact_phrase_pattern() -> None:
    assert filter_pattern(None) is None
    assert filter_pattern('order "o-1" failed') == '"order \\"o-1\\" failed"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("2h", NOW - timedelta(hours=2)),
        ("-30m", NOW - timedelta(minutes=30)),
        ("1h30m ago", NOW - timedelta(minutes=90)),
        ("2026-11-26T10:00", datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
        ("2026-11-26T10:00:00Z", datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
        ("2026-11-26T11:00:00+01:00", datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    assert parse_time(text, NOW) == expected


def test_parse_time_rejects_nonsense() -> None:
    with pytest.raises(UsageError):
        parse_time("yesterday-ish", NOW)


def test_request_names_replay_and_maps_rule_names_to_arns() -> None:
    request = build_request(outputs(), at(-3600), NOW, ["orders", "all", "orders"], NOW)

    assert request.name == "shop-dev-x1y2z3-replay-20261126T120000"
    assert request.rule_arns == [outputs().rule_arns["orders"], outputs().rule_arns["all"]]
    assert build_request(outputs(), at(-3600), NOW, ["shop-dev-x1y2z3-orders"], NOW).rule_arns == [
        outputs().rule_arns["orders"]
    ]


@pytest.mark.parametrize(
    ("start", "end", "rules", "message"),
    [
        (0, 0, [], "must be before --end"),
        (-10, 60, [], "is in the future"),
        (-10, 0, ["nope"], "unknown rule nope"),
    ],
)
def test_bad_replay_requests_are_usage_errors(start: int, end: int, rules: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        build_request(outputs(), at(start), at(end), rules, NOW)


def test_replay_name_fits_eventbridge_limit() -> None:
    long = outputs().model_copy(update={"event_bus_name": "x" * 80 + "-bus"})

    assert len(replay_name(long, NOW)) == 64


class FakeReplays:
    def __init__(self, states: list[str]) -> None:
        self.states = states
        self.described = 0

    def start_replay(self, request: ReplayRequest) -> ReplayStatus:
        return ReplayStatus(name=request.name, state="STARTING")

    def describe_replay(self, name: str) -> ReplayStatus:
        state = self.states[min(self.described, len(self.states) - 1)]
        self.described += 1
        return ReplayStatus(
            name=name, state=state, event_start=at(-100), event_end=NOW, last_replayed=at(-25)
        )


def test_wait_follows_until_completed_reporting_progress() -> None:
    source: ReplaySource = FakeReplays(["STARTING", "RUNNING", "COMPLETED"])
    seen: list[tuple[str, float]] = []

    final = wait_for_replay(
        source,
        "r",
        interval=0.1,
        on_progress=lambda s: seen.append((s.state, s.progress)),
        sleep=lambda _s: None,
    )

    assert final.state == "COMPLETED"
    assert seen == [("STARTING", 0.75), ("RUNNING", 0.75), ("COMPLETED", 1.0)]


def test_wait_raises_when_the_replay_fails() -> None:
    with pytest.raises(ToolingError, match="replay r ended FAILED"):
        wait_for_replay(FakeReplays(["RUNNING", "FAILED"]), "r", sleep=lambda _s: None)


def test_wait_gives_up_after_the_timeout() -> None:
    clock = iter([0.0, 5.0, 11.0])

    with pytest.raises(ToolingError, match="still RUNNING after 10s"):
        wait_for_replay(
            FakeReplays(["RUNNING"]), "r", timeout=10, sleep=lambda _s: None, clock=lambda: next(clock)
        )


EMF = '{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "E", "Metrics": []}]}, "n": 1}'


def test_emf_lines_are_recognised_by_their_aws_metrics_key_only() -> None:
    assert is_emf(EMF) and is_emf("  " + EMF + "\n")
    assert not is_emf('{"_aws": "a string, not metrics"}')
    assert not is_emf('{"message": "mentions \\"_aws\\""}')
    assert not is_emf("START RequestId: r-1")


def test_limit_merges_all_functions_and_keeps_the_newest_newest_last() -> None:
    source: LogSource = FakeLogs(
        {
            "/aws/lambda/p": [record(i, f"p{i}", f"p{i}") for i in (1, 3, 5, 7)],
            "/aws/lambda/n": [record(i, f"n{i}", f"n{i}") for i in (2, 4, 6)],
        }
    )

    events = collect_logs(source, log_groups(outputs()), NOW, limit=3)

    assert [e.message for e in events] == ["n4", "p5", "n6", "p7"][-3:]


def test_emf_lines_are_left_out_before_the_limit_unless_metrics_are_asked_for() -> None:
    source: LogSource = FakeLogs(
        {"/aws/lambda/p": [record(1, "first", "a"), record(2, EMF, "b"), record(3, EMF, "c")]}
    )
    groups = log_groups(outputs(), ["processor"])

    assert [e.message for e in collect_logs(source, groups, NOW, limit=1, metrics=False)] == ["first"]
    assert [e.event_id for e in collect_logs(source, groups, NOW, limit=1)] == ["c"]
