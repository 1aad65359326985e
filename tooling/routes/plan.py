"""The two routing tables made comparable: rules paired across the sides, every distinct pattern once, and
what a set of matching patterns means for each rule and target.

Pairing (what "the same rule" means when names change):
  1. a rule keeps its name: the same rule, whatever else changed;
  2. a rule that left the table and one that joined it with the same identity (pattern, and the targets
     with their transformers) are one rule renamed: its events are neither gained nor lost;
  3. anything else is a rule removed or added.
A rename that also changes the pattern is therefore a removal plus an addition; the per-target figures are
the same either way, since they follow the events to their destinations whatever the rules are called.

Matching: the patterns of both sides are deduplicated (by canonical JSON) and compiled into one RuleSet, so
each event is matched once for both tables; the rules unchanged by a diff cost nothing extra. A disabled
rule matches nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from tooling.routes.model import RouteRule, Routes, Transformer

Status = Literal["unchanged", "changed", "renamed", "added", "removed"]
NONE = -1  # no pattern: the rule is absent or disabled on that side


@dataclass(frozen=True)
class RulePair:
    before: RouteRule | None
    after: RouteRule | None
    status: Status

    @property
    def name(self) -> str:
        rule = self.after or self.before
        assert rule is not None
        return rule.name


@dataclass(frozen=True)
class TransformCheck:
    """A target of a paired rule whose payload may differ between the sides for an event both match."""

    pair: int
    target: str
    target_id: str
    before: Transformer | None
    after: Transformer | None
    before_name: str
    before_arn: str
    after_name: str
    after_arn: str


@dataclass
class DiffPlan:
    patterns: list[str] = field(default_factory=list)  # canonical JSON, one per distinct pattern
    pairs: list[RulePair] = field(default_factory=list)
    # per pair: the pattern index on each side (NONE when absent or disabled)
    pair_patterns: list[tuple[int, int]] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    # per target: the pattern indexes that deliver to it on each side
    target_patterns: list[tuple[frozenset[int], frozenset[int]]] = field(default_factory=list)
    checks: list[TransformCheck] = field(default_factory=list)
    examples: int = 3  # example events kept per set of matches (and shown per rule and target)

    def pattern_index(self, key: str, index: dict[str, int]) -> int:
        found = index.get(key)
        if found is None:
            found = index[key] = len(self.patterns)
            self.patterns.append(key)
        return found


def pair_rules(before: Sequence[RouteRule], after: Sequence[RouteRule]) -> list[RulePair]:
    after_names = {rule.name for rule in after}
    before_by_name = {rule.name: rule for rule in before}
    gone = [rule for rule in before if rule.name not in after_names]
    pairs: list[RulePair] = []
    for rule in after:
        old = before_by_name.get(rule.name)
        if old is not None:
            same = old.identity == rule.identity and old.enabled == rule.enabled
            pairs.append(RulePair(old, rule, "unchanged" if same else "changed"))
            continue
        twin = next((g for g in gone if g.identity == rule.identity and g.enabled == rule.enabled), None)
        if twin is not None:
            gone.remove(twin)
            pairs.append(RulePair(twin, rule, "renamed"))
        else:
            pairs.append(RulePair(None, rule, "added"))
    pairs += [RulePair(rule, None, "removed") for rule in gone]
    return pairs


def build_plan(before: Routes, after: Routes, examples: int = 3) -> DiffPlan:
    plan = DiffPlan(pairs=pair_rules(before.rules, after.rules), examples=examples)
    index: dict[str, int] = {}

    def side(rule: RouteRule | None) -> int:
        if rule is None or not rule.enabled:
            return NONE
        return plan.pattern_index(rule.pattern_key, index)

    delivering: dict[str, tuple[set[int], set[int]]] = {}
    for number, pair in enumerate(plan.pairs):
        b, a = side(pair.before), side(pair.after)
        plan.pair_patterns.append((b, a))
        for rule, pattern, which in ((pair.after, a, 1), (pair.before, b, 0)):
            for target in rule.targets if rule is not None else ():
                sets = delivering.setdefault(target.target, (set(), set()))
                if pattern != NONE:
                    sets[which].add(pattern)
        if pair.before is not None and pair.after is not None and b != NONE and a != NONE:
            plan.checks += _checks(number, pair.before, pair.after)
    plan.targets = list(delivering)
    plan.target_patterns = [(frozenset(b), frozenset(a)) for b, a in delivering.values()]
    return plan


_RULE_VARIABLES = ("<aws.events.rule-name>", "<aws.events.rule-arn>")


def _checks(number: int, before: RouteRule, after: RouteRule) -> list[TransformCheck]:
    """The targets (by target id) present on both sides whose payload could differ: another transformer, or
    one that prints the rule's name or ARN while the rule was renamed."""
    old = {t.target_id: t for t in before.targets}
    checks = []
    for target in after.targets:
        previous = old.get(target.target_id)
        if previous is None or previous.target != target.target:
            continue
        renamed = (before.aws_name, before.arn) != (after.aws_name, after.arn)
        prints_rule = any(
            v in t.transformer.input_template
            for t in (previous, target)
            if t.transformer is not None
            for v in _RULE_VARIABLES
        )
        if previous.transformer != target.transformer or (renamed and prints_rule):
            checks.append(
                TransformCheck(
                    pair=number,
                    target=target.target,
                    target_id=target.target_id,
                    before=previous.transformer,
                    after=target.transformer,
                    before_name=before.aws_name,
                    before_arn=before.arn,
                    after_name=after.aws_name,
                    after_arn=after.arn,
                )
            )
    return checks


@dataclass(frozen=True)
class Effect:
    """What one set of matching patterns means: per pair and per target, (matched before, matched after)."""

    pairs: tuple[tuple[bool, bool], ...]
    targets: tuple[tuple[bool, bool], ...]
    checks: tuple[int, ...]  # the transform checks whose rule both sides match
    differs: bool  # a rule or a target matches on one side only: its events are examples


def effect(plan: DiffPlan, matched: frozenset[int]) -> Effect:
    pairs = tuple((b in matched, a in matched) for b, a in plan.pair_patterns)
    targets = tuple((not b.isdisjoint(matched), not a.isdisjoint(matched)) for b, a in plan.target_patterns)
    checks = tuple(i for i, check in enumerate(plan.checks) if all(pairs[check.pair]))
    differs = any(b != a for b, a in pairs) or any(b != a for b, a in targets)
    return Effect(pairs, targets, checks, differs)
