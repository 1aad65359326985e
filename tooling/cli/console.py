"""The one place CLI output consoles are made, so every command pipes the same way.

On a terminal rich does what it always did: colour, tables with rules, lines fitted to the window. When the
stream is not a terminal (`tooling logs | grep`, `tooling monitor > file`), a line is never wrapped (rich
otherwise wraps at 80 columns and splits ARNs across lines), tables lose their rules and become plain
space-separated columns, and colour is off. Colour is also off with `NO_COLOR` (https://no-color.org, rich
reads it) or `tooling --no-color`; `FORCE_COLOR` turns it back on for a pipe (rich reads that too).
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from rich.console import Console, Group
from rich.table import Table

from tooling.cli.state import STATE

# Wide enough that no log line, ARN or JSON detail is ever folded; tables do not expand to it (expand=False).
UNWRAPPED_WIDTH = 100_000


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def make_console(*, stderr: bool = False, **options: Any) -> Console:
    """A console for stdout (or stderr) that honours --no-color/NO_COLOR and never wraps into a pipe."""
    stream = sys.stderr if stderr else sys.stdout
    if STATE.no_color:
        options.setdefault("no_color", True)
    if _is_terminal(stream) or os.environ.get("FORCE_COLOR"):
        return Console(stderr=stderr, **options)
    return PlainConsole(stderr=stderr, width=UNWRAPPED_WIDTH, soft_wrap=True, **options)


class PlainConsole(Console):
    """A console for pipes: tables print as plain columns (no box rules), nothing wraps."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(plain(obj) for obj in objects), **kwargs)


def plain(renderable: Any) -> Any:
    """The renderable with every table's box removed (recursively through groups and table cells)."""
    if isinstance(renderable, Table):
        renderable.box = None
        renderable.show_edge = False
        renderable.title_justify = "left"
        for column in renderable.columns:
            column.no_wrap = True
            for cell in column.cells:  # a nested table is plain too
                plain(cell)
    elif isinstance(renderable, Group):
        for inner in renderable.renderables:
            plain(inner)
    return renderable


def is_plain(out: Console) -> bool:
    return isinstance(out, PlainConsole)
