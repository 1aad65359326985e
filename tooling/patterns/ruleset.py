"""Many rules against one event at the cost of a few lookups per value, as bit sets.

Every branch of every rule is one bit (in rule order). Identical fields (same path, same alternatives) are
shared, and each field's alternatives are filed under its path in lookup tables whose entries are the bits of
the branches holding the field: literal values (by type), plain prefixes and suffixes (by length), numeric
ranges (the range bounds cut the number line into regions, each with the bits of the ranges holding it),
`exists: true`, and, tested one by one, everything else (ignore-case, wildcard, anything-but, IP ranges).
A value's bits at a path are then the branches whose field there accepts it (cached for strings, which
repeat from event to event).

For an event, each path some branch needs a value at gives the branches failing there (those whose field
accepts none of the values); a branch matches when it fails nowhere. Values inside arrays make it a question
of array consistency (model.py): when every such value is a direct element of one array (the fields of an
array of objects, the usual case), a branch matches when it fails nowhere for at least one element (its
values plus those outside arrays); otherwise the branches that fail only for want of consistency are
verified one by one. A branch with exists:false is verified by event-ruler's ordered walk
(model.branch_matches) when one of its paths holds values inside arrays; otherwise an absent path satisfies
its field and a present one is tested like any other.

The bits are gathered while walking the event by a scanner generated as Python source from the paths and
tables (the trie walk of extract.py with the lookups written out at each leaf), after a warm-up of a few
events (compiling costs milliseconds); an event it cannot read (a dotted key on a referenced path, a value of
a type JSON does not have, a text with a duplicate key or a number a double cannot hold) is read by the
general walk instead.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Mapping
from itertools import count
from typing import Any

from tooling.patterns.extract import FAST_NUMBER, Plan, generate_walk, run_source
from tooling.patterns.jsontext import read_event
from tooling.patterns.match import Pattern, compile_pattern
from tooling.patterns.model import (
    Branch,
    Exact,
    Exists,
    Field,
    Flat,
    Numeric,
    Prefix,
    Suffix,
    as_one_machine,
    branch_matches,
)
from tooling.patterns.numbers import event_number

# Distinct strings whose bits a path remembers before starting afresh.
_CACHE_SIZE = 4096
_WORD = 1 << 64
# Array identities for the scanner's trails: unique across events, which is all a trail needs.
_ARRAYS = count()


class _PathIndex:
    """The fields at one key path, as tables from values to the bits of the branches that accept them."""

    def __init__(self) -> None:
        self.exact_str: dict[str, int] = defaultdict(int)
        self.exact_num: dict[float, int] = defaultdict(int)
        self.exact_other: dict[Any, int] = defaultdict(int)  # true, false, null
        self.prefixes: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # length -> text
        self.suffixes: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.ranges: list[tuple[Numeric, int]] = []
        self.any_value = 0  # exists: true
        self.others: list[tuple[Callable[[Any], bool], int]] = []  # tested value by value
        self.bounds: list[float] = []
        self.regions: list[int] = []
        self.strings: dict[str, int] = {}

    def add(self, matcher: Any, bits: int) -> None:
        if isinstance(matcher, Exact):
            value = matcher.value
            if type(value) is str:
                self.exact_str[value] |= bits
            elif value is None or isinstance(value, bool):
                self.exact_other[value] |= bits
            else:
                self.exact_num[value] |= bits
        elif isinstance(matcher, Prefix) and not matcher.ignore_case:
            self.prefixes[len(matcher.prefix)][matcher.prefix] |= bits
        elif isinstance(matcher, Suffix) and not matcher.ignore_case:
            self.suffixes[len(matcher.suffix)][matcher.suffix] |= bits
        elif isinstance(matcher, Numeric):
            self.ranges.append((matcher, bits))
        elif isinstance(matcher, Exists):
            self.any_value |= bits  # exists:false never reaches here (model.Field.value_matchers)
        else:
            self.others.append((matcher.test, bits))

    def freeze(self) -> None:
        self.exact_str = dict(self.exact_str)
        self.exact_num = dict(self.exact_num)
        self.exact_other = dict(self.exact_other)
        self.prefixes = {n: dict(t) for n, t in self.prefixes.items()}
        self.suffixes = {n: dict(t) for n, t in self.suffixes.items()}
        # Numeric ranges: their bounds cut the line into regions, (-inf, b0), [b0], (b0, b1), ... [bk],
        # (bk, inf), and a region's bits are those of the ranges holding any of its points.
        self.bounds = sorted({b for r, _ in self.ranges for b in (r.low, r.high) if b is not None})
        samples = [float("-inf")]
        for index, bound in enumerate(self.bounds):
            samples.append(bound)
            upper = self.bounds[index + 1] if index + 1 < len(self.bounds) else float("inf")
            samples.append(bound / 2 + upper / 2 if upper != float("inf") else float("inf"))
        self.regions = [sum({bits for r, bits in self.ranges if r.test(x)}) for x in samples]

    def bits(self, value: Any) -> int:
        """The branches whose field at this path accepts the value."""
        kind = type(value)
        if kind is str:
            found = self.strings.get(value)
            if found is None:
                found = self._string(value)
                if len(self.strings) >= _CACHE_SIZE:
                    self.strings.clear()
                self.strings[value] = found
            return found
        if kind is int or kind is float:
            found = self.exact_num.get(value, 0) | self.any_value
            bounds = self.bounds
            if bounds:
                index = bisect_left(bounds, value)
                if index < len(bounds) and bounds[index] == value:
                    found |= self.regions[2 * index + 1]
                else:
                    found |= self.regions[2 * index]
            return found | self._others(value) if self.others else found
        if value is None or kind is bool:
            return self.exact_other.get(value, 0) | self.any_value | self._others(value)
        return self.any_value | self._others(value)

    def _string(self, value: str) -> int:
        found = self.exact_str.get(value, 0) | self.any_value | self._others(value)
        size = len(value)
        for length, table in self.prefixes.items():
            if length <= size:
                found |= table.get(value[:length], 0)
        for length, table in self.suffixes.items():
            if length <= size:
                found |= table.get(value[size - length :], 0)
        return found

    def _others(self, value: Any) -> int:
        found = 0
        for test, bits in self.others:
            if test(value):
                found |= bits
        return found


class RuleSet:
    """Compiled rules; `match(event)` returns the names of the matching rules in insertion order.

    As on an event bus, the rules are one event-ruler machine: a key that some rule uses as a step is read
    in every event (extract.py), so a rule can see a value here that it would not see alone (only with keys
    that are empty or hold a ".")."""

    def __init__(self, rules: Mapping[str, Mapping[str, Any] | str | Pattern], warm_up: int = 64) -> None:
        """`warm_up`: events matched the general way before the scanner is generated as code (compiling it
        costs milliseconds, which a rule set built to be checked, or for a few events, need not pay);
        0 compiles it for the first event."""
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
        self._plan = Plan(path for path, _ in shared)

        # A field's bits: the branches holding it. Per path: the branches with a field there that a value
        # must satisfy ("needed"), and those whose field there also allows absence (exists:false).
        field_bits: dict[int, int] = defaultdict(int)
        needed: dict[str, int] = defaultdict(int)
        absent: dict[str, int] = defaultdict(int)
        self._walk = 0  # branches with exists:false: the ordered walk decides when arrays are involved
        for index, branch in enumerate(self.branches):
            bit = 1 << index
            for fld in branch.fields:
                field_bits[id(fld)] |= bit
                (absent if fld.allows_absent else needed)[fld.path] |= bit
            if branch.ordered:
                self._walk |= bit
        indexes: dict[str, _PathIndex] = {}
        for fld in shared.values():
            path_index = indexes.setdefault(fld.path, _PathIndex())
            for matcher in fld.value_matchers:
                path_index.add(matcher, field_bits[id(fld)])
        for path_index in indexes.values():
            path_index.freeze()
        # (path, needed, needed or allowing absence, index): a path absent fails the first, a path holding
        # values outside arrays only fails those of the second that none of its values satisfies.
        self._paths = [
            (path, needed.get(path, 0), needed.get(path, 0) | absent.get(path, 0), indexes[path])
            for path in indexes
        ]
        self._numbers = {path: number for number, (path, _, _, _) in enumerate(self._paths)}
        self._all = (1 << len(self.branches)) - 1
        self._warm_up = warm_up
        self._scan: Any = None
        self._fails: Any = self._fails_general

    def _fails_general(self, out: list[Any]) -> int:
        """What the generated `fails` computes (_scanner), before it is generated."""
        failed = 0
        for number, (_, needed, anyway, _) in enumerate(self._paths):
            outside = out[number]
            failed |= needed if outside is None else anyway & ~outside
        return failed

    def _scanning(self) -> bool:
        """Whether the generated scanner reads this event (after the warm-up, once compiled)."""
        if self._scan is not None:
            return True
        if self._warm_up > 0:
            self._warm_up -= 1
            return False
        self._scan, self._fails = _scanner(self._plan, self._paths)
        self._plan.compile()  # the walk the verification of a few branches reads (match_indexes)
        return True

    def __len__(self) -> int:
        return len(self.names)

    def match(self, event: Mapping[str, Any]) -> list[str]:
        """Names of the rules whose pattern matches the event, in insertion order."""
        names = self.names
        if type(event) is dict and self._scanning():
            try:
                return [names[i] for i in self._match_scanned(event)]
            except _Unscannable:
                pass
        return [names[i] for i in self.match_indexes(self._plan.values(event))]

    def match_json(self, data: bytes | str) -> list[str]:
        """match() for the event's JSON text, read as EventBridge reads it: every duplicate key, every number
        as written (InvalidEventError when the text is not a JSON object)."""
        names = self.names
        event, raw = read_event(data)
        if raw is None and type(event) is dict and self._scanning():
            out: list[Any] = [None] * len(self._paths)
            inside: dict[Any, dict[int, int]] = {}
            out.append(inside)
            try:
                self._scan(event, out, _ARRAYS, ())
            except _Unscannable:
                pass
            else:
                return [names[i] for i in self._combine(out, inside, event, None)]
        return [names[i] for i in self.match_indexes(self._plan.values_read(event, raw))]

    def _match_scanned(self, event: dict[str, Any]) -> list[int]:
        """match_indexes with the generated scanner, which gathers each value's bits while walking the event:
        per path number k, out[k] holds the bits of its values outside arrays (None: the path is absent);
        out[-1] maps the trail of each array element to {k: bits of its values there}."""
        out: list[Any] = [None] * len(self._paths)
        inside: dict[Any, dict[int, int]] = {}
        out.append(inside)
        self._scan(event, out, _ARRAYS, ())
        return self._combine(out, inside, event, None)

    def match_indexes(self, flat: Flat) -> list[int]:
        """The rule indexes matching the values read by extract.Plan (the same as the scanner gathers)."""
        out: list[Any] = [None] * len(self._paths)
        inside: dict[Any, dict[int, int]] = {}
        for path, held in flat.items():
            number = self._numbers.get(path)
            if number is None:
                continue
            index = self._paths[number][3]
            outside = None
            for value, trail in held:
                bits = index.bits(value)
                if trail:
                    per_path = inside.setdefault(trail, {})
                    per_path[number] = per_path.get(number, 0) | bits
                    if outside is None:
                        outside = 0
                else:
                    outside = bits if outside is None else outside | bits
            out[number] = outside
        return self._combine(out, inside, None, flat)

    def _combine(
        self, out: list[Any], inside: dict[Any, dict[int, int]], event: Any, flat: Flat | None
    ) -> list[int]:
        if not inside:
            return self._finish(self._all & ~self._fails(out), 0, 0, event, flat)
        # Each path with values in arrays: the branches needing a value there that none outside arrays
        # gives (those allowing absence are left to the ordered walk); the other paths as usual.
        paths = self._paths
        in_arrays: list[tuple[int, int]] = []
        touched = 0
        for number in set().union(*inside.values()):
            _, needed, anyway, _ = paths[number]
            outside = out[number]
            in_arrays.append((number, needed & ~outside if outside else needed))
            touched |= anyway
            out[number] = -1  # fails() then counts nothing for it
        failed = self._fails(out)
        array = -1
        for trail in inside:
            if len(trail) != 1 or (array != trail[0][0] and array != -1):
                array = -2
                break
            array = trail[0][0]
        if array != -2:
            # All are direct elements of one array: a branch matches if, for some element, each of its
            # fields is satisfied by a value outside arrays or by one of that element.
            survivors = 0
            for per_path in inside.values():
                fail = failed
                for number, fails_there in in_arrays:
                    bits = per_path.get(number)
                    fail |= fails_there if bits is None else fails_there & ~bits
                survivors |= ~fail
            return self._finish(self._all & survivors, 0, touched, event, flat)
        # Otherwise branches that need no value inside an array match; those that do, and have such values,
        # are verified one by one.
        without = with_arrays = failed
        for number, fails_there in in_arrays:
            without |= fails_there
            anywhere = 0
            for per_path in inside.values():
                anywhere |= per_path.get(number, 0)
            with_arrays |= fails_there & ~anywhere
        return self._finish(self._all & ~without, self._all & ~with_arrays & without, touched, event, flat)

    def _finish(self, matched: int, verify: int, touched: int, event: Any, flat: Flat | None) -> list[int]:
        """The rule indexes of the matched branches, after verifying `verify` and the branches with
        exists:false that hold a field at a path with values inside arrays (`touched`)."""
        if not verify:
            if not matched:
                return []
            walk = matched & self._walk & touched if touched else 0
        else:
            walk = matched & self._walk & touched
        if walk:
            verify |= walk
            matched &= ~walk
        if verify:
            if flat is None:
                flat = self._plan.values(event)
            branches = self.branches
            for position in _bits(verify):
                if branch_matches(branches[position], flat):
                    matched |= 1 << position
        rules: list[int] = []
        owner = self.branch_rule
        for position in _bits(matched):
            rule = owner[position]
            if not rules or rules[-1] != rule:
                rules.append(rule)
        return rules


class _Unscannable(Exception):
    """The event holds what the generated scanner does not read (a dotted key on a referenced path, a value
    of another type than JSON's): the general walk (extract.Plan.values) reads it."""


def _unscannable() -> None:
    raise _Unscannable


def _scanner(plan: Plan, paths: list[tuple[str, int, int, _PathIndex]]) -> tuple[Any, Any]:
    """The generated scanner (RuleSet._match_scanned) and `fails(out)`: the branches failing at paths whose
    values are all outside arrays (an absent path fails those needing a value there)."""
    numbers = {path: number for number, (path, _, _, _) in enumerate(paths)}
    inside = len(paths)

    def leaf(node: Any, var: str, kind: str, trail: str, where: str, ind: str, lines: list[str]) -> None:
        number = numbers[node.path]
        index = paths[number][3]
        if kind == "str":
            lines.append(f"{ind}b = S{number}.get({var})")
            lines.append(f"{ind}if b is None:")
            lines.append(f"{ind}    b = B{number}({var})")
        elif kind == "number":
            lines.append(f"{ind}if not ({FAST_NUMBER.format(v=var)}):")
            lines.append(f"{ind}    b = B{number}(number({var}))")
            if index.bounds and not (index.exact_num or index.any_value or index.others):
                # Numeric ranges only: the region of the number, inline.
                size = len(index.bounds)
                lines.append(f"{ind}else:")
                lines.append(f"{ind}    r = bisect(D{number}, {var})")
                lines.append(
                    f"{ind}    b = R{number}[2 * r + 1 if r < {size} and D{number}[r] == {var} else 2 * r]"
                )
            else:
                lines.append(f"{ind}else:")
                lines.append(f"{ind}    b = B{number}({var})")
        else:
            lines.append(f"{ind}b = B{number}({var})")
        if where == "either":
            lines.append(f"{ind}if {trail}:")
            ind_inside, ind_outside = ind + "    ", ind + "    "
        else:
            ind_inside = ind_outside = ind
        if where == "inside":  # an object of an array: `d` holds its element's bits (None: none yet)
            lines.append(f"{ind_inside}if d is None:")
            lines.append(f"{ind_inside}    d = ins[{trail}] = {{{number}: b}}")
            lines.append(f"{ind_inside}else:")
            lines.append(f"{ind_inside}    d[{number}] = d.get({number}, 0) | b")
        elif where == "either":  # a scalar of an array: its trail is the array's own
            lines.append(f"{ind_inside}x = ins.get({trail})")
            lines.append(f"{ind_inside}if x is None:")
            lines.append(f"{ind_inside}    ins[{trail}] = {{{number}: b}}")
            lines.append(f"{ind_inside}else:")
            lines.append(f"{ind_inside}    x[{number}] = x.get({number}, 0) | b")
        if where == "either":
            lines.append(f"{ind}else:")
        if where in ("empty", "either"):
            lines.append(f"{ind_outside}o = out[{number}]")
            lines.append(f"{ind_outside}out[{number}] = b if o is None else o | b")

    namespace: dict[str, Any] = {"number": event_number, "unscannable": _unscannable, "bisect": bisect_left}
    for number, (_, _, _, index) in enumerate(paths):
        namespace[f"S{number}"] = index.strings
        namespace[f"B{number}"] = index.bits
        namespace[f"D{number}"] = index.bounds
        namespace[f"R{number}"] = index.regions
    scan = generate_walk(
        plan, leaf, "unscannable()", namespace, "rule set scanner", f"ins = out[{inside}]", "d = None"
    )
    lines = ["def fails(out):", "    f = 0"]
    for number, (_, needed, anyway, _) in enumerate(paths):
        lines.append(f"    o = out[{number}]")
        lines.append(f"    f |= N{number} if o is None else A{number} & ~o")
        namespace[f"N{number}"] = needed
        namespace[f"A{number}"] = anyway
    lines.append("    return f")
    run_source("\n".join(lines), "rule set fails", namespace)
    return scan, namespace["fails"]


def _bits(mask: int) -> list[int]:
    """The positions of the set bits, lowest first."""
    found: list[int] = []
    if mask < _WORD:  # a few rules: bit by bit
        while mask:
            low = mask & -mask
            found.append(low.bit_length() - 1)
            mask ^= low
        return found
    text = bin(mask)
    top = len(text) - 1
    position = text.find("1", 2)
    while position != -1:
        found.append(top - position)
        position = text.find("1", position + 1)
    found.reverse()
    return found
