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


def _count(value: int, bad: bool = False) -> Text:
    return Text(str(value), style="bold red" if bad and value else ("dim" if not value else ""))


def _ms(p50: float, p99: float) -> str:
    return "-" if not (p50 or p99) else f"{p50:,.0f} / {p99:,.0f} ms"


def render_header(snapshot: Snapshot) -> Text:
    meta = snapshot.meta
    window = duration((meta.window_end - meta.window_start).total_seconds())
    text = Text()
    text.append(f"{meta.environment or 'environment'}", style="bold")
    text.append(
        f"  target {meta.target}  region {meta.region}  window last {window}  at {_time(meta.taken_at)}"
    )
    return text


def render_bus(bus: BusInfo) -> Table:
    table = Table(title="Bus", title_justify="left", box=box.SIMPLE_HEAD, show_header=False)
    table.add_column(style="bold")
    table.add_column()
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
            f"{archive.name}  {archive.state}  {archive.event_count:,} events  {size(archive.size_bytes)}"
            f"  kept {retention}",
        )
    return table


def _target(target: TargetInfo) -> str:
    lines = [f"{target.id}: {target.arn}"]
    extras = []
    if target.dead_letter_arn:
        extras.append(f"dlq {target.dead_letter_arn.rsplit(':', 1)[-1]}")
    if target.retry_policy:
        retry = target.retry_policy
        extras.append(f"retry {retry.maximum_retry_attempts}x / {retry.maximum_event_age_seconds}s")
    if target.input_transformer:
        extras.append("input transformer")
    if extras:
        lines.append("  " + ", ".join(extras))
    return "\n".join(lines)


def render_rules(rules: list[RuleView]) -> Table:
    table = Table(title="Rules (metrics for the window)", title_justify="left", box=box.SIMPLE_HEAD)
    for name in (
        "Rule",
        "State",
        "Matched",
        "Invoked",
        "Failed",
        "To DLQ",
        "Lost",
        "Throttled",
        "Latency p50/p99",
    ):
        table.add_column(name, justify="left" if name in ("Rule", "State", "Latency p50/p99") else "right")
    for rule in rules:
        m = rule.metrics
        table.add_row(
            rule.key or rule.name,
            Text(rule.state, style="" if rule.state.startswith("ENABLED") else "yellow"),
            _count(m.matched_events),
            _count(m.invocations),
            _count(m.failed_invocations, bad=True),
            _count(m.dead_letter_invocations, bad=True),
            _count(m.invocations_failed_to_be_sent_to_dlq, bad=True),
            _count(m.throttled_rules, bad=True),
            _ms(m.latency_p50_ms, m.latency_p99_ms),
        )
    return table


def pattern_text(pattern: Any) -> str:
    """One line per top-level field, values as compact JSON: short enough for a table cell, still exact."""
    if pattern is None:
        return "(schedule)"
    if not isinstance(pattern, dict):
        return str(pattern)
    return "\n".join(f"{key}: {json.dumps(value, separators=(', ', ': '))}" for key, value in pattern.items())


def render_routes(rules: list[RuleView]) -> Table:
    table = Table(title="Routes", title_justify="left", box=box.SIMPLE_HEAD, show_lines=True)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Pattern", overflow="fold")
    table.add_column("Targets", overflow="fold")
    for rule in rules:
        pattern = pattern_text(rule.pattern)
        targets = "\n".join(_target(t) for t in rule.targets) or Text("no targets", style="yellow")
        label = f"{rule.key}\n{rule.name}" if rule.key else rule.name
        if rule.managed_by:
            label += f"\n(managed by {rule.managed_by})"
        table.add_row(label, pattern, targets)
    return table


def _pending(pending: AsyncQueue) -> str:
    text = f"{pending.queued} queued"
    if pending.retrying:
        text += f", {pending.retrying} retrying: next {_time(pending.next_retry_at)}"
    return text


def render_functions(functions: list[FunctionView]) -> Table:
    table = Table(title="Functions", title_justify="left", box=box.SIMPLE_HEAD)
    columns = ("Function", "Name", "Invocations", "Errors", "Throttles", "Duration p50/p99", "DLQ depth")
    for name in columns:
        table.add_column(
            name, justify="right" if name in ("Invocations", "Errors", "Throttles", "DLQ depth") else "left"
        )
    waiting = any(fn.pending.queued or fn.pending.retrying for fn in functions)
    if waiting:
        table.add_column("Async queue (retries: next attempt)")
    for fn in functions:
        m = fn.metrics
        table.add_row(
            fn.key,
            fn.name,
            _count(m.invocations),
            _count(m.errors, bad=True),
            _count(m.throttles, bad=True),
            _ms(m.duration_p50_ms, m.duration_p99_ms),
            "-" if fn.dlq_depth is None else _count(fn.dlq_depth, bad=True),
            *([_pending(fn.pending)] if waiting else []),
        )
    return table


def render_queues(queues: list[QueueView]) -> RenderableType:
    table = Table(title="Queues", title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("Queue", "Name", "Visible", "In flight", "Oldest"):
        table.add_column(name, justify="right" if name in ("Visible", "In flight", "Oldest") else "left")
    samples: list[RenderableType] = []
    for q in queues:
        if not q.exists:
            table.add_row(q.key, Text(f"missing: {q.url}", style="bold red"), "-", "-", "-")
            continue
        dlq = q.role == "dlq"
        table.add_row(
            q.key,
            q.name or "",
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
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("Sent", no_wrap=True)
    table.add_column("Receives", justify="right")
    table.add_column("Body")
    for message in queue.sample:
        body = message.body if len(message.body) <= 300 else message.body[:300] + "..."
        table.add_row(_time(message.sent_at), str(message.receive_count), body)
    return Group(heading, table)


def render_alarms(alarms: list[AlarmInfo]) -> RenderableType:
    if not alarms:
        return Text("Alarms: none found for this environment", style="dim")
    table = Table(title="Alarms", title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("Alarm", "State", "Metric", "Since"):
        table.add_column(name)
    for alarm in alarms:
        state = Text(alarm.state, style=_STATE_STYLE.get(alarm.state, ""))
        table.add_row(alarm.name, state, alarm.metric or "(composite)", _time(alarm.updated_at))
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


def render(snapshot: Snapshot) -> RenderableType:
    """The whole dashboard, health last so it is what the eye lands on."""
    return Group(
        render_header(snapshot),
        render_bus(snapshot.bus),
        render_rules(snapshot.rules),
        render_routes(snapshot.rules),
        render_functions(snapshot.functions),
        render_queues(snapshot.queues),
        render_alarms(snapshot.alarms),
        render_health(snapshot.health),
    )


def render_log_event(event: LogEvent) -> RenderableType:
    """One log event: time, function, level and message, then its other fields (indented when long)."""
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
    if len(compact) <= 100:
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
