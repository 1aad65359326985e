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
    FREE,
    Branch,
    EqualsIgnoreCase,
    Exact,
    Field,
    Flat,
    Numeric,
    Prefix,
    Suffix,
    Trail,
    as_one_machine,
    branch_matches,
    consistent,
    is_number,
)

# Index kinds: exact string, exact number, exact true/false/null, lower-cased string, prefix, suffix.
Key = tuple[str, str, Any]
# Distinct string values whose candidates a path index remembers before starting afresh.
_CACHE_SIZE = 4096
_MISSING: Any = object()
# A field to test: its number (its verdict is kept per event), path, value test, and the field itself.
_Check = tuple[int, str, Any, Any]
# A branch of a group: its id, its rule, its checks (None: exists:false, the ordered walk).
_Member = tuple[int, int, tuple[_Check, ...] | None]


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
        "cache",
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
        self.cache: dict[str, tuple[int, ...]] = {}

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

    def add_ranges(self, ranges: tuple[Any, ...], branch_id: int) -> None:
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

    def for_string(self, value: str) -> tuple[int, ...]:
        """The branches anchored here that a string value reaches (cached: values repeat across events)."""
        hit = self.cache.get(value)
        if hit is not None:
            return hit
        found: list[int] = []
        exact = self.exact_str.get(value)
        if exact:
            found += exact
        if self.lowered:
            found += self.lowered.get(value.lower(), ())
        size = len(value)
        for length, table in self.prefixes.items():
            if length <= size:
                found += table.get(value[:length], ())
        for length, table in self.prefixes_ci.items():
            if length <= size:
                found += table.get(value[:length].lower(), ())
        for length, table in self.suffixes.items():
            if length <= size:
                found += table.get(value[size - length :], ())
        for length, table in self.suffixes_ci.items():
            if length <= size:
                found += table.get(value[size - length :].lower(), ())
        hit = tuple(found)
        if len(self.cache) >= _CACHE_SIZE:
            self.cache.clear()
        self.cache[value] = hit
        return hit

    def for_other(self, value: Any) -> list[int]:
        """The branches anchored here that a number, boolean or null reaches."""
        kind = type(value)
        if kind is int or kind is float:
            found = list(self.exact_num.get(value, ()))
            if self.ranges:
                for _low, ranges, branch_id in self.ranges[: bisect_right(self.range_lows, value)]:
                    if any(r.test(value) for r in ranges):
                        found.append(branch_id)
            return found
        if value is None or kind is bool:
            return self.exact_other.get(value, [])
        return []


def _cost(fld: Field) -> int:
    """Fields whose alternatives are literal values are tested first: a set lookup, and the likeliest to fail."""
    return 0 if all(isinstance(m, Exact) for m in fld.matchers) else 1


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

        candidates = [[(f, keys) for f in b.fields if (keys := _keys(f)) is not None] for b in self.branches]
        counts: dict[Key, int] = defaultdict(int)
        for anchors in candidates:
            for _, keys in anchors:
                for key in keys:
                    counts[key] += 1

        self._paths: dict[str, _PathIndex] = {}
        self._present: dict[str, list[int]] = defaultdict(list)
        self._always: list[int] = []
        # Per branch, its fields numbered (a field's verdict is kept once per event), cheapest first and its
        # anchor last (the lookup found a value for it); order does not change the answer of a branch without
        # exists:false; None for one with it. The branches filed in one place that test the same field first
        # form a group: one failed test sets the whole group aside.
        numbers = {id(f): n for n, f in enumerate(shared.values())}
        self._fields = len(numbers)
        self._groups: list[tuple[int, str, Any, Field | None, list[_Member]]] = []
        grouped: dict[tuple[Any, int], int] = {}
        for branch_id, anchors in enumerate(candidates):
            branch = self.branches[branch_id]
            place, anchor = self._place(branch, anchors, counts)
            checks: tuple[_Check, ...] | None = None
            first: _Check = (-1, "", None, None)
            if not branch.ordered:
                order = sorted(branch.fields, key=lambda f: (f is anchor, _cost(f)))
                checks = tuple((numbers[id(f)], f.path, f.accepts, f) for f in order)
                first = checks[0]
            group = grouped.get((place, first[0]))
            if group is None:
                group = grouped[(place, first[0])] = len(self._groups)
                self._groups.append((*first, []))
                self._file(place, group)
            self._groups[group][4].append((branch_id, self.branch_rule[branch_id], checks))
        for index in self._paths.values():
            index.freeze()
        self._present = dict(self._present)

    @staticmethod
    def _place(
        branch: Branch, anchors: list[tuple[Field, list[Key]]], counts: dict[Key, int]
    ) -> tuple[tuple[Any, ...], Field | None]:
        """Where a branch is filed (module docstring): its index keys, its ranges, its needed path, or none;
        and the field that decided it."""
        if anchors:
            anchor, keys = min(anchors, key=lambda entry: sum(counts[k] for k in entry[1]))
            return ("keys", tuple(keys)), anchor
        for fld in branch.fields:
            if not fld.allows_absent and all(isinstance(m, Numeric) for m in fld.matchers):
                return ("ranges", fld.path, fld.matchers), fld
        needed = next((f for f in branch.fields if not f.allows_absent), None)
        return (("always",), None) if needed is None else (("present", needed.path), needed)

    def _file(self, place: tuple[Any, ...], group: int) -> None:
        if place[0] == "keys":
            for kind, path, text in place[1]:
                self._paths.setdefault(path, _PathIndex()).add(kind, text, group)
        elif place[0] == "ranges":
            self._paths.setdefault(place[1], _PathIndex()).add_ranges(place[2], group)
        elif place[0] == "present":
            self._present[place[1]].append(group)
        else:
            self._always.append(group)

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
        get = flat.get
        for path, index in self._paths.items():
            held = get(path)
            if held is not None:
                for value, _trail in held:
                    found.update(index.for_string(value) if type(value) is str else index.for_other(value))
        for path, anchored in self._present.items():
            if path in flat:
                found.update(anchored)
        if not found:
            return []
        matched: set[int] = set()
        memo: list[Any] = [_MISSING] * self._fields
        arrays: dict[str, int] = {}
        for first, path, accepts, fld, members in map(self._groups.__getitem__, found):
            if fld is not None:
                hits = memo[first]
                if hits is _MISSING:
                    held = get(path)
                    if held is None:
                        hits = None
                    elif len(held) == 1 and not held[0][1]:
                        hits = FREE if accepts(held[0][0]) else None
                    else:
                        hits = fld.hits(held)
                    memo[first] = hits
                if hits is None:
                    continue
            for branch_id, rule, checks in members:
                if rule in matched:
                    continue
                if checks is None:  # exists:false: event-ruler's ordered walk
                    if branch_matches(self.branches[branch_id], flat):
                        matched.add(rule)
                    continue
                constrained: list[tuple[list[Trail], str]] | None = None
                for number, path, accepts, fld in checks:
                    hits = memo[number]
                    if hits is _MISSING:
                        held = get(path)
                        if held is None:
                            hits = None
                        elif len(held) == 1 and not held[0][1]:
                            hits = FREE if accepts(held[0][0]) else None
                        else:
                            hits = fld.hits(held)
                        memo[number] = hits
                    if hits is None:
                        break
                    if hits is not FREE:
                        if constrained is None:
                            constrained = [(hits, path)]
                        else:
                            constrained.append((hits, path))
                else:
                    if constrained is None or len(constrained) == 1 or consistent(constrained, flat, arrays):
                        matched.add(rule)
        return sorted(matched)
