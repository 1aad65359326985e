"""tooling.strict_json: JSON as AWS reads it. NaN, Infinity, lone surrogates, duplicate keys (outside
patterns), numbers beyond a double and deep nesting are refused with the JSON path; valid JSON reads exactly
as json.loads reads it."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tooling import strict_json
from tooling.patterns import compile_pattern
from tooling.patterns.parse import InvalidPatternError
from tooling.strict_json import JSONRefused


def refusal(text: str | bytes, **options: object) -> str:
    with pytest.raises(JSONRefused) as caught:
        strict_json.loads(text, "the event", **options)  # type: ignore[arg-type]
    return caught.value.message


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_with_their_path(token: str) -> None:
    message = refusal('{"detail": {"items": [1, {"price": ' + token + "}]}}")

    assert (
        message == f"the event: {token} at $.detail.items[1].price is not JSON (JSON has no NaN or Infinity)"
    )


def test_a_lone_surrogate_is_refused_but_a_pair_and_an_escaped_backslash_are_text() -> None:
    assert "the string at $.name holds a lone UTF-16 surrogate (\\ud800)" in refusal('{"name": "a\\ud800"}')
    assert "a key of the object at $ holds a lone UTF-16 surrogate (\\udc00)" in refusal('{"\\udc00": 1}')
    assert strict_json.loads('{"a": "\\ud83d\\ude00"}', "x") == {"a": "\U0001f600"}
    assert strict_json.loads('{"a": "\\\\ud800"}', "x") == {"a": "\\ud800"}


def test_a_duplicate_key_is_refused_with_the_object_path() -> None:
    message = refusal('{"detail": {"a": 1, "b": 2, "a": 3}}')

    assert message == 'the event: the key "a" appears twice in the object at $.detail'


def test_in_a_pattern_the_last_duplicate_wins_as_eventbridge_documents() -> None:
    text = '{"l": [{"prefix": "us-"}], "l": [{"anything-but": "us-east"}]}'

    assert strict_json.loads(text, "the pattern", last_key_wins=True) == {"l": [{"anything-but": "us-east"}]}
    assert compile_pattern(text).matches({"l": "eu-central-1"})


def test_a_key_rule_allows_duplicates_only_where_it_says() -> None:
    def in_pattern(path: str) -> bool:
        return path.startswith("$.pattern")

    line = '{"pattern": {"a": [1], "a": [2]}, "event": {"a": 2}}'
    assert strict_json.loads(line, "line 1", last_key_wins=in_pattern)["pattern"] == {"a": [2]}
    assert "appears twice in the object at $.event" in refusal(
        '{"pattern": {"a": [1]}, "event": {"a": 1, "a": 2}}', last_key_wins=in_pattern
    )


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("1e400", "(1e400)"),
        ("-1e309", "(-1e309)"),
        ("9" * 309, "(999999999999..., 309 digits)"),
    ],
)
def test_a_number_beyond_a_double_is_refused(number: str, shown: str) -> None:
    message = refusal('{"amount": ' + number + "}")

    assert message == (
        f"the event: the number at $.amount {shown} is beyond what a double holds (+-1.8e308); "
        "EventBridge compares numbers as doubles"
    )


def test_a_5001_digit_integer_is_refused_with_its_path_not_a_valueerror() -> None:
    message = refusal('{"detail": {"qty": 1' + "0" * 5000 + "}}")

    assert (
        message
        == "the event: the number at $.detail.qty has 5001 digits; at most 1000 characters are accepted"
    )


def test_numbers_a_double_holds_keep_their_exact_value() -> None:
    assert strict_json.loads(
        "[1e308, -1.7976931348623157e308, 123456789012345678901234567890, 0.1]", "x"
    ) == [
        1e308,
        -1.7976931348623157e308,
        123456789012345678901234567890,
        0.1,
    ]


def test_nesting_past_the_limit_is_refused() -> None:
    with pytest.raises(strict_json.TooDeepError):
        strict_json.loads("[" * 2000 + "]" * 2000, "the event")


def test_bytes_that_are_not_utf8_name_the_line_and_byte() -> None:
    assert refusal(b'{"a": 1}\n{"b": "\xff"}') == "the event: not UTF-8 text (line 2, byte 0xff at offset 16)"


def test_command_line_text_that_was_not_utf8_is_refused() -> None:
    # Python hands undecodable argv bytes over as lone surrogates (surrogateescape).
    assert "not UTF-8 text" in refusal('{"a": "\udcff"}')


def test_an_already_parsed_pattern_is_checked_too() -> None:
    with pytest.raises(InvalidPatternError) as caught:
        compile_pattern({"detail": {"total": [{"numeric": [">", math.nan]}]}})

    assert caught.value.message == (
        "Event pattern is not valid. Reason: NaN at $.detail.total[0].numeric[1] is not JSON "
        "(JSON has no NaN or Infinity)"
    )


VALID_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**80), 2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(value=VALID_JSON, ascii_only=st.booleans())
def test_valid_json_reads_exactly_as_json_loads_reads_it(value: object, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)

    assert strict_json.loads(text, "x") == json.loads(text)


def test_a_dlq_message_whose_body_is_not_strict_json_holds_no_event_to_redrive() -> None:
    from tooling.observe.dlq import event_entry

    event = (
        '{"source": "ecommerce.orders", "detail-type": "Order Created", "detail": {"totalAmount": AMOUNT}}'
    )

    assert event_entry(event.replace("AMOUNT", "NaN")) is None
    assert event_entry(event.replace("AMOUNT", "12.5")) == {
        "Source": "ecommerce.orders",
        "DetailType": "Order Created",
        "Detail": '{"totalAmount":12.5}',
    }
