"""`tooling access`: every hop an event takes through the deployed stack, evaluated as AWS evaluates its
policies, with a negative twin per hop. Thin: parse, call one core function, render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tooling.access.collect import Deployment, collect
from tooling.access.hops import evaluate_deployment
from tooling.access.matrix import render_text
from tooling.errors import UsageError
from tooling.outputs import load_outputs
from tooling.workspace import Workspace

from .options import EnvOption, JsonOption, OutputsOption


def access(
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    as_json: JsonOption = False,
    record: Annotated[
        Path | None,
        typer.Option("--record", help="Also write the policies as read (JSON) to this file, for --from."),
    ] = None,
    recorded: Annotated[
        Path | None,
        typer.Option("--from", help="Evaluate policies recorded with --record instead of reading AWS."),
    ] = None,
) -> None:
    """Evaluate every hop (rule -> target, -> DLQ, topic -> subscriber, queue -> consumer, function ->
    table/key/logs, Firehose -> bucket, producer -> bus) over the policies as deployed, read live. Exit 1
    when a hop is denied or a negative twin allowed.

    Example: tooling access --env prod --json
    """
    if recorded is not None:
        try:
            deployment = Deployment.model_validate_json(recorded.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(
                f"cannot read recorded policies {recorded}: {str(exc).splitlines()[0]}"
            ) from None
    else:
        outputs = load_outputs(Workspace.for_env(env), outputs_file)
        if outputs.target != "aws":
            raise UsageError(
                f"environment {env!r} is deployed to the local target, which has no IAM to evaluate",
                hint="apply it to AWS (tooling apply --target aws), or pass --outputs of an AWS deployment",
            )
        deployment = collect(outputs)
    if record is not None:
        try:
            record.write_text(deployment.model_dump_json(indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"cannot write {record}: {exc.strerror or exc}", hint="pass a writable path"
            ) from None
    matrix = evaluate_deployment(deployment)
    if as_json:
        typer.echo(json.dumps(matrix.as_json()))
    else:
        typer.echo(render_text(matrix), nl=False)
    if not matrix.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Attach this command to the root app."""
    app.command("access")(access)
