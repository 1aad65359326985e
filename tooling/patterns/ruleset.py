"""Many rules against one event without visiting every rule.

Each rule's branches are compiled, identical fields (same path, same alternatives) are shared between them,
and every branch is filed under one "anchor":

- a field whose alternatives are all exact values, prefixes, suffixes or equals-ignore-case (optionally
  ignoring case): looked up by the event's own values (hash lookups, one per distinct prefix/suffix length);
  the one shared with the fewest other branches is chosen;
- else a field whose alternatives are numeric ranges: the branches whose range holds the event's number;
- else a field that needs a value (anything-but, exists:true, wildcard, ...): the branch is a candidate
  when the event holds its path;
- else (only exists:false fields) it is always a candidate.

An event's values are read at the referenced paths only (extract.Plan), candidates are verified, and a
field's verdict is computed once per event however many branches share it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from tooling.patterns import casing
from tooling.patterns.extract import Plan
from tooling.patterns.match import Pattern, compile_pattern
from tooling.patterns.model import (
    Branch,
    EqualsIgnoreCase,
    Exact,
    Field,
    Flat,
    Numeric,
    Prefix,
    Suffix,
    Values,
    as_one_machine,
    branch_matches,
    is_number,
)

# Index kinds: exact string, exact number, exact true/false/null, lower-cased string, prefix, suffix.
Key = tuple[str, str, Any]


def _keys(fld: Field) -> list[Key] | None:
    """The index keys of a field, or None when one of its alternatives cannot be looked up by value."""
    if fld.allows_absent:
        return None
    keys: list[Key] = []
    for matcher in fld.matchers:
        if isinstance(matcher, Exact):
            value = matcher.value
            if isinstance(value, str):
                keys.append(("s", fld.path, value))
            elif is_number(value):
                keys.append(("n", fld.path, value))
            else:
                keys.append(("o", fld.path, value))
        elif isinstance(matcher, EqualsIgnoreCase) and casing.indexable(matcher.value):
            keys.append(("i", fld.path, matcher.value.lower()))
        elif isinstance(matcher, Prefix) and matcher.ignore_case and casing.indexable(matcher.prefix):
            keys.append(("pi", fld.path, matcher.prefix.lower()))
        elif isinstance(matcher, Prefix) and not matcher.ignore_case:
            keys.append(("p", fld.path, matcher.prefix))
        elif isinstance(matcher, Suffix) and matcher.ignore_case and casing.indexable(matcher.suffix):
            keys.append(("xi", fld.path, matcher.suffix.lower()))
        elif isinstance(matcher, Suffix) and not matcher.ignore_case:
            keys.append(("x", fld.path, matcher.suffix))
        else:  # anything else, and ignore-case text whose case forms change length: verified one by one
            return None
    return keys


class _PathIndex:
    """Everything anchored on one key path."""

    __slots__ = (
        "exact_num",
        "exact_other",
        "exact_str",
        "lowered",
        "prefixes",
        "prefixes_ci",
        "range_lows",
        "ranges",
        "suffixes",
        "suffixes_ci",
    )

    def __init__(self) -> None:
        self.exact_str: dict[str, list[int]] = defaultdict(list)
        self.exact_num: dict[float, list[int]] = defaultdict(list)
        self.exact_other: dict[Any, list[int]] = defaultdict(list)
        self.lowered: dict[str, list[int]] = defaultdict(list)
        # length -> text -> branch ids
        self.prefixes: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.prefixes_ci: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.suffixes: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.suffixes_ci: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        # numeric anchors sorted by their lowest bound: (low, ranges of the field, branch id)
        self.ranges: list[tuple[float, tuple[Numeric, ...], int]] = []
        self.range_lows: list[float] = []

    def add(self, kind: str, text: Any, branch_id: int) -> None:
        if kind == "s":
            self.exact_str[text].append(branch_id)
        elif kind == "n":
            self.exact_num[text].append(branch_id)
        elif kind == "o":
            self.exact_other[text].append(branch_id)
        elif kind == "i":
            self.lowered[text].append(branch_id)
        else:
            table = {"p": self.prefixes, "pi": self.prefixes_ci, "x": self.suffixes, "xi": self.suffixes_ci}[
                kind
            ]
            table[len(text)][text].append(branch_id)

    def add_ranges(self, ranges: tuple[Numeric, ...], branch_id: int) -> None:
        low = min(float("-inf") if r.low is None else r.low for r in ranges)
        self.ranges.append((low, ranges, branch_id))

    def freeze(self) -> None:
        # Plain dicts: lookups of absent keys must not insert.
        self.exact_str = dict(self.exact_str)
        self.exact_num = dict(self.exact_num)
        self.exact_other = dict(self.exact_other)
        self.lowered = dict(self.lowered)
        self.prefixes = {n: dict(t) for n, t in self.prefixes.items()}
        self.prefixes_ci = {n: dict(t) for n, t in self.prefixes_ci.items()}
        self.suffixes = {n: dict(t) for n, t in self.suffixes.items()}
        self.suffixes_ci = {n: dict(t) for n, t in self.suffixes_ci.items()}
        self.ranges.sort(key=lambda entry: entry[0])
        self.range_lows = [entry[0] for entry in self.ranges]

    def lookup(self, values: Values, found: set[int]) -> None:
        for value, _trail in values:
            kind = type(value)
            if kind is str:
                hit = self.exact_str.get(value)
                if hit:
                    found.update(hit)
                if self.lowered:
                    hit = self.lowered.get(value.lower())
                    if hit:
                        found.update(hit)
                size = len(value)
                for length, table in self.prefixes.items():
                    if length <= size:
                        hit = table.get(value[:length])
                        if hit:
                            found.update(hit)
                for length, table in self.prefixes_ci.items():
                    if length <= size:
                        hit = table.get(value[:length].lower())
                        if hit:
                            found.update(hit)
                for length, table in self.suffixes.items():
                    if length <= size:
                        hit = table.get(value[size - length :])
                        if hit:
                            found.update(hit)
                for length, table in self.suffixes_ci.items():
                    if length <= size:
                        hit = table.get(value[size - length :].lower())
                        if hit:
                            found.update(hit)
            elif kind is int or kind is float:
                hit = self.exact_num.get(value)
                if hit:
                    found.update(hit)
                if self.ranges:
                    for _low, ranges, branch_id in self.ranges[: bisect_right(self.range_lows, value)]:
                        if any(r.test(value) for r in ranges):
                            found.add(branch_id)
            elif value is None or kind is bool:
                hit = self.exact_other.get(value)
                if hit:
                    found.update(hit)


class RuleSet:
    """Compiled rules; `match(event)` returns the names of the matching rules in insertion order.

    As on an event bus, the rules are one event-ruler machine: a key that some rule uses as a step is read
    in every event (extract.py), so a rule can see a value here that it would not see alone (only with keys
    that are empty or hold a ".")."""

    def __init__(self, rules: Mapping[str, Mapping[str, Any] | str | Pattern]) -> None:
        self.names: list[str] = list(rules)
        self.patterns: list[Pattern] = [
            p if isinstance(p, Pattern) else compile_pattern(p) for p in rules.values()
        ]
        owned = [(rule, branch) for rule, pattern in enumerate(self.patterns) for branch in pattern.branches]
        shared: dict[tuple[str, Any], Field] = {}
        self.branches: list[Branch] = []
        self.branch_rule: list[int] = []
        for (rule_index, _), branch in zip(owned, as_one_machine([b for _, b in owned]), strict=True):
            fields = tuple(shared.setdefault((f.path, f.matchers), f) for f in branch.fields)
            self.branches.append(Branch(fields))
            self.branch_rule.append(rule_index)
        self._plan = Plan(shared_path for shared_path, _ in shared)

        candidates = [[keys for f in b.fields if (keys := _keys(f)) is not None] for b in self.branches]
        counts: dict[Key, int] = defaultdict(int)
        for anchors in candidates:
            for keys in anchors:
                for key in keys:
                    counts[key] += 1

        self._paths: dict[str, _PathIndex] = {}
        self._present: dict[str, list[int]] = defaultdict(list)
        self._always: list[int] = []
        for branch_id, anchors in enumerate(candidates):
            if anchors:
                anchor = min(anchors, key=lambda keys: sum(counts[k] for k in keys))
                for kind, path, text in anchor:
                    self._paths.setdefault(path, _PathIndex()).add(kind, text, branch_id)
                continue
            branch = self.branches[branch_id]
            numeric = next(
                (
                    f
                    for f in branch.fields
                    if not f.allows_absent and all(isinstance(m, Numeric) for m in f.matchers)
                ),
                None,
            )
            if numeric is not None:
                ranges = tuple(m for m in numeric.matchers if isinstance(m, Numeric))
                self._paths.setdefault(numeric.path, _PathIndex()).add_ranges(ranges, branch_id)
                continue
            needed = next((f for f in branch.fields if not f.allows_absent), None)
            if needed is not None:
                self._present[needed.path].append(branch_id)
            else:
                self._always.append(branch_id)
        for index in self._paths.values():
            index.freeze()
        self._present = dict(self._present)

    def __len__(self) -> int:
        return len(self.names)

    def match(self, event: Mapping[str, Any]) -> list[str]:
        """Names of the rules whose pattern matches the event, in insertion order."""
        names = self.names
        return [names[i] for i in self.match_indexes(self._plan.values(event))]

    def match_json(self, data: bytes | str) -> list[str]:
        """match() for the event's JSON text, read as EventBridge reads it: every duplicate key, every number
        as written (InvalidEventError when the text is not a JSON object)."""
        names = self.names
        return [names[i] for i in self.match_indexes(self._plan.values_json(data))]

    def match_indexes(self, flat: Flat) -> list[int]:
        found: set[int] = set(self._always)
        for path, values in flat.items():
            index = self._paths.get(path)
            if index is not None:
                index.lookup(values, found)
            present = self._present.get(path)
            if present is not None:
                found.update(present)
        if not found:
            return []
        matched: set[int] = set()
        branches = self.branches
        owner = self.branch_rule
        memo: dict[int, Any] = {}
        for branch_id in found:
            rule = owner[branch_id]
            if rule not in matched and branch_matches(branches[branch_id], flat, memo):
                matched.add(rule)
        return sorted(matched)
