"""Property: RuleSet.match (and match_json, on the event's JSON text), before and after its scanner is
generated, returns exactly the rules whose pattern matches on its own."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from tooling.patterns import RuleSet, check_pattern, compile_pattern

KEYS = ["source", "detail-type", "a", "b"]
# Non-ASCII words whose case forms change length or are not symmetric (sharp s, sigmas, title case, dotted I,
# Kelvin sign): the index must never lose a rule that event-ruler's case folding matches.
WORDS = ["", "x", "xy", "ab", "AB", "orders", "Orders", "ord", "\u00df", "SS", "ss", "\u03a3", "\u03c3", "\u03c2",
         "\u01c5", "\u0130", "i\u0307", "\u212a", "k"]  # fmt: skip
NUMBERS = [0, 1, 1.0, 2.5, 100, -3]
leaf_values = st.one_of(st.sampled_from(WORDS), st.sampled_from(NUMBERS), st.booleans(), st.none())

operand = st.one_of(
    leaf_values,
    st.builds(lambda w: {"prefix": w}, st.sampled_from(WORDS)),
    st.builds(lambda w: {"suffix": w}, st.sampled_from(WORDS)),
    st.builds(lambda w: {"prefix": {"equals-ignore-case": w}}, st.sampled_from(WORDS)),
    st.builds(lambda w: {"suffix": {"equals-ignore-case": w}}, st.sampled_from(WORDS)),
    st.builds(lambda w: {"anything-but": {"equals-ignore-case": w}}, st.sampled_from(WORDS[1:])),
    st.builds(lambda w: {"equals-ignore-case": w}, st.sampled_from(WORDS)),
    st.builds(lambda w: {"anything-but": w}, st.sampled_from(WORDS[1:])),
    st.builds(lambda n: {"numeric": [">", n]}, st.sampled_from(NUMBERS)),
    st.builds(lambda b: {"exists": b}, st.booleans()),
    st.builds(lambda w: {"wildcard": f"*{w}*"}, st.sampled_from(WORDS[1:])),
)
field_patterns = st.lists(operand, min_size=1, max_size=3)


def _object(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(KEYS), children, min_size=1, max_size=3)


patterns = st.one_of(
    _object(st.one_of(field_patterns, _object(field_patterns))),
    st.builds(
        lambda a, b: {"$or": [a, b]},
        _object(field_patterns),
        _object(st.one_of(field_patterns, _object(field_patterns))),
    ),
).filter(lambda p: check_pattern(p) is None)  # e.g. too many wildcards in one field
event_values = st.recursive(
    leaf_values,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=8,
)
events = st.dictionaries(st.sampled_from(KEYS), event_values, max_size=4)


@settings(max_examples=300, deadline=None)
@given(rules=st.lists(patterns, min_size=1, max_size=12), event_list=st.lists(events, min_size=1, max_size=5))
def test_ruleset_agrees_with_each_rule_alone(
    rules: list[dict[str, Any]], event_list: list[dict[str, Any]]
) -> None:
    named = {f"rule{i}": pattern for i, pattern in enumerate(rules)}
    general, compiled = RuleSet(named), RuleSet(named, warm_up=0)
    singles = {name: compile_pattern(pattern) for name, pattern in named.items()}
    for event in event_list:
        expected = [name for name, pattern in singles.items() if pattern.matches(event)]
        assert general.match(event) == expected
        assert compiled.match(event) == expected
        # The same event as JSON text: compact (read by the generated scanner) and spaced (read by the
        # general walk, as a text that orjson does not write back unchanged).
        assert compiled.match_json(orjson.dumps(event)) == expected
        assert compiled.match_json(json.dumps(event, indent=1)) == expected
