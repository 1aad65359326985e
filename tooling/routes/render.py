"""The report as text (the terminal) and as Markdown (a pull request's job summary). Pure functions."""

from __future__ import annotations

from tooling.routes.report import DiffReport, RuleDiff, TargetDiff

MAX_PAYLOAD_CHARS = 300


def _signed(value: int, sign: str) -> str:
    return f"{sign}{value}" if value else "0"


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}/day"


def _events_line(report: DiffReport) -> str:
    events = report.events
    line = f"{events.evaluated:,} event(s) from {events.source}"
    if events.sample_seed is not None:
        line += f" (a uniform sample of {events.read:,} read, seed {events.sample_seed})"
    if events.first_time is not None:
        line += f", {events.first_time} .. {events.last_time}"
    if events.span_days is None or events.span_days * 24 < 1:
        line += " (under an hour of traffic: no daily rates)"
    return line


def _interesting(rule: RuleDiff) -> bool:
    return rule.status != "unchanged" or bool(rule.gained or rule.lost or rule.payload_changes)


def _status(rule: RuleDiff) -> str:
    if rule.status == "renamed":
        return f"renamed from {rule.previous_name}"
    if rule.enabled_before is not None and rule.enabled_before != rule.enabled_after:
        return f"{rule.status} ({'enabled' if rule.enabled_after else 'disabled'})"
    return rule.status


def _cut(text: str) -> str:
    return text if len(text) <= MAX_PAYLOAD_CHARS else text[: MAX_PAYLOAD_CHARS - 3] + "..."


def render_text(report: DiffReport) -> list[str]:
    lines = [f"before: {report.before}", f"after:  {report.after}", f"events: {_events_line(report)}", ""]
    width = max([len(r.name) for r in report.rules] + [4])
    lines.append(f"{'rule':<{width}}  {'before':>8}  {'after':>8}  {'gained':>8}  {'lost':>8}  status")
    for rule in report.rules:
        lines.append(
            f"{rule.name:<{width}}  {rule.matched_before:>8,}  {rule.matched_after:>8,}  "
            f"{_signed(rule.gained, '+'):>8}  {_signed(rule.lost, '-'):>8}  {_status(rule)}"
        )
        lines += _rule_details(rule, indent="    ")
    lines.append("")
    width = max([len(t.target) for t in report.targets] + [6])
    lines.append(f"{'target':<{width}}  {'before':>8}  {'after':>8}  {'gained':>8}  {'lost':>8}")
    for target in report.targets:
        lines.append(
            f"{target.target:<{width}}  {target.received_before:>8,}  {target.received_after:>8,}  "
            f"{_signed(target.gained, '+'):>8}  {_signed(target.lost, '-'):>8}  {_target_rates(target)}"
        )
    lines.append("")
    if report.silent_targets:
        lines.append(f"targets that would receive nothing: {', '.join(report.silent_targets)}")
    lines.append(_verdict(report))
    return lines


def _target_rates(target: TargetDiff) -> str:
    parts = []
    if target.gained and target.gained_per_day is not None:
        parts.append(f"+{_rate(target.gained_per_day)}")
    if target.lost and target.lost_per_day is not None:
        parts.append(f"-{_rate(target.lost_per_day)}")
    return " ".join(parts)


def _rule_details(rule: RuleDiff, indent: str) -> list[str]:
    lines = []
    for label, count, rate, examples in (
        ("gained", rule.gained, rule.gained_per_day, rule.gained_examples),
        ("lost", rule.lost, rule.lost_per_day, rule.lost_examples),
    ):
        if not count:
            continue
        per_day = f" ({_rate(rate)})" if rate is not None else ""
        lines.append(f"{indent}{label} {count:,}{per_day}, e.g.:")
        lines += [f"{indent}  {example.id}  {example.reason}" for example in examples]
    for change in rule.payload_changes:
        lines.append(
            f"{indent}payload to {change.target} ({change.target_id}): {change.changed:,} of "
            f"{change.compared:,} changed"
        )
        for sample in change.samples:
            lines.append(f"{indent}  {sample.id}")
            lines.append(f"{indent}  - {_cut(sample.before)}")
            lines.append(f"{indent}  + {_cut(sample.after)}")
    return lines


def _verdict(report: DiffReport) -> str:
    if not (report.gained or report.lost or report.payload_changes):
        return "no routing change over these events"
    return (
        f"routing changes: {report.gained:,} gained, {report.lost:,} lost, "
        f"{report.payload_changes:,} payload(s) changed (summed over rules)"
    )


def render_markdown(report: DiffReport, title: str = "Routing diff") -> str:
    lines = [f"### {title}", "", f"`{report.before}` → `{report.after}`", "", _events_line(report), ""]
    changed = [r for r in report.rules if _interesting(r)]
    lines.append(f"**{_verdict(report)}**")
    lines.append("")
    lines += ["| rule | status | before | after | gained | lost |", "|---|---|---:|---:|---:|---:|"]
    for rule in changed or report.rules:
        lines.append(
            f"| `{rule.name}` | {_status(rule)} | {rule.matched_before:,} | {rule.matched_after:,} | "
            f"{_signed(rule.gained, '+')} | {_signed(rule.lost, '-')} |"
        )
    if changed and len(changed) < len(report.rules):
        lines.append(f"\n{len(report.rules) - len(changed)} unchanged rule(s) not shown.")
    lines += ["", "| target | before | after | gained | lost |", "|---|---:|---:|---:|---:|"]
    for target in report.targets:
        lines.append(
            f"| `{target.target}` | {target.received_before:,} | {target.received_after:,} | "
            f"{_signed(target.gained, '+')} | {_signed(target.lost, '-')} |"
        )
    if report.silent_targets:
        lines += ["", f"**Targets that would receive nothing:** {', '.join(report.silent_targets)}"]
    details = [line for rule in changed for line in (f"{rule.name}:", *_rule_details(rule, "  "))]
    if any(r.gained or r.lost or r.payload_changes for r in changed):
        # A payload holding a fence would end the code block early.
        lines += ["", "<details><summary>examples</summary>", "", "```"]
        lines += [line.replace("```", "` ` `") for line in details]
        lines += ["```", "", "</details>"]
    return "\n".join(lines) + "\n"
