"""Only the parts of an event that some pattern looks at: what the match call flattens, when the engine has
no JSON entry of its own (RuleSet.match_json walks only referenced paths itself).

Flattening visits every leaf of an event, and an archived event carries many no rule tests (ids, client
context, item prices). Dropping them first changes no match: every path a pattern names is kept whole,
arrays stay arrays (their elements pruned alike, so fields of one element stay together), and a key the
tree cannot judge (empty, or holding a dot, which flattening joins into a path of its own) is kept as is.
Patterns whose own keys hold a dot or are empty turn pruning off.
"""

from __future__ import annotations

from typing import Any

from tooling.routes.explain import leaves

Tree = dict[str, "Tree | None"]  # None: keep the whole value (a path some pattern names ends here)
_ABSENT: Any = object()


def referenced(patterns: list[dict[str, Any]]) -> Tree | None:
    """The tree of the paths the patterns name; None when a pattern key makes paths no tree (no pruning)."""
    tree: Tree = {}
    for pattern in patterns:
        for path, _ in leaves(pattern):
            if any(not part or "." in part for part in path):
                return None
            node: Tree | None = tree
            for part in path[:-1]:
                assert node is not None
                child = node.get(part, _ABSENT)
                if child is None:
                    node = None  # kept whole already
                    break
                if child is _ABSENT:
                    child = node[part] = {}
                node = child
            if node is not None:
                node[path[-1]] = None
    return tree


def prune(node: dict[str, Any], tree: Tree) -> dict[str, Any]:
    out: dict[str, Any] = {}
    find = tree.get
    for key, value in node.items():
        sub = find(key, _ABSENT)
        if sub is _ABSENT:
            if not key or "." in key:
                out[key] = value
        elif sub is None or not isinstance(value, dict | list):
            out[key] = value
        elif isinstance(value, dict):
            out[key] = prune(value, sub)
        else:
            out[key] = _items(value, sub)
    return out


def _items(values: list[Any], tree: Tree) -> list[Any]:
    return [
        prune(item, tree)
        if isinstance(item, dict)
        else _items(item, tree)
        if isinstance(item, list)
        else item
        for item in values
    ]
