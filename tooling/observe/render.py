"""Draw a Snapshot for people: pure functions from models to rich renderables (no I/O, no clock).

The machine form is `snapshot.model_dump(mode="json")`; `--watch` redraws `render(snapshot)` with rich Live.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.json import JSON
from rich.table import Table
from rich.text import Text

from tooling.observe.consumer import render_consumer
from tooling.observe.failover import EndpointStatus, FailoverView
from tooling.observe.forwarding import ForwardingView
from tooling.observe.logs import LogEvent
from tooling.observe.monitor import (
    AlarmInfo,
    AsyncQueue,
    BusInfo,
    FunctionView,
    Health,
    QueueView,
    RuleView,
    Snapshot,
    TargetInfo,
)
from tooling.observe.replay import ReplayStatus
from tooling.observe.s3_archive_monitor import render_s3_archive

_STATE_STYLE = {"OK": "green", "ALARM": "bold red", "INSUFFICIENT_DATA": "yellow"}
_HEALTH_STYLE = {"OK": "bold green", "WARNING": "bold yellow", "CRITICAL": "bold red"}
# Keys every Powertools log line carries: shown by --json, left out of the human view to keep it readable.
_LOG_CONTEXT_KEYS = frozenset(
    {
        "level", "message", "timestamp", "location", "service", "cold_start", "function_name",
        "function_memory_size", "function_arn", "function_request_id", "xray_trace_id", "sampling_rate",
    }
)  # fmt: skip
_LEVEL_STYLE = {
    "ERROR": "bold red",
    "CRITICAL": "bold red",
    "WARNING": "yellow",
    "WARN": "yellow",
    "DEBUG": "dim",
}


def duration(seconds: float) -> str:
    """90 -> '1m 30s', 7260 -> '2h 1m', 0 -> '0s'."""
    total = int(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{n}{u}" for n, u in parts if n][:2]
    return " ".join(shown) or "0s"


def size(num_bytes: int) -> str:
    value = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover - the loop always returns


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def compact(value: float) -> str:
    """A count in at most 5 characters: 9999 stays, 12345 -> '12.3k', 2469134 -> '2.5M' (--json is exact)."""
    if value < 10_000:
        return f"{value:g}" if isinstance(value, float) else str(value)
    for unit, scale in (("k", 1e3), ("M", 1e6), ("G", 1e9)):
        scaled = value / scale
        if scaled < 999.5 or unit == "G":
            return f"{scaled:.1f}{unit}" if scaled < 99.95 else f"{scaled:.0f}{unit}"
    return str(value)  # pragma: no cover - the loop always returns


def _count(value: int, bad: bool = False) -> Text:
    return Text(compact(value), style="bold red" if bad and value else ("dim" if not value else ""))


def name_prefix(bus_name: str) -> str:
    """The `<project>-<environment>-<suffix>-` every resource name of the environment starts with."""
    return (bus_name[: -len("-bus")] if bus_name.endswith("-bus") else bus_name) + "-"


def short(name: str, prefix: str) -> str:
    """`name` without the environment's common prefix (the header names it once)."""
    return name[len(prefix) :] if prefix and name.startswith(prefix) and len(name) > len(prefix) else name


def _since(value: datetime | None, reference: datetime | None) -> str:
    """A time in a narrow column: the clock time on the snapshot's day, else the date too (all UTC)."""
    if value is None:
        return "-"
    same_day = reference is not None and value.date() == reference.date()
    return value.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M:%S")


_PADDING = (0, 1, 0, 0)


def _table(title: str) -> Table:
    # The lightest box and one space of padding (its divider is the other): 80 columns (a pipe, a small
    # terminal) hold every table without cutting a name.
    return Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=_PADDING, show_edge=False, min_width=0
    )


def _name_column(table: Table, header: str) -> None:
    # Names fold onto a second line rather than lose their end ("order…" says nothing).
    table.add_column(header, overflow="fold")


def render_header(snapshot: Snapshot) -> Text:
    meta = snapshot.meta
    window = duration((meta.window_end - meta.window_start).total_seconds())
    text = Text()
    text.append(f"{meta.environment or 'environment'}", style="bold")
    text.append(f"  target {meta.target}  region {meta.region}\n")
    text.append(f"window last {window}, at {_time(meta.taken_at)}\n")
    text.append(f"names below drop the prefix {name_prefix(snapshot.bus.name)}", style="dim")
    return text


def render_bus(bus: BusInfo) -> Table:
    table = Table(
        title="Bus",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_header=False,
        padding=_PADDING,
        show_edge=False,
        min_width=0,
    )
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("name", bus.name)
    table.add_row("arn", bus.arn)
    table.add_row("policy", "present" if bus.policy_present else "none")
    if bus.archive is None:
        table.add_row("archive", Text("missing", style="bold yellow"))
    else:
        archive = bus.archive
        retention = f"{archive.retention_days}d" if archive.retention_days else "forever"
        table.add_row(
            "archive",
            f"{short(archive.name, name_prefix(bus.name))}  {archive.state}  {archive.event_count:,} events"
            f"  {size(archive.size_bytes)}  kept {retention}",
        )
    return table


_SERVICE_LABEL = {
    "lambda": "λ", "sqs": "queue", "sns": "topic", "states": "workflow", "events": "bus", "firehose": "firehose"
}  # fmt: skip


def _target(target: TargetInfo, prefix: str) -> str:
    parts = target.arn.split(":")
    service = parts[2] if len(parts) > 2 else ""
    resource = short(target.arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1], prefix)
    lines = [f"{target.id} -> {_SERVICE_LABEL.get(service, service)} {resource}"]
    extras = []
    if target.dead_letter_arn:
        extras.append(f"dlq {short(target.dead_letter_arn.rsplit(':', 1)[-1], prefix)}")
    if target.retry_policy:
        retry = target.retry_policy
        extras.append(f"retry {retry.maximum_retry_attempts}x/{retry.maximum_event_age_seconds}s")
    if target.input_transformer:
        extras.append("transformer")
    if extras:
        lines.append("  " + ", ".join(extras))
    return "\n".join(lines)


# EventBridge's longest state would take half the width; the legend under the table spells it out.
_STATE_SHORT = {"ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS": "ENABLED*"}


def _rule_label(rule: RuleView, prefix: str) -> str:
    return rule.key or short(rule.name, prefix)


def render_rules(rules: list[RuleView], prefix: str = "") -> RenderableType:
    table = _table("Rules (metrics for the window)")
    _name_column(table, "Rule")
    table.add_column("State", no_wrap=True)
    for header in ("Match", "Invoke", "Fail", "DLQ", "Lost", "Thr"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("p50/p99", no_wrap=True)
    for rule in rules:
        m = rule.metrics
        table.add_row(
            _rule_label(rule, prefix),
            Text(
                _STATE_SHORT.get(rule.state, rule.state),
                style="" if rule.state.startswith("ENABLED") else "yellow",
            ),
            _count(m.matched_events),
            _count(m.invocations),
            _count(m.failed_invocations, bad=True),
            _count(m.dead_letter_invocations, bad=True),
            _count(m.invocations_failed_to_be_sent_to_dlq, bad=True),
            _count(m.throttled_rules, bad=True),
            _ms(m.latency_p50_ms, m.latency_p99_ms),
        )
    legend = "Fail: failed invocations, DLQ: sent to the DLQ, Lost: could not reach the DLQ, Thr: throttled"
    if any(r.state in _STATE_SHORT for r in rules):
        legend += "; ENABLED*: ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
    return Group(table, Text(legend, style="dim"))


def pattern_text(pattern: Any) -> str:
    """One line per top-level field, values as compact JSON: short enough for a table cell, still exact."""
    if pattern is None:
        return "(schedule)"
    if not isinstance(pattern, dict):
        return str(pattern)
    return "\n".join(f"{key}: {json.dumps(value, separators=(', ', ': '))}" for key, value in pattern.items())


def render_forwarding(view: ForwardingView, prefix: str = "") -> RenderableType:
    """The default bus's forwarding rule: its counts, then what it forwards where (one line each)."""
    table = _table("Forwarding from the default bus")
    _name_column(table, "Rule")
    table.add_column("State", no_wrap=True)
    for header in ("Match", "Invoke", "Fail", "DLQ", "Lost"):
        table.add_column(header, justify="right", no_wrap=True)
    m = view.metrics
    state = view.state if view.exists else "MISSING"
    table.add_row(
        short(view.rule_name, prefix),
        Text(state, style="" if state == "ENABLED" else ("bold red" if state == "MISSING" else "yellow")),
        _count(m.matched_events),
        _count(m.invocations),
        _count(m.failed_invocations, bad=True),
        _count(m.dead_letter_invocations, bad=True),
        _count(m.invocations_failed_to_be_sent_to_dlq, bad=True),
    )
    if not view.exists:
        return table
    target = short((view.target_arn or "no target").rsplit("/", 1)[-1], prefix)
    lines = [Text(f"  {line}", style="dim") for line in pattern_text(view.pattern).splitlines()]
    return Group(table, *lines, Text(f"  -> {target} (events keep their aws.* source)", style="dim"))


def endpoint_lines(status: EndpointStatus, prefix: str = "") -> list[str]:
    """The endpoint in three lines (the monitor's section and `tooling failover status`)."""
    receiving = status.receiving_region
    role = "primary" if receiving == status.primary_region else "secondary: failed over"
    lag = (
        "lag not measurable on this target"
        if status.replication_lag_seconds is None
        else f"lag {status.replication_lag_seconds:.1f} s"
    )
    # Why it is not OK (an OK alarm's reason is noise at 80 columns; --json has it).
    reason = status.alarm_reason if status.alarm_state != "OK" else ""
    alarm = status.alarm_state + (f" ({reason})" if reason else "")
    return [
        f"{short(status.endpoint_name, prefix)}  {status.state}  receiving {receiving} ({role})",
        f"  health check {status.health_check}  alarm {short(status.alarm_name, prefix)} {alarm}",
        f"  {status.primary_region} -> {status.secondary_region}, replication "
        + (f"on, {lag}" if status.replication else "off"),
    ]


def render_failover(view: FailoverView, prefix: str = "") -> RenderableType:
    """The global endpoint ([failover]) and both regions side by side."""
    status = view.endpoint
    style = "green" if status.state == "ACTIVE" and not status.failed_over else "bold yellow"
    lines = endpoint_lines(status, prefix)
    head = [Text(lines[0], style=style), *(Text(line) for line in lines[1:])]
    table = _table("Regions (metrics for the window)")
    table.add_column("Region", no_wrap=True)
    table.add_column("Role", no_wrap=True)
    table.add_column("Recv", no_wrap=True)
    for header in ("Archived", "Match", "Invoke", "Errors", "DLQ"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Health", no_wrap=True)
    for region in view.regions:
        table.add_row(
            region.region,
            region.role,
            Text("yes", style="bold") if region.receiving else Text("no", style="dim"),
            "-" if region.archived_events is None else _count(region.archived_events),
            _count(region.matched_events),
            _count(region.invocations),
            _count(region.errors, bad=True),
            _count(region.dlq_messages, bad=True),
            Text(region.status, style=_HEALTH_STYLE[region.status]),
        )
    return Group(Text("Global endpoint", style="italic"), *head, table)


def render_routes(rules: list[RuleView], prefix: str = "") -> Table:
    table = _table("Routes")
    table.show_lines = True
    _name_column(table, "Rule")
    table.add_column("Pattern", overflow="fold", ratio=3)
    table.add_column("Targets", overflow="fold", ratio=2)
    for rule in rules:
        pattern = pattern_text(rule.pattern)
        targets = "\n".join(_target(t, prefix) for t in rule.targets) or Text("no targets", style="yellow")
        label = _rule_label(rule, prefix)
        if rule.managed_by:
            label += f"\n(managed by {rule.managed_by})"
        table.add_row(label, pattern, targets)
    return table


def _latency(ms: float) -> str:
    if ms < 1000:
        return f"{ms:.0f}ms"
    return f"{ms / 1000:.1f}s" if ms < 9_950 else f"{ms / 1000:.0f}s"


def _ms(p50: float, p99: float) -> str:
    return "-" if not (p50 or p99) else f"{_latency(p50)}/{_latency(p99)}"


def _pending(pending: AsyncQueue, reference: datetime | None) -> str:
    text = f"{pending.queued} queued"
    if pending.retrying:
        text += f", {pending.retrying} retrying, next {_since(pending.next_retry_at, reference)}"
    return text


def render_functions(
    functions: list[FunctionView], reference: datetime | None = None, prefix: str = ""
) -> Table:
    table = _table("Functions (metrics for the window)")
    _name_column(table, "Function")
    for header in ("Invoke", "Errors", "Throttles"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("p50/p99", no_wrap=True)
    table.add_column("DLQ", justify="right", no_wrap=True)
    waiting = any(fn.pending.queued or fn.pending.retrying for fn in functions)
    if waiting:
        table.add_column("Async queue", overflow="fold")
    for fn in functions:
        m = fn.metrics
        label = fn.key if short(fn.name, prefix) == fn.key else f"{fn.key}\n({short(fn.name, prefix)})"
        table.add_row(
            label,
            _count(m.invocations),
            _count(m.errors, bad=True),
            _count(m.throttles, bad=True),
            _ms(m.duration_p50_ms, m.duration_p99_ms),
            "-" if fn.dlq_depth is None else _count(fn.dlq_depth, bad=True),
            *([_pending(fn.pending, reference)] if waiting else []),
        )
    return table


def render_queues(queues: list[QueueView], prefix: str = "") -> RenderableType:
    table = _table("Queues")
    _name_column(table, "Queue")
    for header in ("Visible", "In flight", "Oldest"):
        table.add_column(header, justify="right", no_wrap=True)
    samples: list[RenderableType] = []
    for q in queues:
        if not q.exists:
            table.add_row(Text(f"{q.key} (missing: {q.url})", style="bold red"), "-", "-", "-")
            continue
        dlq = q.role == "dlq"
        table.add_row(
            q.key,
            _count(q.visible, bad=dlq),
            _count(q.in_flight, bad=dlq),
            duration(q.oldest_age_seconds) if q.visible + q.in_flight else "-",
        )
        if q.sample:
            samples.append(_sample(q))
    return Group(table, *samples) if samples else table


def _sample(queue: QueueView) -> RenderableType:
    limit = queue.max_receive_count
    note = f" (on AWS each peek counts towards maxReceiveCount {limit})" if limit else ""
    heading = Text(f"{queue.key}: {len(queue.sample)} message(s), left visible{note}", style="italic")
    table = Table(box=box.SIMPLE_HEAD, padding=_PADDING, show_edge=False, min_width=0)
    table.add_column("Sent", no_wrap=True)
    table.add_column("Rcv", justify="right", no_wrap=True)
    table.add_column("Body", overflow="fold")
    for message in queue.sample:
        body = message.body if len(message.body) <= 300 else message.body[:300] + "..."
        table.add_row(_time(message.sent_at), str(message.receive_count), body)
    return Group(heading, table)


def render_alarms(
    alarms: list[AlarmInfo], reference: datetime | None = None, prefix: str = ""
) -> RenderableType:
    if not alarms:
        return Text("Alarms: none found for this environment", style="dim")
    table = _table("Alarms")
    _name_column(table, "Alarm")
    table.add_column("State", no_wrap=True)
    table.add_column("Since (UTC)", no_wrap=True)  # the alarm's last state change
    for alarm in alarms:
        state = Text(alarm.state, style=_STATE_STYLE.get(alarm.state, ""))
        table.add_row(short(alarm.name, prefix), state, _since(alarm.updated_at, reference))
    return table


def render_health(health: Health) -> RenderableType:
    style = _HEALTH_STYLE[health.status]
    if not health.problems:
        return Text("Health: OK", style=style)
    lines = [Text(f"Health: {health.status} ({len(health.problems)} problem(s))", style=style)]
    for problem in health.problems:
        marker = "!!" if problem.severity == "critical" else "! "
        lines.append(
            Text(f"  {marker} {problem.subject}: {problem.message}", style=_HEALTH_STYLE[health.status])
        )
    return Group(*lines)


def render(snapshot: Snapshot, *, health_first: bool = False) -> RenderableType:
    """The whole dashboard, readable at 80 columns. Health last, where the eye lands after a one-off
    command; first (`health_first`) for `--watch`, where the top of the screen is what stays in view."""
    prefix = name_prefix(snapshot.bus.name)
    taken = snapshot.meta.taken_at
    body: list[RenderableType] = [
        render_bus(snapshot.bus),
        *([] if snapshot.failover is None else [render_failover(snapshot.failover, prefix)]),
        render_rules(snapshot.rules, prefix),
        *([] if snapshot.forwarding is None else [render_forwarding(snapshot.forwarding, prefix)]),
        render_routes(snapshot.rules, prefix),
        render_functions(snapshot.functions, taken, prefix),
        render_queues(snapshot.queues, prefix),
        *([] if snapshot.s3_archive is None else [render_s3_archive(snapshot.s3_archive, prefix)]),
        *(
            [render_consumer(snapshot.consumer, duration(snapshot.consumer.lag_seconds), compact)]
            if snapshot.consumer is not None
            else []
        ),
        render_alarms(snapshot.alarms, taken, prefix),
    ]
    body = [part for section in body for part in (Text(""), section)]  # a blank line before each section
    health = render_health(snapshot.health)
    if health_first:
        parts = [render_header(snapshot), health, *body]
    else:
        parts = [render_header(snapshot), *body, Text(""), health]
    return Group(*parts)


def render_log_event(event: LogEvent, *, one_line: bool = False) -> RenderableType:
    """One log event: time, function, level and message, then its other fields (indented when long, unless
    `one_line`: into a pipe every event is one line, so `tooling logs | grep orderId` shows the whole event)."""
    head = Text()
    head.append(event.timestamp.strftime("%H:%M:%S.%f")[:-3], style="dim")
    head.append(f" {event.function:<10}", style="cyan")
    if event.data is None:
        head.append(" " + event.message)
        return head
    level = str(event.data.get("level", "")).upper()
    if level:
        head.append(f" {level}", style=_LEVEL_STYLE.get(level, "green"))
    message = event.data.get("message")
    if isinstance(message, str):
        head.append(" " + message)
    rest = {k: v for k, v in event.data.items() if k not in _LOG_CONTEXT_KEYS}
    if not rest:
        return head
    compact = json.dumps(rest, default=str, separators=(", ", ": "))
    if one_line or len(compact) <= 100:
        head.append("  " + compact, style="dim")
        return head
    return Group(head, JSON(json.dumps(rest, default=str), indent=2))


def render_replay(status: ReplayStatus) -> Text:
    text = Text()
    text.append(f"replay {status.name}: ", style="bold")
    text.append(status.state, style="green" if status.state == "COMPLETED" else "")
    if status.event_start and status.event_end:
        text.append(f"  events {_time(status.event_start)} .. {_time(status.event_end)}")
    if status.reason:
        text.append(f"  ({status.reason})")
    return text
