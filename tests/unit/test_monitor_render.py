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
from tooling.observe.render import (
    compact,
    duration,
    pattern_text,
    render,
    render_log_event,
    render_replay,
    size,
)
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
        "dev  target aws  region us-east-1",
        "window last 1h",
        "names below drop the prefix shop-",
        "arn:aws:events:us-east-1:1:event-bus/shop-bus",
        "archive  ENABLED  1,234 events  2.0 KiB  kept forever",
        "35ms/210ms",
        'source: ["shop.orders"]',
        "processor -> λ processor",
        "dlq events-dlq, retry 3x/3600s",
        "8ms/40ms",
        "2m 5s",
        "missing: https://sqs/notifier",
        "left visible (on AWS each peek counts towards maxReceiveCount 5)",
        '{"n": 1}',
        "processor-errors",
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


def test_large_counts_and_latencies_stay_narrow() -> None:
    assert [compact(n) for n in (0, 9_999, 12_345, 123_456, 2_469_134, 999_999)] == [
        "0",
        "9999",
        "12.3k",
        "123k",
        "2.5M",
        "1.0M",
    ]
    out = text_at(render(wide_snapshot()), 80)
    assert "1.2M" in out and "1.2s/12s" in out


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


# -- 80 columns: a pipe, a small terminal -------------------------------------------------------------------

PREFIX = "ecommerce-prod-k3x9qa-"
LONG_KEYS = ("order-events", "high-value-orders", "user-registration", "order-fulfilment", "all-events")
STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", "ENABLED", "ENABLED")
ALARMS = (
    ("rule-user-registration-failed-invocations", "INSUFFICIENT_DATA"),
    ("rule-high-value-orders-dlq-send-failures", "ALARM"),
    ("lambda-processor-dead-letter-errors", "OK"),
)


def wide_snapshot() -> Snapshot:
    """The production-sized names: every rule of prod.toml, big counters, alarms in every state."""
    base = sample()
    arn = "arn:aws:{}:eu-west-1:123456789012:{}"
    rules = [
        RuleView(
            name=PREFIX + key,
            key=key,
            arn=arn.format("events", f"rule/{PREFIX}bus/{PREFIX}{key}"),
            state=state,
            description="",
            pattern={"source": ["ecommerce.orders"], "detail": {"totalAmount": [{"numeric": [">", 1000]}]}},
            managed_by=None,
            targets=[
                TargetInfo(
                    id="notifications",
                    arn=arn.format("sns", f"{PREFIX}notifications"),
                    dead_letter_arn=arn.format("sqs", f"{PREFIX}events-dlq"),
                    retry_policy=RetryPolicy(maximum_retry_attempts=185, maximum_event_age_seconds=86400),
                    input_transformer=True,
                )
            ],
            metrics=RuleMetrics(
                matched_events=1_234_567,
                invocations=2_469_134,
                failed_invocations=12_345,
                dead_letter_invocations=1_234,
                invocations_failed_to_be_sent_to_dlq=123,
                throttled_rules=12,
                latency_p50_ms=1_234,
                latency_p99_ms=12_345,
            ),
        )
        for key, state in zip(LONG_KEYS, STATES, strict=True)
    ]
    functions = [
        FunctionView(
            key=key,
            name=PREFIX + key,
            log_group=None,
            metrics=FunctionMetrics(invocations=1_234_567, errors=12_345, throttles=1_234),
            dlq_key=f"dlq:{key}",
            dlq_depth=12_345,
        )
        for key in ("processor", "notifier", "analytics")
    ]
    alarms = [
        AlarmInfo(name=PREFIX + name, state=state, updated_at=NOW.replace(hour=9, minute=41, second=7))
        for name, state in ALARMS
    ]
    bus = BusInfo(
        name=PREFIX + "bus",
        arn=arn.format("events", f"event-bus/{PREFIX}bus"),
        policy_present=True,
        archive=ArchiveInfo(name=PREFIX + "archive", state="ENABLED", event_count=12_345_678),
    )
    return base.model_copy(update={"bus": bus, "rules": rules, "functions": functions, "alarms": alarms})


def text_at(renderable: RenderableType, width: int) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False)
    console.print(renderable)
    return console.export_text()


def test_at_80_columns_no_line_is_wider_and_nothing_is_cut() -> None:
    out = text_at(render(wide_snapshot()), 80)

    assert max(len(line.rstrip()) for line in out.splitlines()) <= 80
    assert "…" not in out


def test_at_80_columns_every_rule_name_and_state_is_whole_on_one_line() -> None:
    out = text_at(render(wide_snapshot()), 80)
    rows = [line.split() for line in out.splitlines()]

    for key, state in zip(LONG_KEYS, STATES, strict=True):
        shown = "ENABLED*" if state.startswith("ENABLED_WITH") else state
        assert any(row[:2] == [key, shown] for row in rows), (key, state)
    assert "ENABLED*: ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" in " ".join(out.split())


def test_at_80_columns_names_drop_the_common_prefix_which_the_header_names_once() -> None:
    out = text_at(render(wide_snapshot()), 80)

    with_prefix = [line.split()[0] for line in out.splitlines() if PREFIX in line]
    assert with_prefix == ["names", "name", "arn"]  # the header, the bus name and the bus ARN
    assert f"names below drop the prefix {PREFIX}" in out
    assert "notifications -> topic" in out and "dlq events-dlq, retry" in out


def test_at_80_columns_alarms_show_full_names_states_and_their_state_change_time() -> None:
    out = text_at(render(wide_snapshot()), 80)
    rows = [line.split() for line in out.splitlines()]

    for name, state in ALARMS:
        assert [name, state, "09:41:07"] in rows, name


def test_watch_puts_the_health_verdict_first() -> None:
    lines = [line.strip() for line in text_at(render(sample(), health_first=True), 80).splitlines()]

    health = lines.index("Health: CRITICAL (1 problem(s))")
    assert health < lines.index("Bus") and health == 3  # right under the three header lines
    assert lines[health + 1] == "!! rule orders: 1 failed invocation(s)"
