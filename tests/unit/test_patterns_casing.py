"""equals-ignore-case (and its prefix, suffix and anything-but forms) fold case as event-ruler does: the
pattern one UTF-16 unit at a time, to that unit's lower or upper case; the event never (tooling/patterns/casing.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tooling.patterns import casing, compile_pattern

SHARP_S, CAPITAL_SIGMA, SMALL_SIGMA, FINAL_SIGMA = "\u00df", "\u03a3", "\u03c3", "\u03c2"
DZ_TITLE, DZ_LOWER, DZ_UPPER = "\u01c5", "\u01c6", "\u01c4"
DOTTED_I, KELVIN = "\u0130", "\u212a"


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("alice", "ALICE", True),
        ("alice", "aLiCe", True),
        ("alice", "alicia", False),
        (SHARP_S, SHARP_S, True),
        (SHARP_S, "SS", True),  # its upper case is two letters
        (SHARP_S, "ss", False),  # but lower-case ss is neither form
        ("SS", "sS", True),
        ("SS", SHARP_S, False),  # not symmetric: the event is never folded
        (CAPITAL_SIGMA, SMALL_SIGMA, True),
        (CAPITAL_SIGMA, FINAL_SIGMA, False),  # a lone unit is never final
        (FINAL_SIGMA, CAPITAL_SIGMA, True),
        (FINAL_SIGMA, SMALL_SIGMA, False),
        (DZ_TITLE, DZ_LOWER, True),
        (DZ_TITLE, DZ_UPPER, True),
        (DZ_TITLE, DZ_TITLE, False),  # a title-case letter is neither its lower nor its upper form
        (DOTTED_I, "i\u0307", True),  # lower case is i + combining dot above
        ("k", KELVIN, False),  # the Kelvin sign lower-cases to k, but the event is not folded
        (KELVIN, "k", True),
        (KELVIN, "K", False),  # the Kelvin sign's upper case is itself, not the letter K
        ("\U0001f600", "\U0001f600", False),  # outside the BMP: two lone surrogates, each "?" in Java
        ("\U0001f600", "??", True),
    ],
)
def test_equals_ignore_case_as_event_ruler(pattern: str, value: str, expected: bool) -> None:
    assert compile_pattern({"v": [{"equals-ignore-case": pattern}]}).matches({"v": value}) is expected


def test_prefix_suffix_and_anything_but_fold_the_same_way() -> None:
    assert compile_pattern({"v": [{"prefix": {"equals-ignore-case": SHARP_S}}]}).matches({"v": "SSx"})
    assert not compile_pattern({"v": [{"prefix": {"equals-ignore-case": SHARP_S}}]}).matches({"v": "ssx"})
    assert compile_pattern({"v": [{"suffix": {"equals-ignore-case": "Stra\u00dfe"}}]}).matches(
        {"v": "HAUPTSTRASSE"}
    )
    anything_but = compile_pattern({"v": [{"anything-but": {"equals-ignore-case": [SHARP_S]}}]})
    assert not anything_but.matches({"v": "SS"})
    assert anything_but.matches({"v": "ss"})


@given(
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=12),
    st.text(st.characters(max_codepoint=0x7F), max_size=12),
)
def test_ascii_patterns_match_exactly_the_case_insensitive_equals(pattern: str, value: str) -> None:
    assert casing.matches(value, pattern) is (value.lower() == pattern.lower())


@given(st.text(alphabet=st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=12))
def test_each_units_lower_and_upper_forms_are_accepted(pattern: str) -> None:
    assert casing.matches("".join(c.lower() for c in pattern), pattern)
    assert casing.matches("".join(c.upper() for c in pattern), pattern)
    assert casing.matches("".join(c.upper() for c in pattern) + "tail", pattern, "prefix")
    assert casing.matches("head" + "".join(c.lower() for c in pattern), pattern, "suffix")
