"""The operators a pattern uses, read from its JSON: what filter modes (modes.py) and the bus quotas
(rules with wildcards, wildcard complexity) need to know, without depending on how the engine compiles.

The pattern is the JSON object EventBridge reads, already valid (check_pattern): every leaf is a list of
values and match expressions, and `$or` holds a list of objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tooling.patterns.complexity import wildcard_complexity

OR_KEY = "$or"


@dataclass(frozen=True)
class Use:
    """One operator at one field: `path` is the dot-joined field, `operator` one of OPERATORS."""

    path: str
    operator: str
    argument: Any = None


OPERATORS = (
    "exact", "prefix", "prefix-equals-ignore-case", "suffix", "suffix-equals-ignore-case", "equals-ignore-case",
    "wildcard", "anything-but", "anything-but-prefix", "anything-but-suffix", "anything-but-equals-ignore-case",
    "anything-but-wildcard", "numeric", "cidr", "exists", OR_KEY,
)  # fmt: skip


def uses(pattern: Mapping[str, Any], prefix: str = "") -> Iterator[Use]:
    """Every operator of the pattern, in document order ($or once, at the object that holds it)."""
    for key, value in pattern.items():
        if key == OR_KEY and isinstance(value, list):
            yield Use(prefix or "(top level)", OR_KEY)
            for branch in value:
                if isinstance(branch, Mapping):
                    yield from uses(branch, prefix)
            continue
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            yield from uses(value, path)
        elif isinstance(value, list):
            for item in value:
                yield _use(path, item)


def _use(path: str, item: Any) -> Use:
    if not isinstance(item, Mapping) or not item:
        return Use(path, "exact", item)
    name, argument = next(iter(item.items()))
    if name in ("prefix", "suffix") and isinstance(argument, Mapping):
        return Use(path, f"{name}-equals-ignore-case", next(iter(argument.values()), None))
    if name == "anything-but" and isinstance(argument, Mapping) and argument:
        inner, inner_argument = next(iter(argument.items()))
        return Use(path, f"anything-but-{inner}", inner_argument)
    return Use(path, str(name), argument)


def has_wildcard(pattern: Mapping[str, Any]) -> bool:
    """The pattern counts against the 30 rules with wildcards per bus (wildcard or anything-but wildcard)."""
    return any(use.operator in ("wildcard", "anything-but-wildcard") for use in uses(pattern))


def wildcard_tokens(text: str) -> list[str | None]:
    """A valid wildcard's characters, None for each unescaped `*` (`\\*` and `\\\\` are literals)."""
    tokens: list[str | None] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            tokens.append(text[index + 1])
            index += 2
            continue
        tokens.append(None if char == "*" else char)
        index += 1
    return tokens


def wildcard_complexity_by_field(pattern: Mapping[str, Any], cap: int = 100) -> dict[str, int]:
    """Per field, how many wildcard states some input keeps alive at once (complexity.py: the quantity
    EventBridge bounds with "Rule is too complex"), over all of the field's wildcards in the pattern."""
    texts: dict[str, set[str]] = {}
    for use in uses(pattern):
        if use.operator in ("wildcard", "anything-but-wildcard"):
            items = use.argument if isinstance(use.argument, list) else [use.argument]
            texts.setdefault(use.path, set()).update(t for t in items if isinstance(t, str))
    return {
        path: wildcard_complexity([wildcard_tokens(text) for text in sorted(found)], cap)
        for path, found in texts.items()
    }
