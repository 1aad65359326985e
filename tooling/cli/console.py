"""The one place CLI output consoles are made, so every command pipes the same way.

On a terminal rich does what it always did: colour, tables with rules, lines fitted to the window. When the
stream is not a terminal (`tooling logs | grep`, `tooling monitor > file`), a line is never wrapped (rich
otherwise wraps at 80 columns and splits ARNs across lines), tables lose their rules and become plain
space-separated columns, nothing is redrawn in place (a progress bar or `--watch` prints plain frames), and
colour is off. `FORCE_COLOR` (https://force-color.org, rich reads it) turns colour back on for a pipe, and
only colour: lines still never wrap and tables stay plain. `NO_COLOR` (https://no-color.org) or `tooling
--no-color` win over FORCE_COLOR and leave no escape sequence at all: rich's own no_color drops colours but
keeps bold, dim and italic, which `less`, a log file or a CI page shows as `^[[1m` noise.
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


def colour_off() -> bool:
    """--no-color, or NO_COLOR set to anything but "" (no-color.org)."""
    return STATE.no_color or os.environ.get("NO_COLOR", "") != ""


def make_console(*, stderr: bool = False, **options: Any) -> Console:
    """A console for stdout (or stderr) that honours --no-color/NO_COLOR and never wraps into a pipe."""
    stream = sys.stderr if stderr else sys.stdout
    if colour_off():
        options.setdefault("no_color", True)
        options.setdefault("color_system", None)  # no escape sequence at all, bold and dim included
    if _is_terminal(stream):
        return Console(stderr=stderr, **options)
    # FORCE_COLOR makes rich take the pipe for a terminal (colours); force_interactive=False keeps Live and
    # progress bars from redrawing into it all the same.
    options.setdefault("force_interactive", False)
    return PlainConsole(stderr=stderr, width=UNWRAPPED_WIDTH, soft_wrap=True, **options)


class PlainConsole(Console):
    """A console for pipes: tables print as plain columns (no box rules), nothing wraps."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(plain(obj) for obj in objects), **kwargs)


def plain(renderable: Any) -> Any:
    """The renderable with every table's box removed (recursively through groups and table cells)."""
    if isinstance(renderable, Table):
        if renderable.box is not None:
            # The box's vertical divider is one column of space between cells; keep that gap as padding so
            # the columns line up as they do at a terminal, only the rules go.
            top, right, bottom, left = renderable.padding
            renderable.padding = (top, right + 1, bottom, left)
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
