"""Strict JSON: the one loader of every JSON document a user hands the tooling (events, details, patterns,
`publish file` lines, `--cases` lines, PutEvents entries on the local bus).

Python's json module reads more than JSON, and more than EventBridge reads. Each of these is refused with the
JSON path of the value (`$.items[0].price`), as a UsageError (exit 2):

- `NaN`, `Infinity`, `-Infinity`: not JSON (RFC 8259 section 6). PutEvents answers a Detail that is not valid
  JSON with `MalformedDetail` ("Detail is malformed."). Accepted, NaN matched `["=", 5]`, `["<", 0]` and
  `[">", 1000]` at once and made `--json` outputs invalid JSON.
- lone UTF-16 surrogates (`"\\ud800"`): not Unicode text, so neither storable nor printable as UTF-8
  (RFC 8259 section 8.2 leaves their meaning open; I-JSON, RFC 7493 section 2.1, forbids them).
- duplicate keys in an object (I-JSON, section 2.3, forbids them), except in event patterns: there AWS
  documents that the last one wins ("If you specify multiple patterns for the same JSON field, EventBridge
  only uses the last one", Event pattern syntax, EventBridge User Guide; event-ruler's
  testDuplicateKeyLastOneWins), so patterns load with `last_key_wins=True`. What PutEvents and
  TestEventPattern do with duplicates in an event is not documented: refused, so no event means one thing
  locally and another on AWS.
- numbers that a double cannot hold (beyond +-1.8e308, which Python reads as inf and writes back as the
  invalid `Infinity`; EventBridge compares numbers as doubles), and number tokens longer than
  MAX_NUMBER_CHARS (Jackson's default limit; a 5,001-digit integer also breaks Python's int conversion).
- nesting deeper than MAX_DEPTH: Python's json recurses, so about a thousand levels end in RecursionError,
  and a document that parses can still overflow the matcher later. EventBridge refuses such documents well
  before this depth.

Valid documents take the C scanner's fast path with cheap hooks; only a refused one is parsed again, by a
small path-tracking reader, to say where the problem is. json.JSONDecodeError (a syntax error) passes
through for the caller's own wording.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from tooling.errors import UsageError

MAX_DEPTH = 100
# Jackson's StreamReadConstraints default since 2.15 (maxNumberLength 1000); Jackson is the parser whose
# messages EventBridge answers with.
MAX_NUMBER_CHARS = 1000
_DOUBLE_MAX = float.fromhex("0x1.fffffffffffffp+1023")
_DOUBLE_MAX_INT = int(_DOUBLE_MAX)
# More digits than this and an integer is beyond the largest double whatever the digits are.
_DOUBLE_DIGITS = len(str(_DOUBLE_MAX_INT))

# json's own string reader (C), which the path-tracking reader below reuses; typeshed does not list it.
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Only a document holding a \\uD800-\\uDFFF escape can hold a lone surrogate after parsing.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_NUMBER_HINT = "send a value this large as a string"


class JSONRefused(UsageError):
    """A JSON document that is not strict JSON. `problem` is the message without the document's name."""

    def __init__(self, what: str, problem: str, hint: str, message: str | None = None) -> None:
        super().__init__(message or f"{what}: {problem}", hint=hint)
        self.problem = problem


def too_deep_message(what: str) -> str:
    return f"{what} is nested more than {MAX_DEPTH} levels deep (objects and arrays); flatten it"


class TooDeepError(JSONRefused):
    """A JSON document nested deeper than MAX_DEPTH."""

    def __init__(self, what: str) -> None:
        super().__init__(
            what,
            f"nested more than {MAX_DEPTH} levels deep (objects and arrays); flatten it",
            hint=f"keep JSON input within {MAX_DEPTH} levels of nesting",
            message=too_deep_message(what),
        )


class NotUTF8Error(JSONRefused):
    """Input bytes (or command-line text) that are not UTF-8."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(what, f"not UTF-8 text ({detail})", hint="save the file as UTF-8")


# -- the fast path ------------------------------------------------------------------------------------------


class _Refused(Exception):
    """Raised by a decoder hook: the document is refused; the slow reader says where and why."""


def _constant(token: str) -> Any:
    raise _Refused(token)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _Refused("duplicate key")
    return value


def _float(token: str) -> float:
    value = float(token)
    if math.isinf(value) or len(token) > MAX_NUMBER_CHARS:
        raise _Refused(token)
    return value


def _int(token: str) -> int:
    if len(token) > _DOUBLE_DIGITS + 1:  # before int(): Python refuses 4,300+ digits with ValueError
        raise _Refused(token)
    value = int(token)
    if abs(value) > _DOUBLE_MAX_INT:
        raise _Refused(token)
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float, parse_int=_int
)
_LAST_KEY_WINS_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_float, parse_int=_int)


KeyRule = bool | Callable[[str], bool]


def loads(text: str | bytes, what: str, *, last_key_wins: KeyRule = False) -> Any:
    """The parsed document, or JSONRefused (exit 2) naming `what` and the path of the offending value.
    `last_key_wins`: duplicate keys keep the last value instead of being refused, everywhere (True: an
    event pattern, as EventBridge reads it) or in the objects whose path the predicate accepts (a
    `--cases` line's pattern). json.JSONDecodeError passes through for the caller's own message."""
    if isinstance(text, bytes | bytearray):
        text = decode_utf8(bytes(text), what)
    elif not text.isascii():
        _check_encodable(text, what)
    try:
        value = (_LAST_KEY_WINS_DECODER if last_key_wins is True else _DECODER).decode(text)
    except _Refused:
        problem = _diagnose(text, what, last_key_wins)
        if problem is not None:
            raise problem from None
        value = _LAST_KEY_WINS_DECODER.decode(text)  # its only duplicates are where the caller allows them
    except RecursionError:
        raise TooDeepError(what) from None
    # A document with at most MAX_DEPTH brackets cannot nest deeper: most skip the walk.
    if text.count("{") + text.count("[") > MAX_DEPTH and depth(value) > MAX_DEPTH:
        raise TooDeepError(what)
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) and _holds_lone_surrogate(value):
        raise _diagnose(text, what, last_key_wins) or _surrogate(what, "a string", "")
    return value


def check(value: Any, what: str) -> None:
    """The same rules for a document that arrived already parsed (a TOML table): nesting, non-finite or
    out-of-range numbers, lone surrogates (TOML itself has no duplicate keys)."""
    if depth(value) > MAX_DEPTH:
        raise TooDeepError(what)
    stack: list[tuple[Any, str]] = [(value, "$")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and _LONE_SURROGATE.search(key):
                    raise _surrogate(what, f"a key of the object at {path}", key)
                stack.append((child, _child_path(path, key)))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(item))
        elif isinstance(item, str) and _LONE_SURROGATE.search(item):
            raise _surrogate(what, f"the string at {path}", item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise _constant_refused(what, path, repr(item).replace("inf", "Infinity").replace("nan", "NaN"))
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > _DOUBLE_MAX_INT:
            raise _number_refused(what, path, f"an integer of {len(str(abs(item)))} digits")


def decode_utf8(data: bytes, what: str) -> str:
    """UTF-8 bytes -> text, or NotUTF8Error naming the first bad byte (and its line when there are lines)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        where = f"line {line}, " if b"\n" in data else ""
        raise NotUTF8Error(what, f"{where}byte 0x{data[exc.start]:02x} at offset {exc.start}") from None


def _check_encodable(text: str, what: str) -> None:
    # Command-line arguments that are not UTF-8 reach Python as lone surrogates (surrogateescape).
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NotUTF8Error(what, f"undecodable character at position {exc.start}") from None


def depth(value: Any) -> int:
    """How deeply objects and arrays nest in a parsed JSON value (0 for a scalar); iterative, never recursive."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level) for child in children)
    return deepest


def _holds_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any(_LONE_SURROGATE.search(key) for key in item):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and _LONE_SURROGATE.search(item):
            return True
    return False


# -- the slow path: where is the problem --------------------------------------------------------------------


def _child_path(path: str, key: object) -> str:
    if isinstance(key, str) and _IDENTIFIER.match(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def _constant_refused(what: str, path: str, token: str) -> JSONRefused:
    return JSONRefused(
        what,
        f"{token} at {path} is not JSON (JSON has no NaN or Infinity)",
        hint="write a number or null: AWS refuses JSON holding NaN or Infinity (MalformedDetail)",
    )


def _number_refused(what: str, path: str, shown: str) -> JSONRefused:
    return JSONRefused(
        what,
        f"the number at {path} ({shown}) is beyond what a double holds (+-1.8e308); "
        "EventBridge compares numbers as doubles",
        hint=_NUMBER_HINT,
    )


def _surrogate(what: str, where: str, text: str) -> JSONRefused:
    found = _LONE_SURROGATE.search(text)
    code = f"\\u{ord(found.group()):04x}" if found else "a surrogate"
    return JSONRefused(
        what,
        f"{where} holds a lone UTF-16 surrogate ({code}), which is not Unicode text",
        hint="write a character beyond U+FFFF as a surrogate pair (\\ud83d\\ude00) or as UTF-8",
    )


def _diagnose(text: str, what: str, last_key_wins: KeyRule) -> JSONRefused | None:
    """The first problem in document order, found by a reader that tracks the path; None when the only
    problems are duplicate keys that `last_key_wins` allows."""
    allowed = last_key_wins if callable(last_key_wins) else (lambda path: bool(last_key_wins))
    try:
        _Reader(text, what, allowed).document()
    except JSONRefused as exc:
        return exc
    except (ValueError, IndexError, RecursionError):
        # The fast path refused it; this reader lost its way before finding why.
        return JSONRefused(what, "not strict JSON", hint="check it with a strict JSON validator")
    return None


class _Reader:
    """A minimal recursive JSON reader that knows where it is; only refused documents come here."""

    def __init__(self, text: str, what: str, last_key_wins: Callable[[str], bool]) -> None:
        self.text = text
        self.what = what
        self.last_key_wins = last_key_wins
        self.pos = 0

    def document(self) -> None:
        self._value("$", 0)

    def _skip(self) -> None:
        self.pos = _WHITESPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]  # always matches

    def _value(self, path: str, level: int) -> None:
        self._skip()
        char = self.text[self.pos]
        if char == "{":
            self._object(path, level + 1)
        elif char == "[":
            self._array(path, level + 1)
        elif char == '"':
            self._string(path)
        else:
            self._scalar(path)

    def _nested(self, level: int) -> None:
        if level > MAX_DEPTH:
            raise TooDeepError(self.what)

    def _object(self, path: str, level: int) -> None:
        self._nested(level)
        self.pos += 1
        seen: set[str] = set()
        self._skip()
        if self.text[self.pos] == "}":
            self.pos += 1
            return
        while True:
            self._skip()
            key = self._string(path, key=True)
            if key in seen and not self.last_key_wins(path):
                raise JSONRefused(
                    self.what,
                    f"the key {json.dumps(key)} appears twice in the object at {path}",
                    hint="keep one: JSON readers disagree on which duplicate wins "
                    "(an EventBridge pattern keeps only the last)",
                )
            seen.add(key)
            self._skip()
            self.pos += 1  # ':'
            self._value(_child_path(path, key), level)
            self._skip()
            char = self.text[self.pos]
            self.pos += 1
            if char == "}":
                return

    def _array(self, path: str, level: int) -> None:
        self._nested(level)
        self.pos += 1
        self._skip()
        if self.text[self.pos] == "]":
            self.pos += 1
            return
        index = 0
        while True:
            self._value(f"{path}[{index}]", level)
            self._skip()
            char = self.text[self.pos]
            self.pos += 1
            if char == "]":
                return
            index += 1

    def _string(self, path: str, key: bool = False) -> str:
        value, self.pos = _scanstring(self.text, self.pos + 1)
        if _LONE_SURROGATE.search(value):
            raise _surrogate(
                self.what, f"a key of the object at {path}" if key else f"the string at {path}", value
            )
        return str(value)

    def _scalar(self, path: str) -> None:
        for token in ("NaN", "Infinity", "-Infinity"):
            if self.text.startswith(token, self.pos):
                raise _constant_refused(self.what, path, token)
        for word in ("true", "false", "null"):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return
        found = _NUMBER.match(self.text, self.pos)
        if found is None:
            raise ValueError("not a value")
        token = found.group()
        self.pos = found.end()
        digits = sum(c.isdigit() for c in token)
        if len(token) > MAX_NUMBER_CHARS:
            size = (
                f"has {digits} digits" if token.lstrip("-").isdigit() else f"is {len(token)} characters long"
            )
            raise JSONRefused(
                self.what,
                f"the number at {path} {size}; at most {MAX_NUMBER_CHARS} characters are accepted",
                hint=_NUMBER_HINT,
            )
        _refuse_out_of_range(self.what, path, token, digits)


def _refuse_out_of_range(what: str, path: str, token: str, digits: int) -> None:
    if any(c in token for c in ".eE"):
        too_big = math.isinf(float(token))
    else:
        too_big = digits > _DOUBLE_DIGITS or abs(int(token)) > _DOUBLE_MAX_INT
    if too_big:
        shown = token if len(token) <= 24 else f"{token[:12]}..., {digits} digits"
        raise _number_refused(what, path, shown)
