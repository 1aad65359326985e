"""Parse and validate an event pattern into branches of field matchers, with AWS's own error texts.

The walk follows EventBridge's rule compiler (event-ruler's JsonRuleCompiler): keys are visited in document
order and the first problem wins, so the message is the one AWS would return. Texts recorded from the real
service (tests/unit/test_pattern_conformance.py checks them) are used verbatim; the rest follow event-ruler.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tooling import strict_json
from tooling.errors import ToolingError
from tooling.patterns.complexity import wildcard_complexity
from tooling.patterns.model import (
    AnythingBut,
    AnythingButIgnoreCase,
    AnythingButPrefix,
    AnythingButSuffix,
    AnythingButWildcard,
    Branch,
    Cidr,
    EqualsIgnoreCase,
    Exact,
    ExactIp,
    Exists,
    Field,
    Matcher,
    Numeric,
    Prefix,
    Suffix,
    Wildcard,
    is_number,
    parse_ip,
)

PREFIX = "Event pattern is not valid. Reason: "
# PutRule's EventPattern length constraint.
MAX_PATTERN_LENGTH = 4096
# Above this many simultaneously live wildcard states in one field, AWS answers "Rule is too complex".
# Calibrated on recorded answers (see complexity.py); an estimate of AWS's internal measure, not its code.
MAX_WILDCARD_COMPLEXITY = 10
# $or branches multiply; this bound keeps a pattern's expansion bounded (an estimate of AWS's limit).
MAX_OR_COMBINATIONS = 1000
OR_KEY = "$or"
RESERVED_IN_OR = frozenset(
    {"anything-but", "exists", "prefix", "suffix", "numeric", "cidr", "equals-ignore-case", "wildcard"}
)
TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences "
    "after a wildcard character"
)


class InvalidPatternError(ToolingError):
    """The event pattern is not valid; the message is AWS's own text."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message, hint="fix the pattern; the text above is what EventBridge would answer")


class _Invalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _json_text(value: Any) -> str:
    """How Jackson prints a token in a message (the value's JSON text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{"
    if isinstance(value, list):
        return "["
    return json.dumps(value)


def load_pattern(source: Any) -> dict[str, Any]:
    """Parse a JSON string (or accept an already-parsed value) and return the pattern object."""
    if isinstance(source, str | bytes):
        try:
            text = strict_json.decode_utf8(source, "the pattern") if isinstance(source, bytes) else source
        except strict_json.JSONRefused as exc:
            raise InvalidPatternError(PREFIX + exc.problem) from None
        if len(text) > MAX_PATTERN_LENGTH:
            raise InvalidPatternError(_too_long())
        try:
            source = strict_json.loads(text, "the pattern", last_key_wins=True)  # as EventBridge reads it
        except strict_json.JSONRefused as exc:
            raise InvalidPatternError(PREFIX + _refusal(exc)) from None
        except json.JSONDecodeError as exc:
            raise InvalidPatternError(PREFIX + _jackson_message(text, exc)) from None
    elif isinstance(source, Mapping):
        try:
            strict_json.check(source, "the pattern")
        except strict_json.JSONRefused as exc:
            raise InvalidPatternError(PREFIX + _refusal(exc)) from None
        if len(_compact(source)) > MAX_PATTERN_LENGTH:
            raise InvalidPatternError(_too_long())
    if not isinstance(source, Mapping):
        raise InvalidPatternError(PREFIX + "Filter is not an object")
    return dict(source)


def _refusal(exc: strict_json.JSONRefused) -> str:
    return exc.message if isinstance(exc, strict_json.TooDeepError) else exc.problem


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _too_long() -> str:
    return (
        "1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: "
        f"Member must have length less than or equal to {MAX_PATTERN_LENGTH}"
    )


def _jackson_message(text: str, exc: json.JSONDecodeError) -> str:
    """Jackson's wording for the usual syntax errors, so the text reads like AWS's."""
    expecting = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
    char = text[exc.pos] if exc.pos < len(text) else ""
    if exc.msg == "Expecting value" and char:
        if char.isalpha():
            word = re.match(r"[A-Za-z0-9_$]+", text[exc.pos :])
            token = word.group(0) if word else char
            return f"Unrecognized token '{token}': was expecting {expecting}"
        return f"Unexpected character ('{char}' (code {ord(char)})): expected a valid value {expecting}"
    if exc.msg.startswith("Expecting property name") and char:
        unexpected = f"Unexpected character ('{char}' (code {ord(char)}))"
        return f"{unexpected}: was expecting double-quote to start field name"
    return f"{exc.msg} at line {exc.lineno} column {exc.colno}"


def compile_branches(source: Any) -> list[Branch]:
    """Validate the pattern and return its branches (one per $or combination). Raises InvalidPatternError."""
    pattern = load_pattern(source)
    rules: list[dict[str, tuple[Matcher, ...]]] = []
    try:
        _object(pattern, "", rules, in_or=False)
        wildcards: dict[str, set[str]] = {}
        for rule in rules:
            for path, matchers in rule.items():
                for matcher in matchers:
                    if isinstance(matcher, Wildcard):
                        wildcards.setdefault(path, set()).add(matcher.source)
                    elif isinstance(matcher, AnythingButWildcard):
                        wildcards.setdefault(path, set()).update(matcher.sources)
        for sources in wildcards.values():
            tokens = [wildcard_tokens(source) for source in sorted(sources)]
            if wildcard_complexity(tokens, MAX_WILDCARD_COMPLEXITY) > MAX_WILDCARD_COMPLEXITY:
                raise _Invalid(TOO_COMPLEX)
    except _Invalid as exc:
        raise InvalidPatternError(PREFIX + exc.reason) from None
    return [tuple(Field(path, matchers) for path, matchers in rule.items()) for rule in rules]


def _object(
    obj: Mapping[str, Any], prefix: str, rules: list[dict[str, tuple[Matcher, ...]]], in_or: bool
) -> None:
    if not obj:
        raise _Invalid("Empty objects are not allowed")
    for key, value in obj.items():
        if key == OR_KEY:
            _or(value, prefix, rules)
            continue
        if in_or and key in RESERVED_IN_OR:
            raise _Invalid(f"{key} is Ruler reserved fieldName which cannot be used inside {OR_KEY}.")
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            _object(value, path, rules, in_or)
        elif isinstance(value, list):
            matchers = _values(value)
            if not rules:
                rules.append({})
            for rule in rules:
                rule[path] = matchers
        else:
            raise _Invalid(f'"{key}" must be an object or an array')


def _or(value: Any, prefix: str, rules: list[dict[str, tuple[Matcher, ...]]]) -> None:
    current = [dict(rule) for rule in rules]
    rules.clear()
    if not isinstance(value, list):
        raise _Invalid(f"It must be an Array followed with {OR_KEY}.")
    for item in value:
        if not isinstance(item, Mapping):
            raise _Invalid(f"Only JSON object is allowed in array of {OR_KEY} relationship.")
        branch_rules = [dict(rule) for rule in current] or [{}]
        _object(item, prefix, branch_rules, in_or=True)
        rules.extend(branch_rules)
        if len(rules) > MAX_OR_COMBINATIONS:
            raise _Invalid(
                f"Rule is too complex - the {OR_KEY} conditions expand to more than {MAX_OR_COMBINATIONS} "
                "combinations"
            )
    if len(value) < 2:
        raise _Invalid(f"There must have at least 2 Objects in {OR_KEY} relationship.")


def _values(values: list[Any]) -> tuple[Matcher, ...]:
    out: list[Matcher] = []
    for value in values:
        if isinstance(value, Mapping):
            out.append(_expression(value))
        elif isinstance(value, str):
            address = parse_ip(value)
            out.append(ExactIp(address) if address is not None else Exact(value))
        elif value is None or isinstance(value, bool) or is_number(value):
            out.append(Exact(value))
        else:
            raise _Invalid("Match value must be String, number, true, false, or null")
    if not out:
        raise _Invalid("Empty arrays are not allowed")
    return tuple(out)


def _one_key(expr: Mapping[str, Any], message: str = "Only one key allowed in match expression") -> None:
    if len(expr) > 1:
        raise _Invalid(message)


def _expression(expr: Mapping[str, Any]) -> Matcher:
    if not expr:
        raise _Invalid("Match expression name not found")
    name, arg = next(iter(expr.items()))
    matcher: Matcher
    if name in ("prefix", "suffix"):
        matcher = _prefix_suffix(name, arg)
        _one_key(expr)
    elif name == "equals-ignore-case":
        if not isinstance(arg, str):
            raise _Invalid("equals-ignore-case match pattern must be a string")
        matcher = EqualsIgnoreCase(arg)
        _one_key(expr)
    elif name == "wildcard":
        if not isinstance(arg, str):
            raise _Invalid("wildcard match pattern must be a string")
        matcher = Wildcard(arg, wildcard_regex(arg))
        _one_key(expr)
    elif name == "numeric":
        if not isinstance(arg, list):
            raise _Invalid("Value of numeric must be an array.")
        matcher = _numeric(arg)
        _one_key(expr, "Too many elements in numeric expression")
    elif name == "anything-but":
        matcher = _anything_but(arg)
        _one_key(expr, "Too many elements in numeric expression")
    elif name == "exists":
        if not isinstance(arg, bool):
            raise _Invalid("exists match pattern must be either true or false.")
        matcher = Exists(arg)
        _one_key(expr)
    elif name == "cidr":
        if not isinstance(arg, str):
            # AWS answers with the prefix text here.
            raise _Invalid("prefix match pattern must be a string")
        matcher = cidr(arg)
        _one_key(expr)
    else:
        raise _Invalid(f"Unrecognized match type {name}")
    return matcher


def _prefix_suffix(name: str, arg: Any) -> Matcher:
    if isinstance(arg, Mapping) and arg:
        op, inner = next(iter(arg.items()))
        if op != "equals-ignore-case":
            raise _Invalid(f"Unsupported {name} pattern: {op}")
        if not isinstance(inner, str):
            raise _Invalid("equals-ignore-case match pattern must be a string")
        _one_key(arg)
        return Prefix(inner, True) if name == "prefix" else Suffix(inner, True)
    if not isinstance(arg, str):
        raise _Invalid(f"{name} match pattern must be a string")
    return Prefix(arg) if name == "prefix" else Suffix(arg)


def _anything_but(arg: Any) -> Matcher:
    invalid_value = "Value of anything-but must be an array or single string/number value."
    if isinstance(arg, Mapping):
        if not arg:
            raise _Invalid("Anything-But expression name not found")
        op, inner = next(iter(arg.items()))
        matcher: Matcher
        if op == "equals-ignore-case":
            not_string = (
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
            )
            if isinstance(inner, list):
                if not all(isinstance(v, str) for v in inner):
                    raise _Invalid(not_string)
                matcher = AnythingButIgnoreCase(frozenset(inner))
            elif isinstance(inner, str):
                matcher = AnythingButIgnoreCase(frozenset({inner}))
            elif is_number(inner):
                raise _Invalid(not_string)
            else:
                raise _Invalid(invalid_value)
        elif op in ("prefix", "suffix", "wildcard"):
            not_string = (
                "wildcard match pattern must be a string"
                if op == "wildcard"
                else "prefix/suffix match pattern must be a string"
            )
            if isinstance(inner, Mapping):
                raise _Invalid(invalid_value)
            items = inner if isinstance(inner, list) else [inner]
            if not items:
                raise _Invalid("Empty arrays are not allowed")
            for item in items:
                if not isinstance(item, str):
                    raise _Invalid(not_string)
                if op != "wildcard" and not item:
                    raise _Invalid("Null prefix/suffix not allowed")
            if op == "prefix":
                matcher = AnythingButPrefix(tuple(items))
            elif op == "suffix":
                matcher = AnythingButSuffix(tuple(items))
            else:
                matcher = AnythingButWildcard(tuple(items), tuple(wildcard_regex(item) for item in items))
        else:
            raise _Invalid(f"Unsupported anything-but pattern: {op}")
        _one_key(arg)
        return matcher
    if isinstance(arg, list):
        strings = [v for v in arg if isinstance(v, str)]
        numbers = [float(v) for v in arg if is_number(v)]
        if len(strings) + len(numbers) != len(arg):
            raise _Invalid("Inside anything but list, start|null|boolean is not supported.")
        if bool(strings) == bool(numbers):
            raise _Invalid(
                "Inside anything but list, either all values are number or string, "
                "mixed type is not supported"
            )
        return AnythingBut(frozenset(strings), frozenset(numbers))
    if isinstance(arg, str):
        return AnythingBut(frozenset({arg}), frozenset())
    if is_number(arg):
        return AnythingBut(frozenset(), frozenset({float(arg)}))
    raise _Invalid(invalid_value)


def _numeric(items: list[Any]) -> Numeric:
    if not items or not isinstance(items[0], str):
        raise _Invalid(f"Invalid member in numeric match: {_json_text(items[0]) if items else ']'}")
    operator = items[0]
    first = items[1] if len(items) > 1 else None
    if operator not in ("=", ">=", ">", "<=", "<"):
        raise _Invalid(f"Unrecognized numeric range operator: {operator}")
    if not is_number(first):
        label = "equals" if operator == "=" else operator
        raise _Invalid(f"Value of {label} must be numeric")
    value = float(first)  # type: ignore[arg-type]  # is_number checked it
    if operator in ("=", "<=", "<"):
        if len(items) > 2:
            raise _Invalid("Too many elements in numeric expression")
        if operator == "=":
            return Numeric(value, True, value, True)
        return Numeric(None, False, value, operator == "<=")
    if len(items) == 2:
        return Numeric(value, operator == ">=", None, False)
    upper_op = items[2]
    if not isinstance(upper_op, str):
        raise _Invalid(f"Bad value in numeric range: {_json_text(upper_op)}")
    if upper_op not in ("<", "<="):
        raise _Invalid(f"Bad numeric range operator: {upper_op}")
    if len(items) < 4 or not is_number(items[3]):
        raise _Invalid(f"Value of {upper_op} must be numeric")
    if len(items) > 4:
        raise _Invalid("Too many terms in numeric range expression")
    upper = float(items[3])
    # event-ruler (JsonRuleCompiler, numeric range parsing) refuses a range whose bottom is not below its
    # top, inclusive bounds or not: such a range is an invalid pattern, not one that never matches.
    if value >= upper:
        raise _Invalid("Bottom must be less than top")
    return Numeric(value, operator == ">=", upper, upper_op == "<=")


def wildcard_tokens(text: str) -> list[str | None]:
    """The wildcard's characters, None for each unescaped `*`; AWS's messages count UTF-8 bytes from 1."""
    tokens: list[str | None] = []
    position = 1  # event-ruler counts from the opening quote it adds
    index = 0
    while index < len(text):
        char = text[index]
        if char == "*":
            if index + 1 < len(text) and text[index + 1] == "*":
                raise _Invalid(f"Consecutive wildcard characters at pos {position}")
            tokens.append(None)
        elif char == "\\":
            if index + 1 < len(text) and text[index + 1] in "*\\":
                tokens.append(text[index + 1])
                index += 1
                position += 1
            else:
                raise _Invalid(f"Invalid escape character at pos {position}")
        else:
            tokens.append(char)
        position += len(char.encode("utf-8"))
        index += 1
    return tokens


def wildcard_regex(text: str) -> re.Pattern[str]:
    parts = [".*" if token is None else re.escape(token) for token in wildcard_tokens(text)]
    return re.compile("".join(parts), re.DOTALL)


def cidr(text: str) -> Cidr:
    """event-ruler's CIDR parsing: Java's split('/') (trailing empties dropped) and its messages."""
    parts = text.split("/")
    while parts and parts[-1] == "":
        parts.pop()
    if len(parts) != 2:
        raise _Invalid("Malformed CIDR, one '/' required")
    if not re.fullmatch(r"[+-]?\d+", parts[1]):
        raise _Invalid("Malformed CIDR, mask bits must be an integer")
    mask = int(parts[1])
    if mask < 0:
        raise _Invalid("Malformed CIDR, mask bits must not be negative")
    address = parse_ip(parts[0])
    if address is None:
        raise _Invalid(f"Nonstandard IP address: {parts[0]}")
    bits = address.max_prefixlen
    if mask >= bits:
        raise _Invalid(f"IPv{address.version} mask bits must be < {bits}")
    low = int(address)
    return Cidr(low, low | ((1 << (bits - mask)) - 1), address.version)
