"""The conformance corpus prints its size in the terminal summary whenever its runner was collected, so
`make test` shows how many cases ran (and how many are known defects)."""

from __future__ import annotations

import pytest
from conformance_cases import load_cases, summary

_RUNNER = "test_conformance_corpus.py"
_COLLECTED = pytest.StashKey[bool]()


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    config.stash[_COLLECTED] = any(item.path.name == _RUNNER for item in items)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    if config.stash.get(_COLLECTED, False):
        terminalreporter.write_line(f"conformance corpus: {summary(load_cases())}")
