"""The renderer is pure: a Snapshot in, text out. Rendered here to plain text and read back."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console, RenderableType

from tooling.observe.logs import LogEvent
from tooling.observe.monitor import (
    AlarmInfo,
    ArchiveInfo,
    BusInfo,
    FunctionMetrics,
    FunctionView,
    Health,
    Problem,
    QueueMessage,
    QueueView,
    RetryPolicy,
    RuleMetrics,
    RuleView,
    Snapshot,
    SnapshotMeta,
    TargetInfo,
)
from tooling.observe.render import duration, pattern_text, render, render_log_event, render_replay, size
from tooling.observe.replay import ReplayStatus

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def text_of(renderable: RenderableType) -> str:
    console = Console(width=200, record=True, color_system=None, force_terminal=False)
    console.print(renderable)
    return console.export_text()


def sample() -> Snapshot:
    return Snapshot(
        meta=SnapshotMeta(
            environment="dev",
            target="aws",
            region="us-east-1",
            taken_at=NOW,
            window_start=NOW.replace(hour=11),
            window_end=NOW,
        ),
        bus=BusInfo(
            name="shop-bus",
            arn="arn:aws:events:us-east-1:1:event-bus/shop-bus",
            policy_present=True,
            archive=ArchiveInfo(name="shop-archive", state="ENABLED", event_count=1234, size_bytes=2048),
        ),
        rules=[
            RuleView(
                name="shop-orders",
                key="orders",
                arn="arn:rule",
                state="ENABLED",
                description="",
                pattern={"source": ["shop.orders"]},
                managed_by=None,
                targets=[
                    TargetInfo(
                        id="processor",
                        arn="arn:aws:lambda:us-east-1:1:function:shop-processor",
                        dead_letter_arn="arn:aws:sqs:us-east-1:1:shop-events-dlq",
                        retry_policy=RetryPolicy(maximum_retry_attempts=3, maximum_event_age_seconds=3600),
                    )
                ],
                metrics=RuleMetrics(
                    matched_events=12,
                    invocations=12,
                    failed_invocations=1,
                    latency_p50_ms=35,
                    latency_p99_ms=210,
                ),
            )
        ],
        functions=[
            FunctionView(
                key="processor",
                name="shop-processor",
                log_group=None,
                metrics=FunctionMetrics(invocations=11, duration_p50_ms=8.5, duration_p99_ms=40),
                dlq_key="dlq:processor",
                dlq_depth=1,
            )
        ],
        queues=[
            QueueView(
                key="batch-queue",
                role="batch",
                url="u",
                exists=True,
                name="shop-batch",
                visible=3,
                oldest_age_seconds=125,
                max_receive_count=5,
                sample=[QueueMessage(message_id="m", body='{"n": 1}', sent_at=NOW, receive_count=2)],
            ),
            QueueView(key="dlq:notifier", role="dlq", url="https://sqs/notifier", exists=False),
        ],
        alarms=[AlarmInfo(name="shop-processor-errors", state="ALARM", metric="AWS/Lambda/Errors")],
        health=Health(
            status="CRITICAL",
            verdict="CRITICAL: ...",
            problems=[Problem(severity="critical", subject="rule orders", message="1 failed invocation(s)")],
        ),
    )


def test_dashboard_shows_every_section_and_the_health_line_last() -> None:
    out = text_of(render(sample()))

    for expected in (
        "dev  target aws  region us-east-1  window last 1h",
        "arn:aws:events:us-east-1:1:event-bus/shop-bus",
        "shop-archive  ENABLED  1,234 events  2.0 KiB  kept forever",
        "35 / 210 ms",
        'source: ["shop.orders"]',
        "processor: arn:aws:lambda:us-east-1:1:function:shop-processor",
        "dlq shop-events-dlq, retry 3x / 3600s",
        "8 / 40 ms",
        "2m 5s",
        "missing: https://sqs/notifier",
        "left visible (on AWS each peek counts towards maxReceiveCount 5)",
        '{"n": 1}',
        "shop-processor-errors",
        "AWS/Lambda/Errors",
    ):
        assert expected in out, expected
    assert out.rstrip().splitlines()[-1].strip() == "!! rule orders: 1 failed invocation(s)"


def test_healthy_snapshot_ends_with_ok() -> None:
    healthy = sample().model_copy(
        update={"health": Health(status="OK", verdict="OK", problems=[]), "alarms": []}
    )

    out = text_of(render(healthy))

    assert out.rstrip().splitlines()[-1] == "Health: OK"
    assert "Alarms: none found for this environment" in out


def test_pattern_shows_one_line_per_field_in_compact_json() -> None:
    pattern = {"source": ["shop.orders"], "detail": {"total": [{"numeric": [">", 1000]}]}}

    assert pattern_text(pattern) == 'source: ["shop.orders"]\ndetail: {"total": [{"numeric": [">", 1000]}]}'
    assert pattern_text(None) == "(schedule)"


def test_durations_and_sizes_read_naturally() -> None:
    assert [duration(s) for s in (0, 59, 90, 3600, 7260, 90061)] == [
        "0s",
        "59s",
        "1m 30s",
        "1h",
        "2h 1m",
        "1d 1h",
    ]
    assert [size(b) for b in (0, 1023, 1536, 5 * 1024 * 1024)] == ["0 B", "1023 B", "1.5 KiB", "5.0 MiB"]


def test_structured_log_event_is_pretty_printed_and_plain_text_kept() -> None:
    structured = LogEvent(
        timestamp=NOW,
        function="processor",
        log_group="g",
        log_stream="s",
        event_id="1",
        message='{"level": "ERROR", "message": "order failed", "order_id": "o-1"}',
        data={"level": "ERROR", "message": "order failed", "order_id": "o-1"},
    )
    plain = LogEvent(
        timestamp=NOW,
        function="notifier",
        log_group="g",
        log_stream="s",
        event_id="2",
        message="START RequestId: x",
    )

    out = text_of(render_log_event(structured))

    assert out.splitlines() == ['12:00:00.000 processor  ERROR order failed  {"order_id": "o-1"}']
    assert text_of(render_log_event(plain)).strip() == "12:00:00.000 notifier   START RequestId: x"


def test_long_structured_fields_are_indented_and_lambda_context_left_out() -> None:
    data = {
        "level": "INFO",
        "message": "m",
        "function_arn": "arn:x",
        "cold_start": True,
        "order": {"id": "o" * 120},
    }
    event = LogEvent(
        timestamp=NOW,
        function="processor",
        log_group="g",
        log_stream="s",
        event_id="1",
        message="{}",
        data=data,
    )

    out = text_of(render_log_event(event))

    assert out.splitlines()[:3] == ["12:00:00.000 processor  INFO m", "{", '  "order": {']
    assert "function_arn" not in out and "cold_start" not in out


def test_replay_line_names_state_and_range() -> None:
    status = ReplayStatus(name="r1", state="COMPLETED", event_start=NOW.replace(hour=10), event_end=NOW)

    assert text_of(render_replay(status)).strip() == (
        "replay r1: COMPLETED  events 2026-11-26 10:00:00 UTC .. 2026-11-26 12:00:00 UTC"
    )
