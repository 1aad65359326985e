"""The terraform test figures (runs, assertions) in pytest's closing summary, so `make test` shows them."""

from __future__ import annotations

import pytest
from tftest_runner import SUMMARY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if line := config.stash.get(SUMMARY, None):
        terminalreporter.write_line(line)
