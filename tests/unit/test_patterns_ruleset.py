"""RuleSet: many rules, one event; the index must never change the answer, only the work."""

from __future__ import annotations

from typing import Any

import pytest

from tooling.patterns import InvalidEventError, InvalidPatternError, RuleSet, compile_pattern

ORDER = {"source": "ecommerce.orders", "detail-type": "Order Created", "detail": {"total": 1500, "id": "o-1"}}


def test_returns_matching_rule_names_in_insertion_order() -> None:
    rules: dict[str, Any] = {
        "z-all": {"source": [{"prefix": "ecommerce."}]},
        "orders": {"source": ["ecommerce.orders"]},
        "users": {"source": ["ecommerce.users"]},
        "a-high": {"detail": {"total": [{"numeric": [">", 1000]}]}},
    }
    assert RuleSet(rules).match(ORDER) == ["z-all", "orders", "a-high"]


def test_rules_without_indexable_fields_are_still_checked() -> None:
    rules: dict[str, Any] = {
        "not-users": {"source": [{"anything-but": "ecommerce.users"}]},
        "absent": {"x": [{"exists": False}]},
    }
    assert RuleSet(rules).match(ORDER) == ["not-users", "absent"]


def test_or_branches_are_indexed_separately() -> None:
    rules = {"either": {"$or": [{"source": ["nope"]}, {"detail-type": [{"suffix": "Created"}]}]}}
    assert RuleSet(rules).match(ORDER) == ["either"]


def test_index_on_ignore_case_and_numbers() -> None:
    rules: dict[str, Any] = {
        "ci": {"detail-type": [{"equals-ignore-case": "order created"}]},
        "ci-prefix": {"detail-type": [{"prefix": {"equals-ignore-case": "ORDER"}}]},
        "num": {"detail": {"total": [1500.0]}},
        "bool": {"flag": [False]},
    }
    assert RuleSet(rules).match({**ORDER, "flag": False}) == ["ci", "ci-prefix", "num", "bool"]


def test_accepts_pattern_text_and_compiled_patterns() -> None:
    rules: dict[str, Any] = {
        "text": '{"source": ["ecommerce.orders"]}',
        "compiled": compile_pattern({"id": ["x"]}),
    }
    assert RuleSet(rules).match(ORDER) == ["text"]


def test_invalid_rule_raises_with_aws_message() -> None:
    with pytest.raises(InvalidPatternError, match="must be an object or an array"):
        RuleSet({"bad": {"source": "x"}})


def test_many_rules_only_matching_ones_are_returned() -> None:
    rules = {f"r{i}": {"source": ["ecommerce.orders"], "detail": {"id": [f"o-{i}"]}} for i in range(500)}
    assert RuleSet(rules).match(ORDER) == ["r1"]


def test_match_json_reads_the_event_text() -> None:
    rules: dict[str, Any] = {
        "orders": {"source": ["ecommerce.orders"]},
        "high": {"detail": {"total": [1500]}},
    }

    assert RuleSet(rules).match_json(b'{"source":"ecommerce.orders","detail":{"total":1500.0}}') == [
        "orders",
        "high",
    ]
    assert compile_pattern(rules["orders"]).matches_json('{"source": "ecommerce.orders"}')


def test_match_json_refuses_text_that_is_not_an_object() -> None:
    with pytest.raises(InvalidEventError):
        RuleSet({"a": {"a": [1]}}).match_json("[1]")
    with pytest.raises(InvalidEventError):
        RuleSet({"a": {"a": [1]}}).match_json("{")
