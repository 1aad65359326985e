"""The compiled form of an event pattern: leaf matchers, branches, and the flattened event they test.

An event is flattened the way EventBridge (event-ruler) sees it: every leaf value (string, number, boolean,
null) under its dot-joined key path; arrays are transparent, and each value remembers which element of which
array it came from, so that fields of one pattern can be required to match inside the same array element.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tooling.patterns import casing

# One step through an array: (identity of the array in this event, index of the element).
ArrayStep = tuple[int, int]
Trail = tuple[ArrayStep, ...]
# path -> [(value, trail)]; strings, numbers, booleans and None only.
Flat = dict[str, list[tuple[Any, Trail]]]

IP_ADDRESS = ipaddress.IPv4Address | ipaddress.IPv6Address


def flatten_event(event: Mapping[str, Any]) -> Flat:
    """Every leaf value of the event under its dot-joined path (see the module docstring)."""
    out: Flat = {}
    counter = [0]

    def walk(node: Any, path: str, trail: Trail) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key), trail)
        elif isinstance(node, list):
            counter[0] += 1
            array_id = counter[0]
            for index, item in enumerate(node):
                walk(item, path, (*trail, (array_id, index)))
        else:
            bucket = out.get(path)
            if bucket is None:
                out[path] = [(node, trail)]
            else:
                bucket.append((node, trail))

    walk(event, "", ())
    return out


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_ip(text: str) -> IP_ADDRESS | None:
    """The address when `text` is an IPv4 or IPv6 literal, else None."""
    if not text or not (text[0].isdigit() or text[0] in ":abcdefABCDEF"):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class Matcher:
    """One alternative of a field's list: `test(value)` on one leaf value of the event."""

    def test(self, value: Any) -> bool:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Exact(Matcher):
    """A literal value: strings, booleans and null compare by type and value, numbers numerically."""

    value: Any

    def test(self, value: Any) -> bool:
        expected = self.value
        if expected is None:
            return value is None
        if isinstance(expected, bool):
            return isinstance(value, bool) and value is expected
        if isinstance(expected, str):
            return isinstance(value, str) and value == expected
        return is_number(value) and float(value) == float(expected)


@dataclass(frozen=True, slots=True)
class ExactIp(Matcher):
    """A literal string that is an IP address matches any spelling of the same address."""

    address: IP_ADDRESS

    def test(self, value: Any) -> bool:
        return isinstance(value, str) and parse_ip(value) == self.address


@dataclass(frozen=True, slots=True)
class Prefix(Matcher):
    prefix: str
    ignore_case: bool = False  # as event-ruler folds case: tooling/patterns/casing.py

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if self.ignore_case:
            return casing.matches(value, self.prefix, "prefix")
        return value.startswith(self.prefix)


@dataclass(frozen=True, slots=True)
class Suffix(Matcher):
    suffix: str
    ignore_case: bool = False  # as event-ruler folds case: tooling/patterns/casing.py

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if self.ignore_case:
            return casing.matches(value, self.suffix, "suffix")
        return value.endswith(self.suffix)


@dataclass(frozen=True, slots=True)
class EqualsIgnoreCase(Matcher):
    value: str  # the pattern's own text: event-ruler folds it, never the event (casing.py)

    def test(self, value: Any) -> bool:
        return isinstance(value, str) and casing.matches(value, self.value)


@dataclass(frozen=True, slots=True)
class Wildcard(Matcher):
    source: str
    regex: re.Pattern[str]

    def test(self, value: Any) -> bool:
        return isinstance(value, str) and self.regex.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Numeric(Matcher):
    """A numeric range; bounds are None when open-ended. Only JSON numbers match, never strings."""

    low: float | None
    low_inclusive: bool
    high: float | None
    high_inclusive: bool

    def test(self, value: Any) -> bool:
        if not is_number(value):
            return False
        number = float(value)
        if self.low is not None and (number < self.low or (number == self.low and not self.low_inclusive)):
            return False
        return self.high is None or not (
            number > self.high or (number == self.high and not self.high_inclusive)
        )


@dataclass(frozen=True, slots=True)
class Exists(Matcher):
    """exists:true matches any leaf value; exists:false is handled by the branch (absence of the field)."""

    present: bool

    def test(self, value: Any) -> bool:
        return self.present


@dataclass(frozen=True, slots=True)
class Cidr(Matcher):
    """event-ruler's CIDR range: from the written address up to the top of its block (host bits set)."""

    low: int
    high: int
    version: int

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        address = parse_ip(value)
        return (
            address is not None and address.version == self.version and self.low <= int(address) <= self.high
        )


@dataclass(frozen=True, slots=True)
class AnythingBut(Matcher):
    """anything-but a list of strings or numbers: any present value (null included) outside the list."""

    strings: frozenset[str]
    numbers: frozenset[float]

    def test(self, value: Any) -> bool:
        if isinstance(value, str):
            return value not in self.strings
        if is_number(value):
            return float(value) not in self.numbers
        return True


@dataclass(frozen=True, slots=True)
class AnythingButPrefix(Matcher):
    prefixes: tuple[str, ...]

    def test(self, value: Any) -> bool:
        return not (isinstance(value, str) and value.startswith(self.prefixes))


@dataclass(frozen=True, slots=True)
class AnythingButSuffix(Matcher):
    suffixes: tuple[str, ...]

    def test(self, value: Any) -> bool:
        return not (isinstance(value, str) and value.endswith(self.suffixes))


@dataclass(frozen=True, slots=True)
class AnythingButIgnoreCase(Matcher):
    values: frozenset[str]

    def test(self, value: Any) -> bool:
        return not (isinstance(value, str) and any(casing.matches(value, v) for v in self.values))


@dataclass(frozen=True, slots=True)
class AnythingButWildcard(Matcher):
    sources: tuple[str, ...]
    regexes: tuple[re.Pattern[str], ...]

    def test(self, value: Any) -> bool:
        return not (isinstance(value, str) and any(r.fullmatch(value) for r in self.regexes))


@dataclass(slots=True)
class Field:
    """One key path of a branch and its alternatives (any of them may match)."""

    path: str
    matchers: tuple[Matcher, ...]
    allows_absent: bool = field(init=False)
    value_matchers: tuple[Matcher, ...] = field(init=False)

    def __post_init__(self) -> None:
        # exists:false is satisfied by the absence of the field, never by a value.
        absent = [isinstance(m, Exists) and not m.present for m in self.matchers]
        self.allows_absent = any(absent)
        self.value_matchers = tuple(m for m, a in zip(self.matchers, absent, strict=True) if not a)


# A branch is one conjunction of fields; a pattern with $or compiles to several branches.
Branch = tuple[Field, ...]


def branch_matches(branch: Branch, flat: Flat) -> bool:
    """True when every field of the branch matches, with array-element consistency across fields."""
    constrained: list[list[Trail]] = []
    for fld in branch:
        values = flat.get(fld.path)
        if not values:
            if fld.allows_absent:
                continue
            return False
        trails: list[Trail] = []
        free = False
        for value, trail in values:
            for matcher in fld.value_matchers:
                if matcher.test(value):
                    if not trail:
                        free = True
                    else:
                        trails.append(trail)
                    break
            if free:
                break
        if free:
            continue
        if not trails:
            return False
        constrained.append(trails)
    if len(constrained) <= 1:
        return True
    return _consistent(constrained, 0, {})


def _consistent(fields: list[list[Trail]], index: int, chosen: dict[int, int]) -> bool:
    """Backtracking: one trail per field such that no array is entered at two different elements."""
    if index == len(fields):
        return True
    for trail in fields[index]:
        if all(chosen.get(array_id, element) == element for array_id, element in trail):
            added = [array_id for array_id, element in trail if array_id not in chosen]
            for array_id, element in trail:
                chosen.setdefault(array_id, element)
            if _consistent(fields, index + 1, chosen):
                return True
            for array_id in added:
                del chosen[array_id]
    return False
