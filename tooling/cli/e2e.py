"""`tooling e2e`: real Terraform and the real AWS provider against a local moto server."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tooling.workspace import project_root


def e2e(
    envs: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", help="Environment to run; repeat for several (default: dev)."),
    ] = None,
    plan_only: Annotated[bool, typer.Option("--plan-only", help="Stop after the first plan.")] = False,
    count: Annotated[int, typer.Option("--count", min=1, max=10000, help="Events to publish.")] = 100,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="moto's port (0: a free one).")] = 0,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the scratch copy and its logs.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the results as JSON on stdout.")] = False,
) -> None:
    """Apply the whole stack to a moto server with real Terraform, re-plan, publish, monitor, destroy.

    Needs terraform >= 1.5, the hashicorp/aws provider (registry or a filesystem mirror) and moto (the
    dev extra). Exit 3 when one of them is missing, 1 when a step fails.

    Example: tooling e2e --env dev --env prod
    """
    from tooling_testing.harness.run import run_e2e  # the dev extra's tools load only for this command

    results = run_e2e(project_root(), envs or ["dev"], apply=not plan_only, count=count, port=port, keep=keep)
    if json_out:
        print(json.dumps([r.as_json() for r in results], indent=2))
    else:
        for result in results:
            print(result.summary())
    if not all(r.ok for r in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("e2e")(e2e)
