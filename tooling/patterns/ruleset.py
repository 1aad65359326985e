"""Many rules against one event without visiting every rule.

Each rule's branches are compiled, and every branch is filed under one "anchor" field: a field whose
alternatives are all exact values, prefixes, suffixes or equals-ignore-case (optionally ignoring case). The
anchor chosen is the one shared with the fewest other branches. An event then looks up its own values at the
anchored paths (hash lookups, one per distinct prefix/suffix length) and verifies only the branches found,
plus the few branches that have no indexable field (only anything-but, numeric, exists, ...).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from tooling.patterns import casing
from tooling.patterns.event_json import load_event
from tooling.patterns.match import Pattern, compile_pattern
from tooling.patterns.model import (
    Branch,
    EqualsIgnoreCase,
    Exact,
    Field,
    Flat,
    Prefix,
    Suffix,
    branch_matches,
    flatten_event,
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
                keys.append(("n", fld.path, float(value)))
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

    def lookup(self, values: list[tuple[Any, Any]], found: set[int]) -> None:
        for value, _trail in values:
            if isinstance(value, str):
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
            elif isinstance(value, bool) or value is None:
                hit = self.exact_other.get(value)
                if hit:
                    found.update(hit)
            else:
                hit = self.exact_num.get(float(value))
                if hit:
                    found.update(hit)


class RuleSet:
    """Compiled rules; `match(event)` returns the names of the matching rules in insertion order."""

    def __init__(self, rules: Mapping[str, Mapping[str, Any] | str | Pattern]) -> None:
        self.names: list[str] = list(rules)
        self.patterns: list[Pattern] = [
            p if isinstance(p, Pattern) else compile_pattern(p) for p in rules.values()
        ]
        self.branches: list[Branch] = []
        self.branch_rule: list[int] = []
        for rule_index, pattern in enumerate(self.patterns):
            for branch in pattern.branches:
                self.branches.append(branch)
                self.branch_rule.append(rule_index)

        candidates = [[keys for fld in b if (keys := _keys(fld)) is not None] for b in self.branches]
        counts: dict[Key, int] = defaultdict(int)
        for fields in candidates:
            for keys in fields:
                for key in keys:
                    counts[key] += 1

        self._paths: dict[str, _PathIndex] = {}
        self._unindexed: list[int] = []
        for branch_id, fields in enumerate(candidates):
            if not fields:
                self._unindexed.append(branch_id)
                continue
            anchor = min(fields, key=lambda keys: sum(counts[k] for k in keys))
            for kind, path, text in anchor:
                self._paths.setdefault(path, _PathIndex()).add(kind, text, branch_id)
        for index in self._paths.values():
            index.freeze()

    def __len__(self) -> int:
        return len(self.names)

    def match(self, event: Mapping[str, Any]) -> list[str]:
        """Names of the rules whose pattern matches the event, in insertion order."""
        return [self.names[i] for i in self.match_indexes(flatten_event(event))]

    def match_json(self, data: bytes | str) -> list[str]:
        """match() for the event's JSON text, as EventBridge receives it (raises InvalidEventError when the
        text is not a JSON object)."""
        return self.match(load_event(data))

    def match_indexes(self, flat: Flat) -> list[int]:
        found: set[int] = set(self._unindexed)
        for path, index in self._paths.items():
            values = flat.get(path)
            if values:
                index.lookup(values, found)
        matched: set[int] = set()
        branches = self.branches
        owner = self.branch_rule
        for branch_id in found:
            rule = owner[branch_id]
            if rule not in matched and branch_matches(branches[branch_id], flat):
                matched.add(rule)
        return sorted(matched)
