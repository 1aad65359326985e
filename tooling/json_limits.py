"""The nesting limit of every JSON document a user hands the tooling (events, patterns, PutEvents lines).

Python's json module recurses, so a document nested about a thousand deep fails with RecursionError, and one
that parses can still overflow the matcher later. EventBridge limits depth too (patterns and events are
refused well before this), so the tooling refuses anything nested deeper than MAX_DEPTH, with one clear line.
"""

from __future__ import annotations

import json
from typing import Any

from tooling.errors import UsageError

MAX_DEPTH = 100


def too_deep_message(what: str) -> str:
    return f"{what} is nested more than {MAX_DEPTH} levels deep (objects and arrays); flatten it"


class TooDeepError(UsageError):
    """A JSON document nested deeper than MAX_DEPTH."""

    def __init__(self, what: str) -> None:
        super().__init__(too_deep_message(what), hint=f"keep JSON input within {MAX_DEPTH} levels of nesting")


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


def loads(text: str | bytes, what: str) -> Any:
    """json.loads with the nesting limit: TooDeepError (exit 2) instead of RecursionError or a later overflow.
    json.JSONDecodeError passes through for the caller's own message."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeepError(what) from None
    if depth(value) > MAX_DEPTH:
        raise TooDeepError(what)
    return value
