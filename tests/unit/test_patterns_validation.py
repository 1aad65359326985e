"""Invalid patterns are refused with AWS's own message (`Event pattern is not valid. Reason: ...`)."""

from __future__ import annotations

from typing import Any

import pytest

from tooling.errors import ToolingError
from tooling.patterns import InvalidPatternError, check_pattern, compile_pattern

REASON = "Event pattern is not valid. Reason: "


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ({"a": "x"}, '"a" must be an object or an array'),
        ({"a": []}, "Empty arrays are not allowed"),
        ({}, "Empty objects are not allowed"),
        ({"a": {}}, "Empty objects are not allowed"),
        ({"a": [[1]]}, "Match value must be String, number, true, false, or null"),
        ({"a": [{}]}, "Match expression name not found"),
        ({"a": [{"EXISTS": True}]}, "Unrecognized match type EXISTS"),
        ({"a": [{"prefix": 1}]}, "prefix match pattern must be a string"),
        ({"a": [{"suffix": ["x"]}]}, "suffix match pattern must be a string"),
        ({"a": [{"prefix": "x", "suffix": "y"}]}, "Only one key allowed in match expression"),
        ({"a": [{"equals-ignore-case": 1}]}, "equals-ignore-case match pattern must be a string"),
        ({"a": [{"wildcard": 1}]}, "wildcard match pattern must be a string"),
        ({"a": [{"wildcard": "a**"}]}, "Consecutive wildcard characters at pos 2"),
        ({"a": [{"wildcard": "a\\b"}]}, "Invalid escape character at pos 2"),
        ({"a": [{"exists": "yes"}]}, "exists match pattern must be either true or false."),
        ({"a": [{"numeric": 1}]}, "Value of numeric must be an array."),
        ({"a": [{"numeric": [">", 0, ">", 0]}]}, "Bad numeric range operator: >"),
        ({"a": [{"numeric": [">", 0, "<"]}]}, "Value of < must be numeric"),
        ({"a": [{"numeric": ["=", "1"]}]}, "Value of equals must be numeric"),
        ({"a": [{"numeric": ["!=", 1]}]}, "Unrecognized numeric range operator: !="),
        ({"a": [{"numeric": ["<", 1, ">", 0]}]}, "Too many elements in numeric expression"),
        ({"a": [{"numeric": [">", 0, "<", 5, 6]}]}, "Too many terms in numeric range expression"),
        (
            {"a": [{"anything-but": None}]},
            "Value of anything-but must be an array or single string/number value.",
        ),
        (
            {"a": [{"anything-but": ["x", None]}]},
            "Inside anything but list, start|null|boolean is not supported.",
        ),
        (
            {"a": [{"anything-but": ["x", 1]}]},
            "Inside anything but list, either all values are number or string, mixed type is not supported",
        ),
        ({"a": [{"anything-but": {"prefix": ""}}]}, "Null prefix/suffix not allowed"),
        ({"a": [{"anything-but": {"contains": "x"}}]}, "Unsupported anything-but pattern: contains"),
        ({"a": [{"cidr": "10.0.0.0"}]}, "Malformed CIDR, one '/' required"),
        ({"a": [{"cidr": "10.0.0.0/x"}]}, "Malformed CIDR, mask bits must be an integer"),
        ({"a": [{"cidr": "10.0.0/8"}]}, "Nonstandard IP address: 10.0.0"),
        ({"a": [{"cidr": ["10.0.0.0/8"]}]}, "prefix match pattern must be a string"),
        ({"$or": [{"a": ["1"]}]}, "There must have at least 2 Objects in $or relationship."),
        ({"$or": {"a": ["1"]}}, "It must be an Array followed with $or."),
        ({"$or": [{"a": ["1"]}, "b"]}, "Only JSON object is allowed in array of $or relationship."),
        (
            {"$or": [{"a": ["1"]}, {"prefix": ["1"]}]},
            "prefix is Ruler reserved fieldName which cannot be used inside $or.",
        ),
        (
            {"a": [{"wildcard": "*:*:*:*:*:event-bus/*"}]},
            "Rule is too complex - try using fewer wildcard characters "
            "or fewer repeating character sequences after a wildcard character",
        ),
    ],
)
def test_invalid_pattern_gives_aws_reason(pattern: dict[str, Any], reason: str) -> None:
    assert check_pattern(pattern) == REASON + reason


def test_first_problem_in_document_order_wins() -> None:
    assert check_pattern({"a": [], "b": "x"}) == REASON + "Empty arrays are not allowed"
    assert check_pattern({"b": "x", "a": []}) == REASON + '"b" must be an object or an array'


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "this is not json",
            "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or "
            "token 'null', 'true' or 'false')",
        ),
        (
            "{'bad': 'quotation'}",
            "Unexpected character (''' (code 39)): was expecting double-quote to start field name",
        ),
        ('["not", "a", "dict"]', "Filter is not an object"),
    ],
)
def test_json_text_errors_read_like_aws(text: str, reason: str) -> None:
    assert check_pattern(text) == REASON + reason


def test_valid_pattern_checks_clean() -> None:
    assert check_pattern({"source": ["a"], "detail": {"n": [{"numeric": [">", 1]}]}}) is None


def test_non_object_is_not_a_filter() -> None:
    assert check_pattern(["a"]) == REASON + "Filter is not an object"
    assert check_pattern(None) == REASON + "Filter is not an object"


def test_pattern_longer_than_putrule_allows_is_refused() -> None:
    message = check_pattern({"a": ["x" * 5000]})
    assert message is not None and "4096" in message


def test_or_expansion_is_bounded() -> None:
    pattern: dict[str, Any] = {f"k{i}": {"$or": [{"a": ["1"]}, {"b": ["1"]}]} for i in range(11)}
    message = check_pattern(pattern)
    assert message is not None and message.startswith(REASON + "Rule is too complex")


def test_invalid_pattern_error_is_a_usage_level_tooling_error() -> None:
    with pytest.raises(InvalidPatternError) as raised:
        compile_pattern({"a": "x"})
    assert isinstance(raised.value, ToolingError)
    assert raised.value.exit_code == 2
    assert raised.value.message == REASON + '"a" must be an object or an array'


@pytest.mark.parametrize(
    "bounds", [[">", 5, "<", 1], [">=", 5, "<=", 5], [">", 5, "<=", 5], [">=", 1e9, "<", -1]]
)
def test_a_numeric_range_whose_bottom_is_not_below_its_top_is_invalid(bounds: list[object]) -> None:
    reason = check_pattern({"detail": {"n": [{"numeric": bounds}]}})

    assert reason is not None and "Bottom must be less than top" in reason


def test_a_numeric_range_with_bottom_below_top_stays_valid() -> None:
    assert check_pattern({"detail": {"n": [{"numeric": [">", 1, "<=", 1.5]}]}}) is None
