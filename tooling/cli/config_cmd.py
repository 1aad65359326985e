"""`tooling config validate|show`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from tooling.cli.console import make_console
from tooling.cli.options import ConfigOption, EnvOption, JsonOption
from tooling.config import Config, load_environment
from tooling.config_limits import limit_warnings
from tooling.workspace import Workspace

config_app = typer.Typer(no_args_is_help=True, help="Check and show the environment file.")


def resolve_config(env: str, config: Path | None) -> Config:
    """Load --config, or environments/<env>.toml of the project; it must declare `env` (exit 2)."""
    workspace = Workspace.for_env(env)
    return load_environment(config or workspace.default_config, workspace.env)


@config_app.command("validate")
def validate(env: EnvOption = "dev", config: ConfigOption = None, json_out: JsonOption = False) -> None:
    """Validate the environment file; every problem is listed with its path (exit 2 when any), and what AWS
    accepts but costs (wildcard patterns close to the complexity AWS refuses) as warnings.

    Example: tooling config validate --env prod
    """
    cfg = resolve_config(env, config)
    warnings = limit_warnings(cfg)
    if json_out:
        print(json.dumps({"valid": True, "rules": [r.name for r in cfg.rules], "warnings": warnings}))
        return
    console = make_console(stderr=True)
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", markup=True, highlight=False)
    console.print(f"[green]ok[/green]: {cfg.project}/{cfg.environment}, {len(cfg.rules)} rules")


@config_app.command("show")
def show(env: EnvOption = "dev", config: ConfigOption = None) -> None:
    """Print the validated configuration, defaults filled in, as JSON.

    Example: tooling config show --env dev | jq .rules
    """
    print(json.dumps(resolve_config(env, config).model_dump(mode="json"), indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
