"""The compiled form of an event pattern: leaf matchers, fields, branches, and how a branch meets an event.

An event is seen the way EventBridge (event-ruler) sees it (extract.py): every leaf value under its
dot-joined key path, arrays transparent, each value carrying its array membership ("trail"): for every array
of objects (or of arrays) it sits in, which array and which element. Fields of one branch must be satisfied
by values whose trails agree (array consistency): no array entered at two different elements.

`exists: false` follows event-ruler's matcher exactly. A branch's fields are visited in event-ruler's order
(key paths sorted as Java sorts strings); an absent field is satisfied when no value at its path agrees with
the trails of the fields matched before it in that order. So `{"items": {"a": ["x"], "b": [{"exists":
false}]}}` matches an item with a = "x" and no b even when another item has a b, while
`{"items": {"a": [{"exists": false}], "b": ["x"]}}` needs no item at all to have an a (nothing was matched
before "items.a" to tie it to one element).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tooling.patterns import casing, ip
from tooling.patterns.numbers import TextNumber

# One step through an array: (identity of the array in this event, index of the element).
ArrayStep = tuple[int, int]
Trail = tuple[ArrayStep, ...]
Values = list[tuple[Any, Trail]]
# path -> [(value, trail)]; values are strings, numbers (int/float when event-ruler compares them as numbers,
# else numbers.TextNumber), booleans and None.
Flat = dict[str, Values]
NUMBER_TYPES = (int, float)


def is_number(value: Any) -> bool:
    """A number event-ruler compares as a number (not a bool, not a TextNumber)."""
    return type(value) in NUMBER_TYPES


class Matcher:
    """One alternative of a field's list: `test(value)` on one leaf value of the event."""

    def test(self, value: Any) -> bool:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Exact(Matcher):
    """A literal value: strings, booleans and null by type and value, numbers by their double value."""

    value: Any

    def test(self, value: Any) -> bool:
        expected = self.value
        if expected is None or isinstance(expected, bool):
            return value is expected
        if isinstance(expected, str):
            return type(value) is str and value == expected
        return type(value) in NUMBER_TYPES and value == expected


@dataclass(frozen=True, slots=True)
class ExactNumberText(Matcher):
    """A pattern number that is not exactly a double (numbers.py): equal only to the same text."""

    text: str

    def test(self, value: Any) -> bool:
        return type(value) is TextNumber and value.text == self.text


def _range_text(value: Any, numbers_as_text: bool) -> str | None:
    """What event-ruler walks through an IP range for a value: an address's hex digits; a number's text when
    the field holds no numeric pattern, or always for a number that is not a double (numbers.py) -- its
    automaton then reads the number as a string, and a wide range can take its digits (ip.in_range)."""
    kind = type(value)
    if kind is str:
        return ip.hex_digits(value)
    if kind is TextNumber:
        return value.text  # type: ignore[no-any-return]  # TextNumber.text is a str
    if numbers_as_text and kind in NUMBER_TYPES:
        return str(value) if kind is int else repr(value)
    return None


@dataclass(frozen=True, slots=True)
class ExactIp(Matcher):
    """A literal string that is an IP address matches any spelling of the same address (ip.py)."""

    digits: str  # the address as event-ruler's hex digits
    numbers_as_text: bool = True  # False when the field also holds a numeric pattern (_range_text)

    def test(self, value: Any) -> bool:
        text = _range_text(value, self.numbers_as_text)
        return text is not None and ip.in_range(text, self.digits, self.digits)


@dataclass(frozen=True, slots=True)
class Prefix(Matcher):
    prefix: str
    ignore_case: bool = False  # as event-ruler folds case: tooling/patterns/casing.py

    def test(self, value: Any) -> bool:
        if type(value) is not str:
            return False
        if self.ignore_case:
            return casing.matches(value, self.prefix, "prefix")
        return value.startswith(self.prefix)


@dataclass(frozen=True, slots=True)
class Suffix(Matcher):
    suffix: str
    ignore_case: bool = False  # as event-ruler folds case: tooling/patterns/casing.py

    def test(self, value: Any) -> bool:
        if type(value) is not str:
            return False
        if self.ignore_case:
            return casing.matches(value, self.suffix, "suffix")
        return value.endswith(self.suffix)


@dataclass(frozen=True, slots=True)
class EqualsIgnoreCase(Matcher):
    value: str  # the pattern's own text: event-ruler folds it, never the event (casing.py)

    def test(self, value: Any) -> bool:
        return type(value) is str and casing.matches(value, self.value)


@dataclass(frozen=True, slots=True)
class Wildcard(Matcher):
    source: str
    regex: re.Pattern[str]

    def test(self, value: Any) -> bool:
        return type(value) is str and self.regex.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Numeric(Matcher):
    """A numeric range; bounds are None when open-ended. Only comparable numbers match, never strings."""

    low: float | None
    low_inclusive: bool
    high: float | None
    high_inclusive: bool

    def test(self, value: Any) -> bool:
        if type(value) not in NUMBER_TYPES:
            return False
        low = self.low
        if low is not None and (value < low or (value == low and not self.low_inclusive)):
            return False
        high = self.high
        return high is None or not (value > high or (value == high and not self.high_inclusive))


@dataclass(frozen=True, slots=True)
class Exists(Matcher):
    """exists:true matches any leaf value; exists:false is handled by the branch (absence of the field)."""

    present: bool

    def test(self, value: Any) -> bool:
        return self.present


@dataclass(frozen=True, slots=True)
class Cidr(Matcher):
    """event-ruler's CIDR range, from the network address to the top of the block, as hex digits."""

    low: str
    high: str
    numbers_as_text: bool = True  # False when the field also holds a numeric pattern (_range_text)

    def test(self, value: Any) -> bool:
        text = _range_text(value, self.numbers_as_text)
        return text is not None and ip.in_range(text, self.low, self.high)


@dataclass(frozen=True, slots=True)
class AnythingBut(Matcher):
    """anything-but a list of strings or numbers: any present value (null included) outside the list."""

    strings: frozenset[str]
    numbers: frozenset[float]

    def test(self, value: Any) -> bool:
        kind = type(value)
        if kind is str:
            return value not in self.strings
        if kind in NUMBER_TYPES:
            return value not in self.numbers
        return True


@dataclass(frozen=True, slots=True)
class AnythingButPrefix(Matcher):
    prefixes: tuple[str, ...]

    def test(self, value: Any) -> bool:
        return not (type(value) is str and value.startswith(self.prefixes))


@dataclass(frozen=True, slots=True)
class AnythingButSuffix(Matcher):
    suffixes: tuple[str, ...]

    def test(self, value: Any) -> bool:
        return not (type(value) is str and value.endswith(self.suffixes))


@dataclass(frozen=True, slots=True)
class AnythingButIgnoreCase(Matcher):
    values: frozenset[str]

    def test(self, value: Any) -> bool:
        return not (type(value) is str and any(casing.matches(value, v) for v in self.values))


@dataclass(frozen=True, slots=True)
class AnythingButWildcard(Matcher):
    sources: tuple[str, ...]
    regexes: tuple[re.Pattern[str], ...]

    def test(self, value: Any) -> bool:
        return not (type(value) is str and any(r.fullmatch(value) for r in self.regexes))


def compares_numbers(matcher: Matcher) -> bool:
    """Whether event-ruler's automaton for a field holding this matcher reads numbers as numbers
    (ByteMachine.hasNumeric); else it reads them as text, which IP ranges then see (_range_text)."""
    if isinstance(matcher, Numeric):
        return True
    if isinstance(matcher, Exact):
        return type(matcher.value) in NUMBER_TYPES
    return isinstance(matcher, AnythingBut) and bool(matcher.numbers)


def _numbers_not_as_text(matchers: tuple[Matcher, ...]) -> tuple[Matcher, ...]:
    return tuple(replace(m, numbers_as_text=False) if isinstance(m, Cidr | ExactIp) else m for m in matchers)


def java_order(path: str) -> bytes:
    """Sort key of Java's String.compareTo (UTF-16 code units), the order event-ruler visits a rule's keys."""
    return path.encode("utf-16-be", "surrogatepass")


def value_test(matchers: tuple[Matcher, ...]) -> Callable[[Any], bool]:
    """One function testing a value against all the alternatives: literal strings and numbers by set
    membership, plain prefixes and suffixes in one startswith/endswith, the rest one by one."""
    strings = frozenset(m.value for m in matchers if isinstance(m, Exact) and type(m.value) is str)
    numbers = frozenset(m.value for m in matchers if isinstance(m, Exact) and type(m.value) in NUMBER_TYPES)
    prefixes = tuple(m.prefix for m in matchers if isinstance(m, Prefix) and not m.ignore_case)
    suffixes = tuple(m.suffix for m in matchers if isinstance(m, Suffix) and not m.ignore_case)
    others = tuple(
        m
        for m in matchers
        if not (isinstance(m, Exact) and type(m.value) in (str, int, float))
        and not (isinstance(m, Prefix | Suffix) and not m.ignore_case)
    )
    if any(isinstance(m, Exists) and m.present for m in others):
        return lambda value: True
    if len(others) == 1 and not (strings or numbers or prefixes or suffixes):
        return others[0].test
    if not others and not numbers and not suffixes:
        if not prefixes:
            return lambda value: type(value) is str and value in strings
        if not strings:
            return lambda value: type(value) is str and value.startswith(prefixes)
    tests = tuple(m.test for m in others)

    def test(value: Any) -> bool:
        kind = type(value)
        if kind is str:
            if value in strings or (prefixes and value.startswith(prefixes)):
                return True
            if suffixes and value.endswith(suffixes):
                return True
        elif kind in NUMBER_TYPES and value in numbers:
            return True
        return any(t(value) for t in tests)

    return test


FREE = True  # a field satisfied by a value outside every array: it constrains nothing


@dataclass(slots=True, eq=False)
class Field:
    """One key path of a branch and its alternatives (any of them may match)."""

    path: str
    matchers: tuple[Matcher, ...]
    allows_absent: bool = field(init=False)
    value_matchers: tuple[Matcher, ...] = field(init=False)
    accepts: Callable[[Any], bool] = field(init=False, repr=False)
    order: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # exists:false is satisfied by the absence of the field, never by a value.
        absent = [isinstance(m, Exists) and not m.present for m in self.matchers]
        self.allows_absent = any(absent)
        self.value_matchers = tuple(m for m, a in zip(self.matchers, absent, strict=True) if not a)
        self.accepts = value_test(self.value_matchers) if self.value_matchers else (lambda value: False)
        self.order = java_order(self.path)

    def hits(self, values: Values | None) -> bool | list[Trail] | None:
        """FREE when a value outside arrays matches; else the trails of the matching values; None if none."""
        if not values:
            return None
        accepts = self.accepts
        trails: list[Trail] = []
        for value, trail in values:
            if accepts(value):
                if not trail:
                    return FREE
                trails.append(trail)
        return trails or None


@dataclass(slots=True, eq=False)
class Branch:
    """One conjunction of fields (a pattern with $or compiles to several), in event-ruler's key order."""

    fields: tuple[Field, ...]
    # Fields with exists:false make the answer depend on the order (module docstring).
    ordered: bool = field(init=False)

    def __post_init__(self) -> None:
        self.fields = tuple(sorted(self.fields, key=lambda f: f.order))
        self.ordered = any(f.allows_absent for f in self.fields)


def as_one_machine(branches: list[Branch]) -> list[Branch]:
    """The branches as one event-ruler machine reads numbers through IP ranges (_range_text). A field's
    automaton belongs to the state reached by the fields before it (in key order); branches whose earlier
    fields are the same share it, and it reads numbers as numbers as soon as one of them compares numbers
    there (ByteMachine.hasNumeric). States reached by different alternatives are told apart here, while
    event-ruler may share some of them: a difference only for numbers meeting an IP range."""
    numeric: set[tuple[Any, ...]] = set()
    for branch in branches:
        before: tuple[Any, ...] = ()
        for fld in branch.fields:
            if any(compares_numbers(m) for m in fld.matchers):
                numeric.add((before, fld.path))
            before = (*before, (fld.path, fld.matchers))
    out: list[Branch] = []
    for branch in branches:
        before = ()
        fields: list[Field] = []
        changed = False
        for fld in branch.fields:
            ranges = any(isinstance(m, Cidr | ExactIp) for m in fld.matchers)
            if ranges and (before, fld.path) in numeric:
                fields.append(Field(fld.path, _numbers_not_as_text(fld.matchers)))
                changed = True
            else:
                fields.append(fld)
            before = (*before, (fld.path, fld.matchers))
        out.append(Branch(tuple(fields)) if changed else branch)
    return out


def branch_matches(branch: Branch, flat: Flat) -> bool:
    """True when every field of the branch is satisfied, array-consistently."""
    if branch.ordered:
        return _ordered(branch.fields, flat)
    constrained: list[tuple[list[Trail], str]] = []
    for fld in branch.fields:
        hits = fld.hits(flat.get(fld.path))
        if hits is None:
            return False
        if hits is not FREE:
            constrained.append((hits, fld.path))  # type: ignore[arg-type]  # FREE is the only bool hits returns
    return len(constrained) <= 1 or consistent(constrained, flat, {})


def consistent(fields: list[tuple[list[Trail], str]], flat: Flat, arrays: dict[str, int]) -> bool:
    """Whether one trail per field (its hits, its path) can be chosen so that no array is entered at two
    different elements. Fast when every value at the fields' paths is a direct element of one same array
    (fields of the elements of one array of objects): an element all have. `arrays` remembers, per path
    and event, that array (-1: none)."""
    array = -2
    for _, path in fields:
        own = arrays.get(path)
        if own is None:
            own = arrays[path] = _one_array(flat[path])
        if own < 0 or array not in (-2, own):
            return _consistent([hits for hits, _ in fields], 0, {})
        array = own
    common = set(fields[0][0])
    for hits, _ in fields[1:]:
        common.intersection_update(hits)
        if not common:
            return False
    return True


def _one_array(values: Values) -> int:
    """The array all the values are direct elements of, else -1."""
    first = values[0][1]
    if len(first) != 1:
        return -1
    array = first[0][0]
    for _, trail in values:
        if len(trail) != 1 or trail[0][0] != array:
            return -1
    return array


def _agrees(trail: Trail, chosen: dict[int, int]) -> bool:
    return all(chosen.get(array, element) == element for array, element in trail)


def _consistent(fields: list[list[Trail]], index: int, chosen: dict[int, int]) -> bool:
    """Backtracking: one trail per field such that no array is entered at two different elements."""
    if index == len(fields):
        return True
    for trail in fields[index]:
        if _agrees(trail, chosen):
            added = [array for array, _ in trail if array not in chosen]
            for array, element in trail:
                chosen.setdefault(array, element)
            if _consistent(fields, index + 1, chosen):
                return True
            for array in added:
                del chosen[array]
    return False


def _ordered(fields: tuple[Field, ...], flat: Flat) -> bool:
    """event-ruler's walk for a branch with exists:false: fields in key order, each either matched by a value
    that agrees with the trails chosen so far or, when it allows absence, absent among those values."""
    steps: list[tuple[list[Trail], list[Trail] | None]] = []
    for fld in fields:
        values = flat.get(fld.path)
        hits = fld.hits(values) if fld.value_matchers else None
        if hits is FREE:
            continue  # a match that constrains nothing is always the best choice
        trails = hits if isinstance(hits, list) else []
        if fld.allows_absent:
            if not values:
                continue  # absent whatever was chosen before
            blockers = [trail for _, trail in values]
            # A value outside arrays is present whatever was chosen: then only a match will do.
            steps.append((trails, blockers if all(blockers) else None))
        else:
            if not trails:
                return False
            steps.append((trails, None))
    return _walk(steps, 0, {})


def _walk(steps: list[tuple[list[Trail], list[Trail] | None]], index: int, chosen: dict[int, int]) -> bool:
    if index == len(steps):
        return True
    hits, blockers = steps[index]
    for trail in hits:
        if _agrees(trail, chosen):
            added = [array for array, _ in trail if array not in chosen]
            for array, element in trail:
                chosen.setdefault(array, element)
            if _walk(steps, index + 1, chosen):
                return True
            for array in added:
                del chosen[array]
    if blockers is not None and not any(_agrees(trail, chosen) for trail in blockers):
        return _walk(steps, index + 1, chosen)
    return False
