"""Why one example event was gained or lost by a rule: the pattern field that decided.

The side whose pattern did not match is taken apart into its leaf conditions (one per field path; the
branches of `$or` included), each compiled on its own by the same engine; the first that fails on the event
is the field that decided. When every leaf matches alone but the whole does not (fields of one array
element, or an `$or` whose branches each fail on another field), that is said instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tooling.patterns import InvalidPatternError, compile_pattern

Path = tuple[str, ...]
VALUE_CHARS = 80


def leaves(pattern: dict[str, Any], path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """(field path, condition list) of every leaf of a pattern, in the pattern's order."""
    for key, value in pattern.items():
        if key == "$or" and isinstance(value, list):
            for branch in value:
                if isinstance(branch, dict):
                    yield from leaves(branch, path)
        elif isinstance(value, dict):
            yield from leaves(value, (*path, key))
        else:
            yield (*path, key), value


def _nest(path: Path, condition: Any) -> dict[str, Any]:
    pattern: dict[str, Any] = {path[-1]: condition}
    for key in reversed(path[:-1]):
        pattern = {key: pattern}
    return pattern


def failing_leaf(pattern: dict[str, Any], event: dict[str, Any]) -> tuple[Path, Any] | None:
    for path, condition in leaves(pattern):
        try:
            alone = compile_pattern(_nest(path, condition))
        except InvalidPatternError:  # a leaf that is only valid with its siblings: not the explanation
            continue
        if not alone.matches(event):
            return path, condition
    return None


def condition_at(pattern: dict[str, Any] | None, path: Path) -> Any:
    if pattern is None:
        return None
    return next((condition for found, condition in leaves(pattern) if found == path), None)


def values_at(event: Any, path: Path) -> list[Any]:
    """The event's leaf values at a field path (arrays are transparent, as in matching)."""
    nodes = [event]
    for key in path:
        following: list[Any] = []
        for node in nodes:
            for item in node if isinstance(node, list) else [node]:
                if isinstance(item, dict) and key in item:
                    following.append(item[key])
        nodes = following
    flat: list[Any] = []
    for node in nodes:
        flat.extend(node if isinstance(node, list) else [node])
    return flat


def shown(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 3] + "..."
