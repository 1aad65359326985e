"""Snapshot building and the health verdict, through an in-memory MonitorSource (no AWS, no moto)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from tooling.errors import UsageError
from tooling.observe.aws_sources import FUNCTION_METRICS, RULE_METRICS, _Query, _report
from tooling.observe.monitor import (
    AlarmInfo,
    ArchiveInfo,
    AsyncQueue,
    BusInfo,
    FunctionMetrics,
    MetricsReport,
    MetricsRequest,
    MonitorSource,
    QueueMessage,
    QueueStats,
    RuleDefinition,
    RuleMetrics,
    Snapshot,
    Window,
    alarm_prefix,
    build_snapshot,
    parse_duration,
    rule_name_from_arn,
)
from tooling.outputs import DeploymentOutputs

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ARN = "arn:aws:events:us-east-1:123456789012"


def outputs() -> DeploymentOutputs:
    return DeploymentOutputs(
        target="local",
        environment="dev",
        region="us-east-1",
        event_bus_name="shop-dev-x1y2z3-bus",
        event_bus_arn=f"{ARN}:event-bus/shop-dev-x1y2z3-bus",
        archive_name="shop-dev-x1y2z3-archive",
        rule_arns={
            "orders": f"{ARN}:rule/shop-dev-x1y2z3-bus/shop-dev-x1y2z3-orders",
            "all": f"{ARN}:rule/shop-dev-x1y2z3-bus/shop-dev-x1y2z3-all",
        },
        batch_queue_url="https://sqs/1/batch",
        batch_queue_arn="arn:aws:sqs:us-east-1:1:batch",
        dead_letter_queue_urls={
            "events": "https://sqs/1/events-dlq",
            "processor": "https://sqs/1/processor-dlq",
        },
        notifications_topic_arn="arn:aws:sns:us-east-1:1:notes",
        function_names={"processor": "shop-processor"},
        log_group_names={"processor": "/aws/lambda/shop-processor"},
    )


class FakeSource:
    """Just enough of a target; records what build_snapshot asked for."""

    def __init__(self) -> None:
        self.rule_metrics: dict[str, RuleMetrics] = {}
        self.function_metrics: dict[str, FunctionMetrics] = {}
        self.depths: dict[str, tuple[int, int]] = {}
        self.missing: set[str] = set()
        self.alarm_list: list[AlarmInfo] = []
        self.pending: dict[str, AsyncQueue] = {}
        self.rules = [
            RuleDefinition(
                name="shop-dev-x1y2z3-all",
                arn=outputs().rule_arns["all"],
                state="ENABLED",
                event_pattern='{"source": [{"prefix": "shop."}]}',
            ),
            RuleDefinition(
                name="shop-dev-x1y2z3-orders",
                arn=outputs().rule_arns["orders"],
                state="ENABLED",
                event_pattern='{"source": ["shop.orders"]}',
            ),
        ]
        self.requests: list[MetricsRequest] = []
        self.peeked: list[tuple[str, int]] = []
        self.archive: ArchiveInfo | None = ArchiveInfo(
            name="a", state="ENABLED", event_count=3, size_bytes=10
        )

    def describe_bus(self) -> BusInfo:
        return BusInfo(name="shop-dev-x1y2z3-bus", arn="arn:bus", policy_present=False, archive=self.archive)

    def list_rules(self) -> list[RuleDefinition]:
        return self.rules

    def metrics(self, request: MetricsRequest) -> MetricsReport:
        self.requests.append(request)
        return MetricsReport(
            rules=self.rule_metrics,
            functions=self.function_metrics,
            queue_oldest_age_seconds={"processor-dlq": 42},
        )

    def queue_stats(self, urls: Sequence[str]) -> dict[str, QueueStats | None]:
        return {
            url: None
            if url in self.missing
            else QueueStats(
                name=url.rsplit("/", 1)[-1],
                arn="arn:" + url,
                visible=self.depths.get(url, (0, 0))[0],
                in_flight=self.depths.get(url, (0, 0))[1],
            )
            for url in urls
        }

    def peek(self, url: str, limit: int) -> list[QueueMessage]:
        self.peeked.append((url, limit))
        return [QueueMessage(message_id="m1", body="{}")]

    def async_queues(self) -> dict[str, AsyncQueue]:
        return self.pending

    def alarms(self) -> list[AlarmInfo]:
        return self.alarm_list


def snapshot(source: FakeSource, peek: int = 0) -> Snapshot:
    typed: MonitorSource = source  # the fake satisfies the protocol (mypy checks this line)
    return build_snapshot(typed, outputs(), timedelta(hours=1), peek=peek, now=NOW)


def test_quiet_environment_is_ok() -> None:
    result = snapshot(FakeSource())

    assert (result.health.status, result.health.verdict, result.health.problems) == ("OK", "OK", [])


def test_window_is_the_last_since_ending_now() -> None:
    source = FakeSource()

    result = snapshot(source)

    assert (result.meta.window_start, result.meta.window_end) == (NOW - timedelta(hours=1), NOW)
    assert source.requests[0].window == Window(start=NOW - timedelta(hours=1), end=NOW)


def test_metrics_are_asked_for_once_with_every_rule_function_and_non_empty_queue() -> None:
    source = FakeSource()
    source.depths["https://sqs/1/processor-dlq"] = (2, 0)

    snapshot(source)

    assert len(source.requests) == 1
    request = source.requests[0]
    assert request.rules == ["shop-dev-x1y2z3-all", "shop-dev-x1y2z3-orders"]
    assert request.functions == ["shop-processor"]
    assert request.queues == ["processor-dlq"]  # empty queues have no oldest message to ask about


def test_rules_follow_routing_table_order_and_carry_their_key_and_metrics() -> None:
    source = FakeSource()
    source.rule_metrics["shop-dev-x1y2z3-orders"] = RuleMetrics(matched_events=7)

    result = snapshot(source)

    assert [(r.key, r.metrics.matched_events) for r in result.rules] == [("orders", 7), ("all", 0)]
    assert result.rules[0].pattern == {"source": ["shop.orders"]}


def test_non_empty_dlq_and_function_depth_are_critical() -> None:
    source = FakeSource()
    source.depths["https://sqs/1/processor-dlq"] = (2, 1)

    result = snapshot(source)

    processor_dlq = next(q for q in result.queues if q.key == "dlq:processor")
    assert (processor_dlq.visible, processor_dlq.in_flight, processor_dlq.oldest_age_seconds) == (2, 1, 42)
    assert result.functions[0].dlq_depth == 3
    assert result.health.status == "CRITICAL"
    assert result.health.verdict == "CRITICAL: queue dlq:processor: DLQ not empty: 3 message(s)"


def test_batch_queue_backlog_is_not_a_problem() -> None:
    source = FakeSource()
    source.depths["https://sqs/1/batch"] = (50, 5)

    assert snapshot(source).health.status == "OK"


@pytest.mark.parametrize(
    ("metrics", "severity", "message"),
    [
        (RuleMetrics(failed_invocations=2), "critical", "2 failed invocation(s)"),
        (
            RuleMetrics(invocations_failed_to_be_sent_to_dlq=1),
            "critical",
            "1 event(s) lost: could not reach the DLQ",
        ),
        (RuleMetrics(dead_letter_invocations=4), "critical", "4 event(s) sent to the DLQ"),
        (RuleMetrics(throttled_rules=3), "warning", "throttled 3 time(s)"),
    ],
)
def test_rule_metric_problems(metrics: RuleMetrics, severity: str, message: str) -> None:
    source = FakeSource()
    source.rule_metrics["shop-dev-x1y2z3-all"] = metrics

    problems = snapshot(source).health.problems

    assert [(p.severity, p.subject, p.message) for p in problems] == [(severity, "rule all", message)]


def test_alarm_in_alarm_is_critical_other_states_are_not() -> None:
    source = FakeSource()
    source.alarm_list = [
        AlarmInfo(name="shop-dev-x1y2z3-b", state="INSUFFICIENT_DATA"),
        AlarmInfo(name="shop-dev-x1y2z3-a", state="ALARM", reason="threshold crossed"),
    ]

    result = snapshot(source)

    assert [a.name for a in result.alarms] == ["shop-dev-x1y2z3-a", "shop-dev-x1y2z3-b"]
    assert result.health.verdict == "CRITICAL: alarm shop-dev-x1y2z3-a: in ALARM (threshold crossed)"


def test_function_errors_and_throttles_are_warnings() -> None:
    source = FakeSource()
    source.function_metrics["shop-processor"] = FunctionMetrics(errors=1, throttles=2)

    health = snapshot(source).health

    assert health.status == "WARNING"
    assert [p.message for p in health.problems] == ["1 error(s)", "2 throttle(s)"]


def test_rule_in_outputs_but_not_on_bus_is_critical() -> None:
    source = FakeSource()
    source.rules = source.rules[:1]

    assert snapshot(source).health.verdict == "CRITICAL: rule orders: in the outputs but not on the bus"


def test_missing_queue_and_archive_are_reported() -> None:
    source = FakeSource()
    source.missing.add("https://sqs/1/events-dlq")
    source.archive = None

    problems = [(p.severity, p.subject) for p in snapshot(source).health.problems]

    assert problems == [("critical", "queue dlq:events"), ("warning", "archive shop-dev-x1y2z3-archive")]


def test_peek_reads_only_non_empty_queues_and_caps_the_count() -> None:
    source = FakeSource()
    source.depths["https://sqs/1/batch"] = (5, 0)

    result = snapshot(source, peek=500)

    assert source.peeked == [("https://sqs/1/batch", 100)]
    assert [m.message_id for m in result.queues[0].sample] == ["m1"]


def test_negative_peek_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        snapshot(FakeSource(), peek=-1)


def test_snapshot_json_has_the_documented_top_level_keys() -> None:
    data = snapshot(FakeSource()).model_dump(mode="json")

    assert list(data) == [
        "meta",
        "bus",
        "rules",
        "functions",
        "queues",
        "alarms",
        "health",
        "forwarding",
        "s3_archive",
        "consumer",
        "failover",
    ]
    assert data["failover"] is None  # no [failover] in these outputs
    assert data["meta"]["taken_at"] == "2026-11-26T12:00:00Z"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("1h", 3600),
        ("2d", 172800),
        ("1w", 604800),
        ("1h30m", 5400),
        (" 2H ", 7200),
    ],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "-1h", "0s", "1.5h"])
def test_parse_duration_rejects_bad_input(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)


def test_alarm_prefix_is_the_bus_name_without_bus() -> None:
    assert alarm_prefix(outputs()) == "shop-dev-x1y2z3-"
    assert alarm_prefix(outputs().model_copy(update={"event_bus_name": "custom"})) == "custom-"


def test_rule_name_from_arn_handles_custom_and_default_bus() -> None:
    assert rule_name_from_arn(f"{ARN}:rule/my-bus/my-rule") == "my-rule"
    assert rule_name_from_arn(f"{ARN}:rule/my-rule") == "my-rule"


def test_metric_report_adds_counts_takes_max_percentile_and_defaults_to_zero() -> None:
    window = Window(start=NOW - timedelta(hours=1), end=NOW)
    request = MetricsRequest(window=window, rules=["r"], functions=["f"], queues=["q"])
    by_id = {
        "a": _Query("rule", "r", "matched_events", "Sum"),
        "b": _Query("rule", "r", "latency_p99_ms", "p99"),
        "c": _Query("function", "f", "duration_p50_ms", "p50"),
        "d": _Query("function", "f", "errors", "Sum"),
        "e": _Query("queue", "q", "oldest_age_seconds", "Maximum"),
    }
    # Two datapoints: the window straddled an aligned period boundary.
    values = {"a": [3.0, 4.0], "b": [120.5, 80.25], "c": [12.3456], "e": [300.0, 900.0]}

    report = _report(request, by_id, values)

    assert report.rules["r"] == RuleMetrics(matched_events=7, latency_p99_ms=120.5)
    assert report.functions["f"] == FunctionMetrics(duration_p50_ms=12.346)
    assert report.queue_oldest_age_seconds == {"q": 300}  # newest first: the current age


def test_metric_tables_name_real_fields() -> None:
    assert {field for field, _, _ in RULE_METRICS} == set(RuleMetrics.model_fields)
    assert {field for field, _, _ in FUNCTION_METRICS} == set(FunctionMetrics.model_fields)


def test_functions_show_deliveries_waiting_for_a_retry_and_the_next_attempt() -> None:
    source = FakeSource()
    name = outputs().function_names["processor"]
    due = NOW + timedelta(seconds=30)
    source.pending = {name: AsyncQueue(queued=5, retrying=1, next_retry_at=due)}

    snap = snapshot(source)

    processor = next(f for f in snap.functions if f.key == "processor")
    assert (processor.pending.queued, processor.pending.retrying) == (5, 1)
    assert processor.pending.next_retry_at == due
    from rich.console import Console

    from tooling.observe.render import render_functions

    console = Console(width=200, record=True, color_system=None)
    console.print(render_functions(snap.functions))
    assert f"5 queued, 1 retrying, next {due:%Y-%m-%d %H:%M:%S}" in console.export_text()
