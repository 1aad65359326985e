"""`tooling graph`: the routing of an environment as a Mermaid or DOT diagram. Thin: parse, call one core
function, render."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from tooling.cli.config_cmd import resolve_config
from tooling.cli.locking import shares_environment
from tooling.errors import OutputsMissingError, UsageError
from tooling.observe.graph import build_graph, readme_block, replace_block, to_dot, to_mermaid
from tooling.outputs import DeploymentOutputs, load_outputs
from tooling.workspace import Workspace

from .options import ConfigOption, EnvOption, OutputsOption


@shares_environment("graph")
def graph(
    env: EnvOption = "dev",
    config: ConfigOption = None,
    fmt: Annotated[
        Literal["mermaid", "dot"], typer.Option("--format", "-f", help="mermaid (GitHub draws it) or dot.")
    ] = "mermaid",
    deployed: Annotated[
        bool, typer.Option("--deployed", help="Label resources with their deployed names (the outputs).")
    ] = False,
    outputs_file: OutputsOption = None,
    readme: Annotated[
        Path | None,
        typer.Option("--readme", help="Rewrite this file's generated block for the environment instead."),
    ] = None,
) -> None:
    """Draw bus -> rules (their patterns) -> targets -> DLQs from the validated environment file.

    Example: tooling graph --env prod --format dot | dot -Tsvg > routing.svg
    """
    cfg = resolve_config(env, config)
    outputs: DeploymentOutputs | None = None
    if deployed or outputs_file is not None:
        try:
            outputs = load_outputs(Workspace.for_env(env), outputs_file)
        except OutputsMissingError as exc:
            raise UsageError(
                exc.message, hint="deploy first (tooling apply), or leave out --deployed"
            ) from None
    drawn = build_graph(cfg, outputs)
    if readme is None:
        typer.echo(to_mermaid(drawn) if fmt == "mermaid" else to_dot(drawn), nl=False)
        return
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {readme}: {exc.strerror or exc}") from None
    updated = replace_block(text, readme_block(drawn, env), env)
    if updated is None:
        raise UsageError(
            f"{readme} has no generated block for {env}",
            hint=f"add the two marker lines of `tooling graph --env {env}` (see docs/architecture.md) where it belongs",
        )
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    typer.echo(f"{readme}: {'updated' if updated != text else 'already current'}", err=True)


def register(app: typer.Typer) -> None:
    """Attach this group's commands to the root app."""
    app.command("graph")(graph)
