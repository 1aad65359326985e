"""Parse and validate an event pattern into branches of field matchers, with AWS's own error texts.

The walk follows EventBridge's rule compiler (event-ruler's JsonRuleCompiler, the compiler AWS answers with;
event-ruler's fallback RuleCompiler, which accepts some patterns it refuses, plays no part): keys are visited
in document order, duplicates included (jsontext.Pairs), and the first problem wins, so the message is the
one AWS would return. Texts recorded from the real service (tests/unit/test_pattern_conformance.py checks
them) are used verbatim; the rest follow event-ruler. Numbers keep their text: one that is not exactly a
double (numbers.py) is refused in `numeric` and `anything-but` ("Cannot compare number : <text>") and matched
by its text in a list of values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tooling import strict_json
from tooling.errors import ToolingError
from tooling.patterns import ip
from tooling.patterns.complexity import wildcard_complexity
from tooling.patterns.jsontext import Pairs, PatternNumber, read_pattern
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
    ExactNumberText,
    Exists,
    Field,
    Matcher,
    Numeric,
    Prefix,
    Suffix,
    Wildcard,
)
from tooling.patterns.numbers import comparable_int

PREFIX = "Event pattern is not valid. Reason: "
# PutRule's EventPattern length constraint.
MAX_PATTERN_LENGTH = 4096
# Above this many simultaneously live wildcard states in one field, AWS answers "Rule is too complex".
# Calibrated on recorded answers (see complexity.py); an estimate of AWS's internal measure, not its code.
MAX_WILDCARD_COMPLEXITY = 10
# $or branches multiply; this bound keeps a pattern's expansion bounded (an estimate of AWS's limit).
MAX_OR_COMBINATIONS = 1000
OR_KEY = "$or"
# event-ruler's Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP: its operators, the numeric comparisons,
# and names kept for operators to come.
RESERVED_IN_OR = frozenset(
    {"exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard", "numeric", "cidr",
     "=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case", "date-after",
     "date-on-or-after", "date-before", "date-on-or-before", "in-date-range", "ip-address-in-range",
     "ip-address-not-in-range"}
)  # fmt: skip
# How strict_json words a number beyond a double, which patterns leave to event-ruler's rules (_read_text).
BEYOND_DOUBLE = "is beyond what a double holds"
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
    if isinstance(value, PatternNumber):
        return value.text
    if isinstance(value, Mapping | Pairs):
        return "{"
    if isinstance(value, list):
        return "["
    return json.dumps(value)


Obj = Mapping[str, Any] | Pairs


def _is_object(value: Any) -> bool:
    return isinstance(value, Mapping | Pairs)


def _items(obj: Obj) -> list[tuple[str, Any]]:
    return obj.pairs if isinstance(obj, Pairs) else list(obj.items())


def _is_number(value: Any) -> bool:
    return isinstance(value, PatternNumber) or (
        isinstance(value, int | float) and not isinstance(value, bool)
    )


def _number(value: Any) -> tuple[str, float | None]:
    """A pattern number's text (as Jackson prints it) and its double when it is exactly one, else None."""
    if isinstance(value, PatternNumber):
        return value.text, value.value
    if isinstance(value, int):
        return str(value), float(value) if comparable_int(value) else None
    return repr(value), float(value)  # a double from an already-parsed pattern is its own decimal form


def _comparable(value: Any) -> float:
    """The double of a number in numeric/anything-but, or event-ruler's refusal (ComparableNumber)."""
    text, number = _number(value)
    if number is None:
        raise _Invalid(f"Cannot compare number : {text}")
    return number


def load_pattern(source: Any) -> Obj:
    """Parse a JSON string (or accept an already-parsed value) and return the pattern object: Pairs when
    parsed here (every key kept, numbers with their text), else the mapping given."""
    if isinstance(source, str | bytes):
        try:
            text = strict_json.decode_utf8(source, "the pattern") if isinstance(source, bytes) else source
        except strict_json.JSONRefused as exc:
            raise InvalidPatternError(PREFIX + exc.problem) from None
        if len(text) > MAX_PATTERN_LENGTH:
            raise InvalidPatternError(_too_long())
        try:
            source = _read_text(text)
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
        return source
    if not isinstance(source, Pairs):
        raise InvalidPatternError(PREFIX + "Filter is not an object")
    return source


def _read_text(text: str) -> Any:
    """The pattern's text read as event-ruler reads it (jsontext), after strict_json's checks of what JSON
    text may hold (NaN, lone surrogates, nesting). A number beyond a double is not refused here: event-ruler
    keeps it as text in a list of values and refuses it in numeric and anything-but (_comparable)."""
    try:
        tree = read_pattern(text)
    except json.JSONDecodeError:
        raise
    except ValueError:
        strict_json.loads(text, "the pattern", last_key_wins=True)  # raises what it refuses
        raise strict_json.JSONRefused(
            "the pattern", "not strict JSON", hint="check it with a JSON validator"
        ) from None
    surrogate = "\\u" in text and "\\ud" in text.lower()
    if surrogate or text.count("{") + text.count("[") > strict_json.MAX_DEPTH:
        try:
            strict_json.loads(text, "the pattern", last_key_wins=True)
        except strict_json.JSONRefused as exc:
            if BEYOND_DOUBLE not in exc.problem:
                raise
    return tree


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
        _object(pattern, (), rules, in_or=False)
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
        if any(_empty(m) for rule in rules for matchers in rule.values() for m in matchers):
            # JsonRuleCompiler accepts `{"anything-but": {"prefix": []}}` (and suffix, wildcard,
            # equals-ignore-case), then event-ruler fails to add the rule (a NullPointerException in
            # GenericMachine.addStep): refused once the whole pattern is read, as an empty array.
            raise _Invalid("Empty arrays are not allowed")
    except _Invalid as exc:
        raise InvalidPatternError(PREFIX + exc.reason) from None
    return [Branch(tuple(Field(path, matchers) for path, matchers in rule.items())) for rule in rules]


def _empty(matcher: Matcher) -> bool:
    if isinstance(matcher, AnythingButPrefix):
        return not matcher.prefixes
    if isinstance(matcher, AnythingButSuffix):
        return not matcher.suffixes
    if isinstance(matcher, AnythingButIgnoreCase):
        return not matcher.values
    return isinstance(matcher, AnythingButWildcard) and not matcher.sources


def _path(steps: tuple[str, ...], key: str) -> str:
    """event-ruler's Path.extendedName: the object keys so far joined with ".", then the key; an empty
    join adds no separator (so `{"": {"b": [...]}}` names "b", while `{"": {"": {"b": [...]}}}` names "..b")."""
    base = ".".join(steps)
    return f"{base}.{key}" if base else key


def _object(
    obj: Obj, steps: tuple[str, ...], rules: list[dict[str, tuple[Matcher, ...]]], in_or: bool
) -> None:
    items = _items(obj)
    if not items:
        raise _Invalid("Empty objects are not allowed")
    for key, value in items:
        if key == OR_KEY:
            _or(value, steps, rules)
            continue
        if in_or and key in RESERVED_IN_OR:
            raise _Invalid(f"{key} is Ruler reserved fieldName which cannot be used inside {OR_KEY}.")
        if _is_object(value):
            _object(value, (*steps, key), rules, in_or)
        elif isinstance(value, list):
            matchers = _values(value)
            if not rules:
                rules.append({})
            path = _path(steps, key)
            for rule in rules:
                rule[path] = matchers  # a repeated path: the last one wins (rule overriding)
        else:
            raise _Invalid(f'"{key}" must be an object or an array')


def _or(value: Any, steps: tuple[str, ...], rules: list[dict[str, tuple[Matcher, ...]]]) -> None:
    current = [dict(rule) for rule in rules]
    rules.clear()
    if not isinstance(value, list):
        raise _Invalid(f"It must be an Array followed with {OR_KEY}.")
    for item in value:
        if not _is_object(item):
            raise _Invalid(f"Only JSON object is allowed in array of {OR_KEY} relationship.")
        branch_rules = [dict(rule) for rule in current] or [{}]
        _object(item, steps, branch_rules, in_or=True)
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
        if _is_object(value):
            out.append(_expression(value))
        elif isinstance(value, str):
            out.append(_literal_string(value))
        elif _is_number(value):
            # event-ruler keeps a number that is not exactly a double as its text (JsonRuleCompiler.writeRules).
            text, number = _number(value)
            out.append(ExactNumberText(text) if number is None else Exact(number))
        elif value is None or isinstance(value, bool):
            out.append(Exact(value))
        else:
            raise _Invalid("Match value must be String, number, true, false, or null")
    if not out:
        raise _Invalid("Empty arrays are not allowed")
    return tuple(out)


def _literal_string(value: str) -> Matcher:
    """An IP address literal is a one-address range (CIDR.ipToRangeIfPossible); any other string is itself."""
    try:
        digits = ip.hex_digits(value) if ip.looks_like_ip(value) else None
    except ip.InvalidIp:  # pragma: no cover - hex_digits answers None instead
        digits = None
    return Exact(value) if digits is None else ExactIp(digits)


def _one_key(expr: Obj, message: str = "Only one key allowed in match expression") -> None:
    if len(_items(expr)) > 1:
        raise _Invalid(message)


def _expression(expr: Obj) -> Matcher:
    items = _items(expr)
    if not items:
        raise _Invalid("Match expression name not found")
    name, arg = items[0]
    matcher: Matcher
    if name in ("prefix", "suffix"):
        matcher = _prefix_suffix(name, arg)
        _one_key(expr)
    elif name == "exactly":
        # event-ruler's exact match by text (never an IP address range); not in AWS's documentation.
        if not isinstance(arg, str):
            raise _Invalid("exact match pattern must be a string")
        matcher = Exact(arg)
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
    if _is_object(arg):
        # JsonRuleCompiler.processPrefixEqualsIgnoreCaseExpression (and its suffix twin).
        items = _items(arg)
        if not items:
            raise _Invalid(f"{name.capitalize()} expression name not found")
        op, inner = items[0]
        if op != "equals-ignore-case":
            raise _Invalid(f"Unsupported {name} pattern: {op}")
        if not isinstance(inner, str):
            raise _Invalid("equals-ignore-case match pattern must be a string")
        _one_key(arg)
        return Prefix(inner, True) if name == "prefix" else Suffix(inner, True)
    if not isinstance(arg, str):
        raise _Invalid(f"{name} match pattern must be a string")
    return Prefix(arg) if name == "prefix" else Suffix(arg)


_INVALID_ANYTHING_BUT = "Value of anything-but must be an array or single string/number value."


def _anything_but(arg: Any) -> Matcher:
    """JsonRuleCompiler's anything-but: a value, a list of values, or {op: value or list} for op in
    equals-ignore-case, prefix, suffix, wildcard; each refusal in the order event-ruler meets it."""
    if not _is_object(arg):
        if isinstance(arg, list):
            return _anything_but_list(arg)
        if isinstance(arg, str):
            return AnythingBut(frozenset({arg}), frozenset())
        if _is_number(arg):
            return AnythingBut(frozenset(), frozenset({_comparable(arg)}))
        raise _Invalid(_INVALID_ANYTHING_BUT)
    items = _items(arg)
    if not items:
        raise _Invalid("Anything-But expression name not found")
    op, inner = items[0]
    if op not in ("equals-ignore-case", "prefix", "suffix", "wildcard"):
        raise _Invalid(f"Unsupported anything-but pattern: {op}")
    if not (isinstance(inner, list | str) or _is_number(inner)):
        raise _Invalid(_INVALID_ANYTHING_BUT)
    not_string = {
        "equals-ignore-case": "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
        "wildcard": "wildcard match pattern must be a string",
    }.get(op, "prefix/suffix match pattern must be a string")
    texts: list[str] = []
    for item in inner if isinstance(inner, list) else [inner]:
        if not isinstance(item, str):
            raise _Invalid(not_string)
        if op in ("prefix", "suffix") and not item:
            raise _Invalid("Null prefix/suffix not allowed")
        texts.append(item)
    _one_key(arg, "Too many elements in numeric expression")
    matcher: Matcher
    if op == "equals-ignore-case":
        matcher = AnythingButIgnoreCase(frozenset(texts))
    elif op == "prefix":
        matcher = AnythingButPrefix(tuple(texts))
    elif op == "suffix":
        matcher = AnythingButSuffix(tuple(texts))
    else:
        matcher = AnythingButWildcard(tuple(texts), tuple(wildcard_regex(text) for text in texts))
    return matcher


def _anything_but_list(values: list[Any]) -> AnythingBut:
    strings: set[str] = set()
    numbers: set[float] = set()
    for value in values:  # in document order, as event-ruler reads the list
        if isinstance(value, str):
            strings.add(value)
        elif _is_number(value):
            numbers.add(_comparable(value))
        else:
            raise _Invalid("Inside anything but list, start|null|boolean is not supported.")
    if bool(strings) == bool(numbers):
        raise _Invalid(
            "Inside anything but list, either all values are number or string, mixed type is not supported"
        )
    return AnythingBut(frozenset(strings), frozenset(numbers))


def _numeric(items: list[Any]) -> Numeric:
    """JsonRuleCompiler.processNumericMatchExpression: the shape first, then each bound's value."""
    if not items or not isinstance(items[0], str):
        raise _Invalid(f"Invalid member in numeric match: {_json_text(items[0]) if items else ']'}")
    operator = items[0]
    first = items[1] if len(items) > 1 else None
    if operator not in ("=", ">=", ">", "<=", "<"):
        raise _Invalid(f"Unrecognized numeric range operator: {operator}")
    if not _is_number(first):
        label = "equals" if operator == "=" else operator
        raise _Invalid(f"Value of {label} must be numeric")
    if operator in ("=", "<=", "<"):
        if len(items) > 2:
            raise _Invalid("Too many elements in numeric expression")
        value = _comparable(first)
        if operator == "=":
            return Numeric(value, True, value, True)
        return Numeric(None, False, value, operator == "<=")
    if len(items) == 2:
        return Numeric(_comparable(first), operator == ">=", None, False)
    upper_op = items[2]
    if not isinstance(upper_op, str):
        raise _Invalid(f"Bad value in numeric range: {_json_text(upper_op)}")
    if upper_op not in ("<", "<="):
        raise _Invalid(f"Bad numeric range operator: {upper_op}")
    if len(items) < 4 or not _is_number(items[3]):
        raise _Invalid(f"Value of {upper_op} must be numeric")
    if len(items) > 4:
        raise _Invalid("Too many terms in numeric range expression")
    value, upper = _comparable(first), _comparable(items[3])
    # event-ruler (Range.ensureValidRange) refuses a range whose bottom is not below its top, inclusive
    # bounds or not: such a range is an invalid pattern, not one that never matches.
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
    """event-ruler's CIDR.cidr: Java's split('/') (trailing empties dropped), Integer.parseInt, its messages,
    and the block from the network address (the written address with its host bits cleared) to the top."""
    parts = text.split("/")
    while parts and parts[-1] == "":
        parts.pop()
    if len(parts) != 2:
        raise _Invalid("Malformed CIDR, one '/' required")
    if not re.fullmatch(r"[+-]?\d+", parts[1]) or not -(2**31) <= int(parts[1]) < 2**31:
        raise _Invalid("Malformed CIDR, mask bits must be an integer")
    mask = int(parts[1])
    if mask < 0:
        raise _Invalid("Malformed CIDR, mask bits must not be negative")
    try:
        address = ip.address_bytes(parts[0])
    except ip.InvalidIp:
        raise _Invalid(f"Invalid IP address: {parts[0]}") from None
    if address is None:
        raise _Invalid(f"Nonstandard IP address: {parts[0]}")
    bits = len(address) * 8
    if mask >= bits:
        raise _Invalid(f"IPv{4 if bits == 32 else 6} mask bits must be < {bits}")
    host = (1 << (bits - mask)) - 1
    value = int.from_bytes(address, "big")
    width = len(address) * 2
    return Cidr(f"{value & ~host:0{width}X}", f"{value | host:0{width}X}")
