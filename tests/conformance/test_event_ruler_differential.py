"""Differential test: random patterns and events through this engine and through aws/event-ruler itself.

The same JSON text goes to both: validity of each pattern (check) and, for the valid ones, the rules each
event matches (match_many). event-ruler is driven through tooling_testing/event_ruler.py, which builds it from
source with the JDK; where that module, Java or the build is missing the test is skipped with the reason
(`pytest -ra` lists it), never silently. Hypothesis draws from a fixed seed (derandomize), so a run is
repeatable and a failure names the pattern and event that differ.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tooling.patterns import RuleSet, check_pattern

BUILD_HINT = "build it with benchmarks/event_ruler/build.sh (needs a JDK and Jackson)"


class Driver(Protocol):
    def match_many(self, rules: dict[str, str], events: list[str]) -> list[list[str]]: ...

    def check(self, pattern_json_text: str) -> str | None: ...


def event_ruler_driver() -> ModuleType:
    """tooling_testing.event_ruler when usable here, else a skip naming why."""
    try:
        from tooling_testing import event_ruler
    except ImportError as exc:
        pytest.skip(f"tooling_testing/event_ruler.py is not importable ({exc}); it drives aws/event-ruler")
    reason: str | None = event_ruler.available()
    if reason is not None:
        pytest.skip(f"aws/event-ruler is not usable here: {reason}; {BUILD_HINT}")
    return event_ruler


# -- generators: few keys and values, so that patterns and events meet often ---------------------------
KEYS = ("a", "b", "c")
WORDS = ("x", "xy", "Xy", "yx", "", "10.0.0.7", "10.0.1.7", "a*b", "aab")
NUMBERS = (0, 1, -1, 2.5, 100, 1e9)
leaf_values = st.one_of(st.sampled_from(WORDS), st.sampled_from(NUMBERS), st.booleans(), st.none())
words = st.sampled_from(WORDS)
nonempty_words = st.sampled_from([w for w in WORDS if w])

matchers = st.one_of(
    leaf_values,
    st.builds(lambda w: {"prefix": w}, words),
    st.builds(lambda w: {"suffix": w}, words),
    st.builds(lambda w: {"prefix": {"equals-ignore-case": w}}, words),
    st.builds(lambda w: {"suffix": {"equals-ignore-case": w}}, words),
    st.builds(lambda w: {"equals-ignore-case": w}, words),
    st.builds(lambda w: {"wildcard": w}, st.sampled_from(("*", "x*", "*y", "a*b", "a**b", "x\\*"))),
    st.builds(
        lambda v: {"anything-but": v}, st.one_of(words, st.sampled_from(NUMBERS), st.lists(words, max_size=3))
    ),
    st.builds(lambda w: {"anything-but": {"prefix": w}}, words),
    st.builds(lambda w: {"anything-but": {"suffix": w}}, words),
    st.builds(lambda w: {"anything-but": {"equals-ignore-case": w}}, words),
    st.builds(lambda w: {"anything-but": {"wildcard": w}}, st.sampled_from(("*x", "x*y", "*"))),
    st.builds(
        lambda op, n: {"numeric": [op, n]},
        st.sampled_from(("<", "<=", "=", ">=", ">")),
        st.sampled_from(NUMBERS),
    ),
    st.builds(
        lambda lo, hi: {"numeric": [">", lo, "<=", hi]}, st.sampled_from(NUMBERS), st.sampled_from(NUMBERS)
    ),
    st.builds(lambda flag: {"exists": flag}, st.booleans()),
    st.builds(
        lambda c: {"cidr": c}, st.sampled_from(("10.0.0.0/24", "10.0.0.9/24", "10.0.0.0/8", "10.0.0.0/33"))
    ),
)
fields = st.dictionaries(
    st.sampled_from(KEYS), st.lists(matchers, min_size=1, max_size=3), min_size=1, max_size=2
)


def _pattern(draw: Callable[[Any], Any]) -> dict[str, Any]:
    pattern: dict[str, Any] = {"detail": draw(fields)}
    if draw(st.booleans()):
        pattern["source"] = [draw(st.sampled_from(("s1", "s2")))]
    if draw(st.integers(0, 4)) == 0:
        pattern["detail"]["$or"] = draw(st.lists(fields, min_size=1, max_size=3))
    return pattern


patterns = st.composite(lambda draw: _pattern(draw))()
detail_objects = st.dictionaries(
    st.sampled_from(KEYS), st.one_of(leaf_values, st.lists(leaf_values, max_size=3)), max_size=3
)
events = st.fixed_dictionaries(
    {
        "source": st.sampled_from(("s1", "s2")),
        "detail": st.one_of(detail_objects, st.lists(detail_objects, max_size=3)),
    }
)


def differences(driver: Driver, pattern_texts: list[str], event_texts: list[str]) -> list[str]:
    """Every disagreement between this engine and the driver, as one line each (empty: they agree)."""
    found: list[str] = []
    valid: dict[str, str] = {}
    for index, text in enumerate(pattern_texts):
        ours, theirs = check_pattern(text), driver.check(text)
        if (ours is None) != (theirs is None):
            found.append(
                f"validity of {text}: this engine {ours or 'valid'}; event-ruler {theirs or 'valid'}"
            )
        elif ours is None:
            valid[f"r{index}"] = text
    if not valid:
        return found
    ruleset = RuleSet({name: json.loads(text) for name, text in valid.items()})
    match_json = getattr(ruleset, "match_json", None)
    answers = driver.match_many(valid, event_texts)
    for event_text, theirs_list in zip(event_texts, answers, strict=True):
        ours_list = (
            match_json(event_text) if match_json is not None else ruleset.match(json.loads(event_text))
        )
        if sorted(ours_list) != sorted(theirs_list):
            for name in sorted(set(ours_list) ^ set(theirs_list)):
                found.append(
                    f"{valid[name]} on {event_text}: this engine {'matches' if name in ours_list else 'does not'}, "
                    f"event-ruler {'matches' if name in theirs_list else 'does not'}"
                )
    return found


@settings(
    max_examples=8, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
@given(st.lists(patterns, min_size=20, max_size=20), st.lists(events, min_size=30, max_size=30))
def _agree_with(
    driver: Driver, drawn_patterns: list[dict[str, Any]], drawn_events: list[dict[str, Any]]
) -> None:
    pattern_texts = [json.dumps(p) for p in drawn_patterns]
    event_texts = [json.dumps(e) for e in drawn_events]
    found = differences(driver, pattern_texts, event_texts)
    assert not found, "\n".join(found[:20])


def test_random_patterns_and_events_agree_with_event_ruler() -> None:
    driver = event_ruler_driver()
    _agree_with(driver)  # type: ignore[call-arg]  # hypothesis supplies the drawn arguments


class _OffByOne:
    """A stand-in event-ruler that refuses one valid pattern and drops one match: the comparison must see both."""

    def check(self, pattern_json_text: str) -> str | None:
        return "Refused" if '"refuse-me"' in pattern_json_text else None

    def match_many(self, rules: dict[str, str], events: list[str]) -> list[list[str]]:
        return [[] for _ in events]


def test_the_comparison_reports_each_kind_of_difference() -> None:
    found = differences(_OffByOne(), ['{"a": ["refuse-me"]}', '{"a": ["x"]}'], ['{"a": "x"}'])
    assert len(found) == 2
    assert found[0].startswith('validity of {"a": ["refuse-me"]}: this engine valid; event-ruler Refused')
    assert found[1] == '{"a": ["x"]} on {"a": "x"}: this engine matches, event-ruler does not'


def test_the_generators_draw_valid_and_invalid_patterns() -> None:
    """The random patterns exercise both paths of the comparison: most are valid, some are refused."""
    drawn: list[dict[str, Any]] = []

    @settings(max_examples=200, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(patterns)
    def collect(pattern: dict[str, Any]) -> None:
        drawn.append(pattern)

    collect()
    verdicts = [check_pattern(pattern) is None for pattern in drawn]
    assert sum(verdicts) > len(drawn) // 2
    assert not all(verdicts)


class _ThisEngine:
    """This engine answering as the driver would: the whole harness runs, and agrees, without Java."""

    def check(self, pattern_json_text: str) -> str | None:
        message = check_pattern(pattern_json_text)
        return None if message is None else message.removeprefix("Event pattern is not valid. Reason: ")

    def match_many(self, rules: dict[str, str], events: list[str]) -> list[list[str]]:
        ruleset = RuleSet({name: json.loads(text) for name, text in rules.items()})
        return [ruleset.match(json.loads(event)) for event in events]


def test_the_harness_runs_end_to_end_against_a_driver() -> None:
    _agree_with(_ThisEngine())  # type: ignore[call-arg]  # hypothesis supplies the drawn arguments
