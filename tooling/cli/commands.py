"""The list of top-level commands and the module that registers each, imported only when that command runs.

A command's module pulls in its whole seam (boto3, the pydantic config, jinja2, terraform's pipeline, the
emulator): loading every module costs ~0.3 s of CPU on each start (`tooling publish batch --help` 0.37 s CPU,
`tooling --help`, which loads all, 0.66 s; measured with /usr/bin/time, typer 0.29.2). The root group below imports a
module the first time one of its commands is looked up, so `tooling publish ...` loads publishing only;
`tooling --help` and an unknown command (so typer's own "Did you mean" sees every name) load them all. Each
module exposes `register(app)`.

Only typer's public API is used: typer 0.29 vendors click in a private module of its own, so no click type is
named here (the overrides take `object`/`Any` where click's types would go); tests/unit/test_cli_commands.py
fails if an upgrade changes the two methods this relies on (TyperGroup.get_command/list_commands).
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
import typer.main
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
    "tail": ("tail",),
    "replay": ("monitor",),
    "graph": ("graph",),
    "demo": ("demo",),
    "e2e": ("e2e",),
    "access": ("access",),
    "cost": ("cost",),
    "smoke": ("smoke",),
    "drift": ("drift",),
    # groups (typer lists them after the plain commands)
    "config": ("config_cmd",),
    "publish": ("publish",),
    "events": ("invoke", "events_query"),
    "dlq": ("dlq",),
    "s3-archive": ("s3_archive",),
    "routes": ("routes",),
    "archive": ("s3_archive",),  # the old name of s3-archive: hidden, deprecated
    "secret": ("secret",),
    "failover": ("failover",),
}


def load(modules: tuple[str, ...]) -> dict[str, Any]:
    """The click commands that `modules` register, by name."""
    app = typer.Typer()
    for name in modules:
        module = importlib.import_module(f"tooling.cli.{name}")
        if name == modules[0]:
            module.register(app)
    return dict(typer.main.get_group(app).commands)


class LazyCommands(TyperGroup):
    """The root group: knows every command's name, imports a command's module on first lookup."""

    def list_commands(self, ctx: object) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: object, cmd_name: str) -> Any:
        if cmd_name not in self.commands:
            # An unknown name loads every module: typer then suggests from all commands, not the loaded ones.
            for group in (COMMANDS[cmd_name],) if cmd_name in COMMANDS else dict.fromkeys(COMMANDS.values()):
                for name, command in load(group).items():
                    self.commands.setdefault(name, command)
        return self.commands.get(cmd_name)
