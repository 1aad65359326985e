"""The one way a destructive command asks before it acts (`destroy`, `apply`, `dlq purge`).

At a terminal it asks. Without one (piped, CI, `< /dev/null`) nobody can answer, so it refuses with a usage
error naming the flag that confirms in advance, rather than reading end-of-file as a "no" (or as Ctrl-C).
"""

from __future__ import annotations

import sys

import typer

from tooling.errors import UsageError


def stdin_is_terminal() -> bool:
    """A module function, so tests can stand in for a terminal."""
    return sys.stdin.isatty()


def confirm(question: str, flag: str = "--yes") -> bool:
    """The answer to `question` (default no); a UsageError (exit 2) when stdin is not a terminal."""
    if not stdin_is_terminal():
        raise UsageError(
            f'cannot ask "{question}": stdin is not a terminal',
            hint=f"pass {flag} to go ahead without asking",
        )
    return typer.confirm(question, default=False, err=True)
