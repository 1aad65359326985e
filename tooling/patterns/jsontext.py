"""JSON text read the way event-ruler reads it: Jackson's streaming parser sees every key of an object, in
order, duplicates included, and every number as its text.

- Pairs: an object as its (key, value) pairs, duplicates kept. A duplicate key in an event gives the path
  several values (event-ruler matches any of them); in a pattern, a repeated key holding an array replaces
  the earlier one while repeated objects merge their keys (JsonRuleCompiler's walk), which a parse that keeps
  only the last value would lose.
- Numbers keep their text (numbers.py decides which are doubles).

Events are read with orjson, and read again exactly only when the text may hold what orjson's answer hides:
a duplicate key, or a number orjson cannot hold (beyond a double: it refuses them) or rounds (more digits than
a double holds, an integer beyond 64 bits, or an exponent reaching the subnormal range). orjson writes an
object back with its keys once each and its numbers in their shortest form, so text it writes back unchanged
holds neither. Otherwise the count of `":` (a key's end, or the same escaped text inside a string) tells
duplicate keys, and, when a rule looks at a float, long runs of digits or three-digit exponents tell the
numbers to read exactly (floats_need_exact).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import orjson

from tooling.errors import ToolingError
from tooling.patterns.numbers import TextNumber, comparable_text, event_number

# Jackson's StreamReadConstraints default (maxNumberLength): longer number tokens are refused.
MAX_NUMBER_CHARS = 1000
# Digits and dots as "d", exponent letters as "e", signs as "s": a run of 16 "d" is a number with 16 or more
# digits (more than a double holds, or an integer beyond 64 bits, which orjson turns into a double), "de"
# and three "d" an exponent of three digits. Strings can look the same: then the exact reading is only slower.
_NUMBER_SHAPES = bytes.maketrans(b"0123456789.eE+-", b"dddddddddddeess")
_LONG_NUMBER = b"d" * 16
_KEY_SPACE = re.compile(rb'"[ \t\r\n]+:')


class InvalidEventError(ToolingError, ValueError):
    """The event text is not a JSON object (EventBridge matches objects only)."""

    exit_code = 2

    def __init__(self, problem: str) -> None:
        super().__init__(f"the event is not a JSON object: {problem}", hint="pass the event's JSON text")


class Pairs:
    """A JSON object as its (key, value) pairs in document order, duplicate keys kept."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __repr__(self) -> str:
        return f"Pairs({self.pairs!r})"


class PatternNumber:
    """A number of a pattern: its text, and its double when event-ruler compares it as one (else None)."""

    __slots__ = ("text", "value")

    def __init__(self, text: str) -> None:
        if len(text) > MAX_NUMBER_CHARS:
            raise _Refused(text)
        self.text = text
        self.value = comparable_text(text)

    def __repr__(self) -> str:
        return self.text


class _Refused(Exception):
    """A token strict JSON refuses (NaN, Infinity, a number too long): strict_json says where and why."""


def _constant(token: str) -> Any:
    raise _Refused(token)


def _event_int(text: str) -> int | float | TextNumber:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(text)
    return event_number(int(text))


def _event_float(text: str) -> float | TextNumber:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(text)
    value = comparable_text(text)
    return TextNumber(text) if value is None else value


_EXACT_EVENT = json.JSONDecoder(
    object_pairs_hook=Pairs, parse_int=_event_int, parse_float=_event_float, parse_constant=_constant
)
_PATTERN = json.JSONDecoder(
    object_pairs_hook=Pairs, parse_int=PatternNumber, parse_float=PatternNumber, parse_constant=_constant
)


def read_pattern(text: str) -> Any:
    """A pattern's JSON text as Pairs, lists, strings, PatternNumbers, booleans and None. Raises
    json.JSONDecodeError on a syntax error, ValueError on what strict JSON refuses (see strict_json)."""
    try:
        return _PATTERN.decode(text)
    except (_Refused, RecursionError) as exc:
        raise ValueError(str(exc)) from None


def read_event(data: bytes | str) -> tuple[dict[str, Any] | Pairs, bytes | None]:
    """The event object (orjson's dict, or Pairs with exact numbers when the text needs it) and, when its
    numbers are orjson's reading of text that may differ from the double (see floats_need_exact), the text."""
    try:
        raw = data if type(data) is bytes else data.encode() if isinstance(data, str) else bytes(data)
    except UnicodeEncodeError as exc:
        raise InvalidEventError(f"not Unicode text ({exc.reason})") from None
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return read_event_exactly(raw), None  # orjson refuses numbers beyond a double; json says if invalid
    if type(event) is not dict:
        raise InvalidEventError(f"its top level is {type(event).__name__}")
    written = orjson.dumps(event)
    if written == raw:
        return event, None
    if raw.count(b'":') != written.count(b'":') or b"\\u0022" in raw:
        return read_event_exactly(raw), None
    if (b'" ' in raw or b'"\t' in raw or b'"\n' in raw or b'"\r' in raw) and _KEY_SPACE.search(raw):
        return read_event_exactly(raw), None  # a space before a key's colon hides the key from the count
    return event, raw


def floats_need_exact(raw: bytes, floats: list[float]) -> bool:
    """Whether the text may hold a float orjson rounded (the event's floats at referenced paths given): a
    number of 16 or more digits, or, when one of them is zero or tiny, an exponent of -100 or below."""
    shapes = raw.translate(_NUMBER_SHAPES)
    if _LONG_NUMBER in shapes:
        return True
    tiny = any(-1e-99 < value < 1e-99 for value in floats)
    return tiny and b"desddd" in shapes


def read_event_exactly(raw: bytes) -> Pairs:
    """The slow, exact reading: every key, every number's text."""
    try:
        event = _EXACT_EVENT.decode(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidEventError(f"not UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise InvalidEventError(str(exc)) from None
    except _Refused as exc:
        raise InvalidEventError(f"{str(exc)[:40]} is not a JSON number EventBridge reads") from None
    except RecursionError:
        raise InvalidEventError("nested too deeply") from None
    if type(event) is not Pairs:
        raise InvalidEventError(f"its top level is {type(event).__name__}")
    return event
