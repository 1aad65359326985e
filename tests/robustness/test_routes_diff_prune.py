"""Pruning an event to the paths the patterns name (tooling/routes/prune.py) never changes what matches:
the fallback match call of `routes diff` flattens only what some pattern looks at."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tooling.patterns import RuleSet
from tooling.routes.prune import prune, referenced
from tooling.routes.sample_events import archived_events

PATTERNS: list[dict[str, Any]] = [
    {"source": ["ecommerce.orders"], "detail": {"totalAmount": [{"numeric": [">", 500]}]}},
    {"detail": {"items": {"productId": [{"prefix": "prod-1"}], "quantity": [2]}}},  # one element's fields
    {"detail": {"reason": [{"exists": False}]}, "detail-type": ["Order Cancelled"]},
    {"detail": {"status": [{"anything-but": ["completed"]}]}, "source": ["ecommerce.payments"]},
    {"$or": [{"detail": {"currency": ["EUR"]}}, {"detail": {"context": {"channel": ["web"]}}}]},
    {"detail": {"context": [{"exists": True}]}},  # a path that ends on an object: never a leaf
    {"detail": {"a": {"b": ["x"]}}},  # reached by the dotted key "a.b" as well
]


def _events() -> list[dict[str, Any]]:
    rng = random.Random(5)
    events = list(archived_events(400, seed=8))
    for event in events[::7]:
        event["detail"]["context"] = {"channel": rng.choice(["web", "ios"]), "locale": "en-US"}
    for event in events[::11]:
        event["detail"]["a.b"] = "x"  # flattening joins it into detail.a.b
    for event in events[::13]:
        event["detail"][""] = {"b": "x"}  # an empty key: kept, whatever the engine makes of it
    for event in events[::17]:
        event["detail"]["items"] = [[{"productId": "prod-19", "quantity": 2}], {"productId": "prod-2"}]
    for event in events[::19]:
        event["detail"] = "not an object"
    return events


def test_the_tree_holds_every_path_a_pattern_names() -> None:
    tree = referenced(PATTERNS)

    assert tree is not None
    assert tree["source"] is None and tree["detail-type"] is None
    detail = tree["detail"]
    assert detail is not None and detail["context"] is None  # named whole by the exists pattern
    assert detail["items"] == {"productId": None, "quantity": None}


def test_a_pattern_key_with_a_dot_turns_pruning_off() -> None:
    assert referenced([{"detail": {"a.b": ["x"]}}]) is None
    assert referenced([{"detail": {"": ["x"]}}]) is None


@pytest.mark.parametrize("count", [1, 3, len(PATTERNS)])
def test_pruned_events_match_exactly_the_rules_whole_events_match(count: int) -> None:
    patterns = PATTERNS[:count]
    ruleset = RuleSet({str(i): p for i, p in enumerate(patterns)})
    tree = referenced(patterns)
    assert tree is not None
    events = _events()

    whole = [ruleset.match(event) for event in events]
    pruned = [ruleset.match(prune(event, tree)) for event in events]

    assert pruned == whole
    assert sum(map(bool, whole)) > 20  # the events do match, and differently
    assert len({tuple(w) for w in whole}) >= min(count, 3)


def test_pruning_drops_what_no_pattern_names() -> None:
    tree = referenced(PATTERNS)
    assert tree is not None
    event = archived_events(1, seed=8).__next__()

    pruned = prune(event, tree)

    assert set(pruned) == {"source", "detail-type", "detail"}
    assert "orderId" not in pruned["detail"] and "idempotencyKey" not in pruned["detail"]
