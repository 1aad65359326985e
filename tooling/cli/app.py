"""The `tooling` command: a typer app whose commands come from one small module per command group.

Commands stay thin (parse, call one core function, render). Every ToolingError and the botocore errors a
user can fix become one stderr line plus a hint and a non-zero exit; `--debug` shows the traceback.
"""

from __future__ import annotations

import gc
import sys
from typing import Annotated

import typer

from tooling.cli import errors
from tooling.cli.commands import LazyCommands
from tooling.cli.state import STATE

app = typer.Typer(
    name="tooling",
    no_args_is_help=True,
    add_completion=False,
    help="Deploy, drive and watch the e-commerce EventBridge architecture (Terraform + a local target).",
    rich_markup_mode="rich",
    cls=LazyCommands,  # each command's module is imported only when that command runs (commands.py)
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"tooling {version('tooling')}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colour in the output (as NO_COLOR=1 does).")
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    STATE.debug = debug
    STATE.no_color = no_color


def main() -> None:
    try:
        # Without standalone mode typer returns (not raises) a command's typer.Exit code.
        code = app(standalone_mode=False)
    except SystemExit:
        raise
    except BaseException as exc:
        code = errors.handle(exc, debug=STATE.debug)
    finally:
        # The command is done: spare the interpreter's shutdown its garbage-collection passes over every
        # object botocore, pydantic and typer loaded (~60 ms of each run). atexit handlers and refcount
        # finalisation (files, sockets, SQLite) still run; only objects in reference cycles are left to the OS.
        gc.freeze()
    sys.exit(code if isinstance(code, int) else 0)
