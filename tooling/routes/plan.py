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
rule matches nothing. What a set of matching patterns means (Effects) is indexed by pattern, so it costs
the size of the set, not of the tables.
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
    """What one set of matching patterns means, sparsely: the pairs and targets each side matches (indexes
    into plan.pairs and plan.targets), the ones only one side matches, and the transform checks whose rule
    both sides match. Everything not listed matches on neither side."""

    before_pairs: tuple[int, ...]
    after_pairs: tuple[int, ...]
    gained_pairs: tuple[int, ...]
    lost_pairs: tuple[int, ...]
    before_targets: tuple[int, ...]
    after_targets: tuple[int, ...]
    gained_targets: tuple[int, ...]
    lost_targets: tuple[int, ...]
    checks: tuple[int, ...]
    # Where an event of this set is an example: ("gained"|"lost", "rule"|"target", index).
    slots: tuple[tuple[str, str, int], ...]


class Effects:
    """effect(matched) for one plan, with the indexes that make it cost the size of the match set rather than
    the size of the tables (a diff of two unrelated tables meets tens of thousands of distinct sets)."""

    def __init__(self, plan: DiffPlan) -> None:
        self.plan = plan
        self._pairs: tuple[dict[int, list[int]], dict[int, list[int]]] = ({}, {})
        for number, pair_sides in enumerate(plan.pair_patterns):
            for side, pattern in enumerate(pair_sides):
                if pattern != NONE:
                    self._pairs[side].setdefault(pattern, []).append(number)
        self._targets: tuple[dict[int, list[int]], dict[int, list[int]]] = ({}, {})
        for number, target_sides in enumerate(plan.target_patterns):
            for side, patterns in enumerate(target_sides):
                for pattern in patterns:
                    self._targets[side].setdefault(pattern, []).append(number)
        self._checks: dict[int, list[int]] = {}
        for number, check in enumerate(plan.checks):
            self._checks.setdefault(check.pair, []).append(number)

    def __call__(self, matched: frozenset[int]) -> Effect:
        before, after = (self._union(self._pairs[side], matched) for side in (0, 1))
        before_targets, after_targets = (self._union(self._targets[side], matched) for side in (0, 1))
        both = sorted(set(before) & set(after))
        gained, lost = tuple(sorted(set(after) - set(before))), tuple(sorted(set(before) - set(after)))
        gained_targets = tuple(sorted(set(after_targets) - set(before_targets)))
        lost_targets = tuple(sorted(set(before_targets) - set(after_targets)))
        return Effect(
            before_pairs=before,
            after_pairs=after,
            gained_pairs=gained,
            lost_pairs=lost,
            before_targets=before_targets,
            after_targets=after_targets,
            gained_targets=gained_targets,
            lost_targets=lost_targets,
            checks=tuple(check for pair in both for check in self._checks.get(pair, ())),
            slots=(
                *(("gained", "rule", n) for n in gained),
                *(("lost", "rule", n) for n in lost),
                *(("gained", "target", n) for n in gained_targets),
                *(("lost", "target", n) for n in lost_targets),
            ),
        )

    @staticmethod
    def _union(index: dict[int, list[int]], matched: frozenset[int]) -> tuple[int, ...]:
        return tuple(sorted({number for pattern in matched for number in index.get(pattern, ())}))
