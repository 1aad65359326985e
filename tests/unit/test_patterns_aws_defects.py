"""Engine defects found by differential testing against aws/event-ruler 2.0.1 (issue 25, item 5).

Each test states event-ruler's behaviour (the class it comes from) and failed before the fix. The same inputs
give the same answers in event-ruler itself (tooling_testing/event_ruler.py runs it where Java is present).
"""

from __future__ import annotations

from typing import Any

import pytest

from tooling.patterns import RuleSet, check_pattern, compile_pattern

REASON = "Event pattern is not valid. Reason: "


def matches(pattern: dict[str, Any] | str, event: dict[str, Any]) -> bool:
    return compile_pattern(pattern).matches(event)


# -- cidr: the block starts at the network address (CIDR.computeBottomBytes) ---------------------------------


def test_a_cidr_block_starts_at_its_network_address_not_at_the_written_one() -> None:
    pattern = {"ip": [{"cidr": "10.0.0.5/24"}]}

    assert matches(pattern, {"ip": "10.0.0.4"})
    assert matches(pattern, {"ip": "10.0.0.0"})
    assert matches(pattern, {"ip": "10.0.0.255"})
    assert not matches(pattern, {"ip": "10.0.1.0"})


# -- exists:false inside arrays of objects (ACFinder/StructuredFinder, NameState.getNameTransitions) ---------


def test_exists_false_is_decided_per_array_element_with_the_fields_matched_before_it() -> None:
    # "items.wrap" comes after "items.sku": absent in the element whose sku matched, present in another.
    pattern = {"items": {"sku": ["A"], "wrap": [{"exists": False}]}}
    event = {"items": [{"sku": "A"}, {"sku": "B", "wrap": True}]}

    assert RuleSet({"r": pattern}).match(event) == ["r"]
    assert not matches(pattern, {"items": [{"sku": "A", "wrap": True}]})


def test_exists_false_on_the_first_key_in_order_is_absence_anywhere_as_in_event_ruler() -> None:
    # Nothing is matched before "items.a" to tie it to an element: any "a" in any item is present.
    pattern = {"items": {"a": [{"exists": False}], "b": ["x"]}}

    assert not matches(pattern, {"items": [{"a": 1}, {"b": "x"}]})
    assert matches(pattern, {"items": [{"c": 1}, {"b": "x"}]})


# -- empty keys (Event.java: every key joins the path; JsonRuleCompiler: Path.extendedName) -------------------


def test_an_empty_key_in_an_event_is_a_step_of_its_path() -> None:
    assert RuleSet({"r": {"b": ["A"]}}).match({"": {"b": "A"}}) == []
    assert matches({"": {"": {"b": ["A"]}}}, {"": {"": {"b": "A"}}})


def test_an_empty_first_key_of_a_pattern_adds_no_separator_as_in_event_ruler() -> None:
    # JsonRuleCompiler names {"": {"b": [...]}} "b" (extendedName of an empty path), events name it ".b".
    assert matches({"": {"b": ["A"]}}, {"b": "A"})
    assert not matches({"": {"b": ["A"]}}, {"": {"b": "A"}})


# -- numbers (ComparableNumber: a number is compared only when it is exactly a double) ----------------------


RULES_ON_A = {
    "numeric": {"a": [{"numeric": [">", 0]}]},
    "not-5": {"a": [{"anything-but": [5]}]},
    "not-x": {"a": [{"anything-but": "x"}]},
    "exists": {"a": [{"exists": True}]},
}


def test_an_event_number_beyond_a_double_never_crashes_and_is_no_number() -> None:
    rules = RuleSet(RULES_ON_A)
    expected = ["not-5", "not-x", "exists"]

    assert rules.match({"a": 10**400}) == expected
    assert rules.match_json('{"a": ' + "9" * 400 + "}") == expected
    assert rules.match_json('{"a": 1e400}') == expected
    assert rules.match_json('{"a": -1e400}') == expected


def test_an_event_number_that_is_not_exactly_a_double_is_matched_by_its_text_only() -> None:
    rules = RuleSet({**RULES_ON_A, "same-text": {"a": [9007199254740993]}})

    assert rules.match_json('{"a": 9007199254740993}') == ["not-5", "not-x", "exists", "same-text"]
    assert rules.match_json('{"a": 9007199254740992}') == ["numeric", "not-5", "not-x", "exists"]
    assert rules.match_json('{"a": 0.30000000000000001}') == ["not-5", "not-x", "exists"]
    assert rules.match({"a": 2**60}) == ["not-5", "not-x", "exists"]  # exact in binary, not in decimal


def test_an_integer_beyond_2_53_compares_as_its_double() -> None:
    assert not matches({"a": [{"numeric": ["<", 1e30]}]}, {"a": 10**30})
    assert matches({"a": [1e30]}, {"a": 10**30})


@pytest.mark.parametrize(
    "pattern",
    [
        {"a": [{"numeric": [">", 9007199254740993]}]},
        {"a": [{"numeric": [">=", 0, "<", 9007199254740993]}]},
        {"a": [{"anything-but": 9007199254740993}]},
        {"a": [{"anything-but": [1, 9007199254740993]}]},
        '{"a": [{"numeric": ["=", 9007199254740993]}]}',
    ],
)
def test_a_pattern_number_that_is_not_exactly_a_double_is_refused_in_numeric_and_anything_but(
    pattern: dict[str, Any] | str,
) -> None:
    assert check_pattern(pattern) == REASON + "Cannot compare number : 9007199254740993"


def test_a_number_beyond_a_double_is_refused_in_numeric_with_its_text_and_kept_as_a_value() -> None:
    assert check_pattern('{"a": [{"numeric": [">", 1e400]}]}') == REASON + "Cannot compare number : 1e400"
    assert check_pattern('{"a": [1e400]}') is None
    assert compile_pattern('{"a": [1e400]}').matches_json('{"a": 1e400}')
    assert not compile_pattern('{"a": [1e400]}').matches_json('{"a": 1E400}')


# -- IP addresses (CIDR.ipToBytes: event-ruler's regexes, then Java's InetAddress literals) ------------------


def test_ipv4_with_leading_zeros_is_read_as_decimal() -> None:
    assert matches({"ip": ["10.0.0.1"]}, {"ip": "010.0.0.1"})
    assert matches({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "010.000.000.001"})
    assert matches({"ip": [{"cidr": "010.0.0.0/24"}]}, {"ip": "10.0.0.7"})


def test_ipv6_with_an_embedded_ipv4_or_a_zone_is_not_an_address() -> None:
    assert check_pattern({"ip": [{"cidr": "::ffff:10.0.0.0/120"}]}) == (
        REASON + "Nonstandard IP address: ::ffff:10.0.0.0"
    )
    assert not matches({"ip": [{"cidr": "fe80::/16"}]}, {"ip": "fe80::1%eth0"})
    assert matches({"ip": ["::ffff:10.0.0.1"]}, {"ip": "::ffff:10.0.0.1"})
    assert not matches({"ip": ["::ffff:10.0.0.1"]}, {"ip": "10.0.0.1"})


def test_an_ipv4_mapped_ipv6_address_is_the_ipv4_address() -> None:
    assert matches({"ip": ["10.0.0.1"]}, {"ip": "::ffff:a00:1"})
    assert check_pattern({"ip": [{"cidr": "::ffff:a00:0/120"}]}) == REASON + "IPv4 mask bits must be < 32"


def test_addresses_of_the_other_family_are_compared_on_the_digits_both_have() -> None:
    # event-ruler's automaton reads hex digits: 10.0.0.0/8 is "0A......", which "a00::" also starts with.
    assert matches({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "a00::"})
    assert matches({"ip": [{"cidr": "::/1"}]}, {"ip": "10.0.0.1"})
    assert not matches({"ip": [{"cidr": "::/2"}]}, {"ip": "0.0.0.0"})


def test_a_wide_ip_range_reads_a_number_as_text_when_the_field_compares_no_number() -> None:
    assert matches({"c": [{"cidr": "0.0.0.0/0"}]}, {"c": 1})
    assert not matches({"c": [{"cidr": "0.0.0.0/0"}, {"numeric": [">", 5]}]}, {"c": 1})


# -- AWS's validation messages (JsonRuleCompiler, CIDR) -----------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ({"ip": [{"cidr": "1.2.3.999/24"}]}, "Invalid IP address: 1.2.3.999"),
        ({"ip": [{"cidr": "1:2:3/64"}]}, "Invalid IP address: 1:2:3"),
        ({"ip": [{"cidr": "10.0.0.0/99999999999"}]}, "Malformed CIDR, mask bits must be an integer"),
        ({"a": [{"prefix": {}}]}, "Prefix expression name not found"),
        ({"a": [{"suffix": {}}]}, "Suffix expression name not found"),
        (
            {"a": [{"anything-but": {"prefix": True}}]},
            "Value of anything-but must be an array or single string/number value.",
        ),
        (
            {"a": [{"anything-but": {"wildcard": None}}]},
            "Value of anything-but must be an array or single string/number value.",
        ),
        ({"a": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}, "Too many elements in numeric expression"),
        ({"a": [{"exactly": 1}]}, "exact match pattern must be a string"),
        ({"$or": [{"exactly": ["x"]}, {"b": [1]}]}, "exactly is Ruler reserved fieldName which cannot be used inside $or."),
        ({"$or": [{"=": [1]}, {"b": [1]}]}, "= is Ruler reserved fieldName which cannot be used inside $or."),
    ],
)  # fmt: skip
def test_validation_messages_are_event_rulers(pattern: dict[str, Any], reason: str) -> None:
    assert check_pattern(pattern) == REASON + reason


def test_exactly_matches_the_text_itself() -> None:
    # JsonRuleCompiler's "exactly": an exact string, never read as an IP address.
    assert matches({"ip": [{"exactly": "10.0.0.1"}]}, {"ip": "10.0.0.1"})
    assert not matches({"ip": [{"exactly": "10.0.0.1"}]}, {"ip": "010.0.0.1"})


# -- duplicate keys (Jackson's streaming parser sees each one) ----------------------------------------------


def test_every_duplicate_key_of_an_event_is_seen() -> None:
    rules = RuleSet({"a": {"source": ["a"]}, "b": {"source": ["b"]}, "both": {"d": {"x": [1], "y": [2]}}})

    assert rules.match_json('{"source": "a", "source": "b"}') == ["a", "b"]
    assert rules.match_json('{"d": {"x": 1}, "d": {"y": 2}}') == ["both"]
    assert compile_pattern({"source": ["a"]}).matches_json(b'{"source":"a","source":"b"}')


def test_repeated_objects_in_a_pattern_merge_while_a_repeated_array_replaces() -> None:
    pattern = compile_pattern('{"d": {"x": [1]}, "d": {"y": [2]}, "z": [1], "z": [2]}')

    assert pattern.matches({"d": {"x": 1, "y": 2}, "z": 2})
    assert not pattern.matches({"d": {"y": 2}, "z": 2})
    assert not pattern.matches({"d": {"x": 1, "y": 2}, "z": 1})
    assert check_pattern('{"a": [], "a": [1]}') == REASON + "Empty arrays are not allowed"
