"""The list of top-level commands and the module that registers each, imported only when that command runs.

A command's module pulls in its whole seam (boto3, the pydantic config, jinja2, terraform's pipeline, the
emulator), and importing every module cost ~0.25 s of CPU on each start. The root group below imports a
module the first time one of its commands is looked up, so `tooling publish ...` loads publishing only;
`tooling --help` and an unknown command's suggestions load them all. Each module exposes `register(app)`.
"""

from __future__ import annotations

import importlib
from difflib import get_close_matches

import typer
import typer.main
from typer import _click as click  # the click typer 0.29 vendors (its groups subclass it)
from typer.core import TyperGroup

# Command name -> the modules that build it, in the order `tooling --help` lists them (as typer did: plain
# commands, then groups). The first module's `register` attaches the command; the others add subcommands to
# its group when imported (`events query` lives in events_query.py). tests/unit/test_cli_commands.py checks
# this against what the modules register.
COMMANDS: dict[str, tuple[str, ...]] = {
    "tfvars": ("deploy",),
    "package": ("deploy",),
    "plan": ("deploy",),
    "show-plan": ("deploy",),
    "apply": ("deploy",),
    "destroy": ("deploy",),
    "outputs": ("deploy",),
    "doctor": ("doctor",),
    "test-pattern": ("patterns",),
    "route": ("patterns",),
    "invoke": ("invoke",),
    "monitor": ("monitor",),
    "logs": ("monitor",),
    "replay": ("monitor",),
    "graph": ("graph",),
    "demo": ("demo",),
    "e2e": ("e2e",),
    "access": ("access",),
    # groups (typer lists them after the plain commands)
    "config": ("config_cmd",),
    "publish": ("publish",),
    "events": ("invoke", "events_query"),
    "dlq": ("dlq",),
    "archive": ("archive",),
    "secret": ("secret",),
    "failover": ("failover",),
}


def load(modules: tuple[str, ...]) -> dict[str, click.Command]:
    """The click commands that `modules` register, by name."""
    app = typer.Typer()
    for name in modules:
        module = importlib.import_module(f"tooling.cli.{name}")
        if name == modules[0]:
            module.register(app)
    return dict(typer.main.get_group(app).commands)


class LazyCommands(TyperGroup):
    """The root group: knows every command's name, imports a command's module on first lookup."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            for name, command in load(COMMANDS[cmd_name]).items():
                self.commands.setdefault(name, command)
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.UsageError as error:
            # TyperGroup suggests from the commands loaded so far; suggest from every name instead.
            matches = get_close_matches(args[0], COMMANDS) if args else []
            if matches and "Did you mean" not in error.message:
                suggestions = ", ".join(f"{match!r}" for match in matches)
                error.message = f"{error.message.rstrip('.')}. Did you mean {suggestions}?"
            raise
