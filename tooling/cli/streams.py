"""Where a child process's output goes while a command whose stdout is data runs terraform."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def stdout_to_stderr(active: bool = True) -> Iterator[None]:
    """While active, stdout carries nothing: terraform's output (a child process writing to file descriptor
    1, or the driver echoing what it captured) goes to stderr, so the command's own document (`--json`, a
    report) is all stdout holds."""
    if not active:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
