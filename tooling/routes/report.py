"""The diff's report: per rule, per target, the events read; built from the merged tally of a run.

Counts are over the events evaluated (the sample, with --sample). Rates per day are over the events' own
time span (first to last `time`), scaled up from a sample to everything read; under an hour of events gives
no rate rather than a wild one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel

from tooling.routes import explain
from tooling.routes.plan import DiffPlan, Effect, Effects, RulePair
from tooling.routes.scan import Tally

MIN_SPAN_SECONDS = 3600
DAY_SECONDS = 86400
FailOn = Literal["lost", "gained", "any"]


class Example(BaseModel):
    id: str
    field: str | None = None  # the dot-joined path of the field that decided; None for a whole-rule change
    value: Any = None  # the event's value(s) there
    before: Any = None  # the condition on that field before and after (None where the pattern has none)
    after: Any = None
    reason: str


class PayloadSample(BaseModel):
    id: str
    before: str
    after: str


class PayloadChange(BaseModel):
    """A target both sides deliver to whose input transformer (or the rule name it prints) changed."""

    target: str
    target_id: str
    compared: int  # events matched by the rule on both sides
    changed: int  # of which the payload differs
    samples: list[PayloadSample]


class RuleDiff(BaseModel):
    name: str
    status: str  # unchanged | changed | renamed | added | removed
    previous_name: str | None = None  # for a renamed rule
    enabled_before: bool | None
    enabled_after: bool | None
    matched_before: int
    matched_after: int
    gained: int
    lost: int
    gained_per_day: float | None
    lost_per_day: float | None
    gained_examples: list[Example]
    lost_examples: list[Example]
    payload_changes: list[PayloadChange]


class TargetDiff(BaseModel):
    target: str
    received_before: int  # events delivered to it by at least one rule
    received_after: int
    gained: int
    lost: int
    gained_per_day: float | None
    lost_per_day: float | None
    gained_examples: list[str]  # event ids
    lost_examples: list[str]


class EventsRead(BaseModel):
    source: str
    read: int  # events read from the source
    evaluated: int  # events matched (the sample, with --sample)
    sample_seed: int | None = None
    first_time: str | None
    last_time: str | None
    span_days: float | None


class DiffReport(BaseModel):
    before: str
    after: str
    events: EventsRead
    rules: list[RuleDiff]
    targets: list[TargetDiff]
    # Targets that would receive none of these events: named by the new table, or fed before and no longer.
    silent_targets: list[str]
    gained: int  # summed over rules
    lost: int
    payload_changes: int

    def failed(self, fail_on: FailOn | None) -> bool:
        """Whether what --fail-on names happened."""
        lost = self.lost > 0 or any(t.lost for t in self.targets)
        gained = self.gained > 0 or any(t.gained for t in self.targets)
        if fail_on == "lost":
            return lost
        if fail_on == "gained":
            return gained
        if fail_on == "any":
            return lost or gained or self.payload_changes > 0
        return False


def _seconds(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def span_seconds(first: str | None, last: str | None) -> float | None:
    start, end = _seconds(first), _seconds(last)
    return None if start is None or end is None else end - start


class _Rates:
    def __init__(self, span: float | None, scale: float) -> None:
        self.per_day = None if span is None or span < MIN_SPAN_SECONDS else scale * DAY_SECONDS / span

    def __call__(self, count: int) -> float | None:
        return None if self.per_day is None else round(count * self.per_day, 1)


def build_report(
    plan: DiffPlan,
    tally: Tally,
    *,
    before: str,
    after: str,
    source: str,
    read: int,
    examples: int,
    sample_seed: int | None = None,
) -> DiffReport:
    effect = Effects(plan)
    span = span_seconds(tally.first_time, tally.last_time)
    rate = _Rates(span, read / tally.events if tally.events else 1.0)
    parsed: dict[bytes, dict[str, Any]] = {}

    def event_of(line: bytes) -> dict[str, Any]:
        if line not in parsed:
            parsed[line] = orjson.loads(line)
        return parsed[line]

    # [matched before, matched after, gained, lost] per rule pair and per target, summed over the match sets.
    rules_count = [[0, 0, 0, 0] for _ in plan.pairs]
    targets_count = [[0, 0, 0, 0] for _ in plan.targets]
    for key, count in tally.counts.items():
        found: Effect = effect(frozenset(int(n) for n in key))
        for table, lists in (
            (rules_count, (found.before_pairs, found.after_pairs, found.gained_pairs, found.lost_pairs)),
            (
                targets_count,
                (found.before_targets, found.after_targets, found.gained_targets, found.lost_targets),
            ),
        ):
            for column, numbers in enumerate(lists):
                for number in numbers:
                    table[number][column] += count

    def lines(change: str, kind: str, number: int) -> list[bytes]:
        return tally.examples.get((change, kind, number), [])[:examples]

    rules = []
    for number, pair in enumerate(plan.pairs):
        before_count, after_count, gained, lost = rules_count[number]
        rules.append(
            RuleDiff(
                name=pair.name,
                status=pair.status,
                previous_name=pair.before.name if pair.status == "renamed" and pair.before else None,
                enabled_before=None if pair.before is None else pair.before.enabled,
                enabled_after=None if pair.after is None else pair.after.enabled,
                matched_before=before_count,
                matched_after=after_count,
                gained=gained,
                lost=lost,
                gained_per_day=rate(gained),
                lost_per_day=rate(lost),
                gained_examples=[
                    _example(pair, event_of(x), gained=True) for x in lines("gained", "rule", number)
                ],
                lost_examples=[
                    _example(pair, event_of(x), gained=False) for x in lines("lost", "rule", number)
                ],
                payload_changes=_payload_changes(plan, tally, number),
            )
        )

    targets = []
    for number, name in enumerate(plan.targets):
        before_count, after_count, gained, lost = targets_count[number]
        targets.append(
            TargetDiff(
                target=name,
                received_before=before_count,
                received_after=after_count,
                gained=gained,
                lost=lost,
                gained_per_day=rate(gained),
                lost_per_day=rate(lost),
                gained_examples=[str(event_of(x).get("id", "?")) for x in lines("gained", "target", number)],
                lost_examples=[str(event_of(x).get("id", "?")) for x in lines("lost", "target", number)],
            )
        )
    after_targets = {t.target for p in plan.pairs if p.after is not None for t in p.after.targets}
    return DiffReport(
        before=before,
        after=after,
        events=EventsRead(
            source=source,
            read=read,
            evaluated=tally.events,
            sample_seed=sample_seed,
            first_time=tally.first_time,
            last_time=tally.last_time,
            span_days=None if span is None else round(span / DAY_SECONDS, 3),
        ),
        rules=rules,
        targets=targets,
        silent_targets=[
            t.target
            for t in targets
            if t.received_after == 0 and (t.target in after_targets or t.received_before > 0)
        ],
        gained=sum(r.gained for r in rules),
        lost=sum(r.lost for r in rules),
        payload_changes=sum(c.changed for r in rules for c in r.payload_changes),
    )


def _payload_changes(plan: DiffPlan, tally: Tally, pair: int) -> list[PayloadChange]:
    out = []
    for index, check in enumerate(plan.checks):
        if check.pair != pair:
            continue
        found = tally.payloads.get(index)
        out.append(
            PayloadChange(
                target=check.target,
                target_id=check.target_id,
                compared=0 if found is None else found.compared,
                changed=0 if found is None else found.changed,
                samples=[]
                if found is None
                else [PayloadSample(id=i, before=b, after=a) for i, b, a in found.samples],
            )
        )
    return out


def _example(pair: RulePair, event: dict[str, Any], *, gained: bool) -> Example:
    event_id = str(event.get("id", "?"))
    if pair.before is None or pair.after is None:
        return Example(id=event_id, reason="rule added" if pair.before is None else "rule removed")
    if pair.before.enabled != pair.after.enabled:
        return Example(id=event_id, reason="rule enabled" if pair.after.enabled else "rule disabled")
    # The side that did not match holds the deciding field.
    missed = pair.before.pattern if gained else pair.after.pattern
    found = explain.failing_leaf(missed, event)
    if found is None:
        return Example(
            id=event_id,
            reason="each field matches on its own but not together (one array element, or $or branches)",
        )
    path, _ = found
    field = ".".join(path)
    values = explain.values_at(event, path)
    value: Any = values[0] if len(values) == 1 else (values or None)
    before = explain.condition_at(pair.before.pattern, path)
    after = explain.condition_at(pair.after.pattern, path)
    shown = "absent" if not values else explain.shown(value)
    if gained:
        reason = (
            f"{field} {shown}: matches {explain.shown(after)}, not {explain.shown(before)}"
            if after is not None
            else f"{field} {shown} failed {explain.shown(before)}, which the rule no longer tests"
        )
    else:
        reason = (
            f"{field} {shown}: no longer matches {explain.shown(after)} (matched {explain.shown(before)})"
            if before is not None
            else f"{field} {shown} fails {explain.shown(after)}, a condition the rule did not have"
        )
    return Example(id=event_id, field=field, value=value, before=before, after=after, reason=reason)
