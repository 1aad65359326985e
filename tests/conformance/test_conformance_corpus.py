"""Every case of the repository's own conformance corpus through tooling.patterns (see conformance_cases.py).

Needs nothing outside the checkout, so `make test` runs it everywhere; the terminal summary prints the case
count by category (tests/conformance/conftest.py).
"""

from __future__ import annotations

import pytest
from conformance_cases import KNOWN_DEFECTS, MINIMUM_CASES, Case, counts, expected, load_cases, outcome

CASES = load_cases()


def _param(case: Case) -> object:
    marks = []
    if case.known_defect is not None:
        reason = f"known defect {case.known_defect}: {KNOWN_DEFECTS[case.known_defect]}"
        marks.append(pytest.mark.xfail(strict=True, reason=reason))
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_case_answers_as_aws_documents(case: Case) -> None:
    assert outcome(case) == expected(case), f"{case.note} (source: {case.source})"


def test_corpus_has_its_cases_and_every_category() -> None:
    assert len(CASES) >= MINIMUM_CASES
    assert len({case.id for case in CASES}) == len(CASES), "case ids must be unique"
    by_category = counts(CASES)
    for category in (
        "exact", "prefix", "suffix", "equals_ignore_case", "wildcard", "anything_but", "numeric", "ip_address",
        "exists", "or", "arrays", "nesting", "null_empty", "invalid", "event_json",
    ):  # fmt: skip
        assert by_category[category] >= 5, f"category {category} has only {by_category[category]} cases"


def test_every_operator_form_is_covered() -> None:
    """Each operator of the EventBridge operators page appears in some case's pattern text."""
    import json

    texts = " ".join(
        json.dumps(case.pattern) if not isinstance(case.pattern, str) else case.pattern for case in CASES
    )
    for needle in (
        '"prefix"', '"suffix"', '"equals-ignore-case"', '"wildcard"', '"anything-but"', '"numeric"', '"cidr"',
        '"exists"', '"$or"', '{"prefix": {"equals-ignore-case"', '{"suffix": {"equals-ignore-case"',
        '{"anything-but": {"prefix"', '{"anything-but": {"suffix"', '{"anything-but": {"wildcard"',
        '{"anything-but": {"equals-ignore-case"',
    ):  # fmt: skip
        assert needle in texts, f"no case uses {needle}"
