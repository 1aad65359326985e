"""Matching semantics per operator, from the EventBridge documentation's examples and their edge cases."""

from __future__ import annotations

from typing import Any

import pytest

from tooling.patterns import compile_pattern


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return compile_pattern(pattern).matches(event)


EC2_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}


def test_exact_values_match_any_listed_value() -> None:
    assert matches({"source": ["aws.ec2", "aws.fargate"]}, EC2_EVENT)
    assert not matches({"source": ["aws.fargate"]}, EC2_EVENT)


def test_nested_keys_all_have_to_match() -> None:
    assert matches({"source": ["aws.ec2"], "detail": {"state": ["terminated"]}}, EC2_EVENT)
    assert not matches({"source": ["aws.ec2"], "detail": {"state": ["running"]}}, EC2_EVENT)


def test_a_field_missing_from_the_event_never_matches_a_value() -> None:
    assert not matches({"detail": {"missing": ["x"]}}, EC2_EVENT)


def test_strings_are_case_sensitive_and_exact() -> None:
    assert not matches({"source": ["AWS.EC2"]}, EC2_EVENT)
    assert not matches({"source": ["aws.ec"]}, EC2_EVENT)


def test_numbers_compare_as_numbers_not_text() -> None:
    assert matches({"n": [300]}, {"n": 300.0})
    assert matches({"n": [3.0e2]}, {"n": 300})
    assert not matches({"n": [300]}, {"n": "300"})
    assert not matches({"n": ["300"]}, {"n": 300})


def test_booleans_and_numbers_never_match_each_other() -> None:
    assert not matches({"b": [1]}, {"b": True})
    assert not matches({"b": [True]}, {"b": 1})
    assert matches({"b": [True]}, {"b": True})


def test_null_matches_only_null() -> None:
    assert matches({"v": [None]}, {"v": None})
    assert not matches({"v": [None]}, {"v": "null"})
    assert not matches({"v": [None]}, {})


def test_empty_string_matches_only_empty_string() -> None:
    assert matches({"v": [""]}, {"v": ""})
    assert not matches({"v": [""]}, {"v": None})


def test_event_array_matches_when_any_element_matches() -> None:
    event = {"resources": ["a", "b"]}
    assert matches({"resources": ["b", "c"]}, event)
    assert not matches({"resources": ["c"]}, event)
    assert not matches({"resources": [None]}, {"resources": []})


def test_fields_of_an_object_array_must_match_within_one_element() -> None:
    event = {"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 5}]}
    assert matches({"items": {"sku": ["B"], "qty": [5]}}, event)
    assert not matches({"items": {"sku": ["A"], "qty": [5]}}, event)


def test_nested_arrays_keep_element_consistency() -> None:
    event = {"o": [{"i": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]}, {"i": [{"a": 1, "b": 4}]}]}
    assert matches({"o": {"i": {"a": [1], "b": [4]}}}, event)
    assert not matches({"o": {"i": {"a": [3], "b": [2]}}}, event)


def test_keys_join_with_dots_on_both_sides() -> None:
    assert matches({"detail": {"state.status": ["running"]}}, {"detail": {"state": {"status": "running"}}})
    assert matches({"detail": {"state": {"status": ["running"]}}}, {"detail": {"state.status": "running"}})


def test_prefix_matches_strings_only() -> None:
    assert matches({"time": [{"prefix": "2017-12-22"}]}, EC2_EVENT)
    assert not matches({"n": [{"prefix": "1"}]}, {"n": 12})
    assert matches({"s": [{"prefix": ""}]}, {"s": "anything"})


def test_prefix_and_suffix_equals_ignore_case() -> None:
    assert matches({"s": [{"prefix": {"equals-ignore-case": "EventB"}}]}, {"s": "eventbridge"})
    assert matches({"f": [{"suffix": {"equals-ignore-case": ".png"}}]}, {"f": "IMAGE.PNG"})
    assert not matches({"f": [{"suffix": ".png"}]}, {"f": "IMAGE.PNG"})


def test_equals_ignore_case() -> None:
    assert matches({"n": [{"equals-ignore-case": "alice"}]}, {"n": "ALICE"})
    assert not matches({"n": [{"equals-ignore-case": "alice"}]}, {"n": "alicia"})


def test_anything_but_matches_every_other_present_value() -> None:
    pattern = {"state": [{"anything-but": ["stopped", "overloaded"]}]}
    assert matches(pattern, {"state": "running"})
    assert matches(pattern, {"state": None})
    assert matches(pattern, {"state": 5})
    assert not matches(pattern, {"state": "stopped"})
    assert not matches(pattern, {})


def test_anything_but_numbers_compare_numerically() -> None:
    assert not matches({"x": [{"anything-but": [100, 200]}]}, {"x": 100.0})
    assert matches({"x": [{"anything-but": [100, 200]}]}, {"x": "100"})


def test_anything_but_prefix_suffix_and_ignore_case() -> None:
    assert not matches({"r": [{"anything-but": {"prefix": "us-"}}]}, {"r": "us-east-1"})
    assert matches({"r": [{"anything-but": {"prefix": ["us-", "eu-"]}}]}, {"r": "ap-south-1"})
    assert matches({"r": [{"anything-but": {"prefix": "us-"}}]}, {"r": 12})
    assert not matches({"f": [{"anything-but": {"suffix": ".png"}}]}, {"f": "a.png"})
    assert not matches({"s": [{"anything-but": {"equals-ignore-case": ["a", "b"]}}]}, {"s": "B"})


def test_anything_but_wildcard() -> None:
    pattern = {"p": [{"anything-but": {"wildcard": "*/lib/*"}}]}
    assert not matches(pattern, {"p": "/usr/lib/x"})
    assert matches(pattern, {"p": "/usr/bin/x"})


@pytest.mark.parametrize(
    ("expression", "value", "expected"),
    [
        ([">", 0, "<=", 5], 5, True),
        ([">", 0, "<=", 5], 0, False),
        ([">=", 0, "<", 5], 0, True),
        ([">=", 0, "<", 5], 5, False),
        (["<", 10], 9.99, True),
        (["=", 301.8], 301.8, True),
        (["=", 300], 300.0, True),
        ([">", 100], "300", False),
        ([">", 100], None, False),
        ([">", 100], True, False),
    ],
)
def test_numeric_operators(expression: list[Any], value: Any, expected: bool) -> None:
    assert matches({"n": [{"numeric": expression}]}, {"n": value}) is expected


def test_exists_true_needs_a_leaf_value() -> None:
    assert matches({"d": {"s": [{"exists": True}]}}, {"d": {"s": None}})
    assert not matches({"d": {"s": [{"exists": True}]}}, {"d": {"s": {"nested": 1}}})
    assert not matches({"r": [{"exists": True}]}, {"r": []})


def test_exists_false_matches_absence_even_of_parents() -> None:
    assert matches({"d": {"s": [{"exists": False}]}}, {"d": {}})
    assert matches({"d": {"s": [{"exists": False}]}}, {})
    assert not matches({"d": {"s": [{"exists": False}]}}, {"d": {"s": "x"}})


def test_alternatives_mix_exists_false_with_values() -> None:
    pattern = {"s": [{"anything-but": ["roses"]}, {"exists": False}]}
    assert matches(pattern, {})
    assert matches(pattern, {"s": "tulips"})
    assert not matches(pattern, {"s": "roses"})


def test_cidr_ipv4_and_ipv6() -> None:
    assert matches({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.255"})
    assert not matches({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.1.0"})
    assert not matches({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": 10})
    assert matches(
        {"ip": [{"cidr": "2001:db8:1234:1a00::/64"}]}, {"ip": "2001:0db8:1234:1a00:0000:0000:0000:0001"}
    )


def test_wildcard_with_escapes() -> None:
    assert matches({"a": [{"wildcard": "arn:aws:*:bus/*"}]}, {"a": "arn:aws:events:us-east-1:1:bus/x"})
    assert matches({"a": [{"wildcard": "a\\*b"}]}, {"a": "a*b"})
    assert not matches({"a": [{"wildcard": "a\\*b"}]}, {"a": "axxb"})
    assert matches({"a": [{"wildcard": "c:\\\\*"}]}, {"a": "c:\\temp"})
    assert matches({"a": [{"wildcard": ""}]}, {"a": ""})
    assert not matches({"a": [{"wildcard": "*"}]}, {"a": 5})


def test_or_matches_when_any_branch_matches() -> None:
    pattern = {
        "source": ["aws.ec2"],
        "$or": [{"detail": {"state": ["running"]}}, {"detail": {"instance-id": [{"prefix": "i-12"}]}}],
    }
    assert matches(pattern, EC2_EVENT)
    assert not matches({**pattern, "source": ["aws.s3"]}, EC2_EVENT)


def test_nested_or_multiplies_branches() -> None:
    pattern = {
        "$or": [{"a": ["1"]}, {"b": ["1"]}],
        "c": {"$or": [{"d": ["1"]}, {"e": ["1"]}]},
    }
    assert matches(pattern, {"b": "1", "c": {"e": "1"}})
    assert not matches(pattern, {"b": "1", "c": {"f": "1"}})


def test_pattern_given_as_json_text_keeps_the_last_repeated_key() -> None:
    text = '{"l": [{"prefix": "us-"}], "l": [{"anything-but": "us-east"}]}'
    assert compile_pattern(text).matches({"l": "eu-central-1"})


def test_exact_ip_matches_any_spelling_of_the_address() -> None:
    assert matches({"ip": ["2001:db8::1"]}, {"ip": "2001:0db8:0000:0000:0000:0000:0000:0001"})
