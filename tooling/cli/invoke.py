"""`tooling invoke` and `tooling events sample`: run one handler on one event, and print a sample event,
the local loop of `sam local invoke` and `sam local generate-event`. Thin: parse, call one core function,
render."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from tooling import input_files
from tooling.cli.locking import shares_environment
from tooling.errors import UsageError
from tooling.local.invoke import invoke_function
from tooling.publish.arguments import EVENT_WHY, parse_json, read_json
from tooling.publish.samples import SAMPLE_KINDS, describe, sample_event
from tooling.workspace import Workspace

from .options import EnvOption, JsonOption

events_app = typer.Typer(
    no_args_is_help=True, help="Sample events, as the functions receive them, and the event store's events."
)


def _event(value: str) -> Any:
    """`--event`: @file, `-` (standard input) or inline JSON."""
    if value == "-":
        text = input_files.read_stdin(input_files.EVENT_BYTES, "the event", EVENT_WHY)
        if not text.strip():
            raise UsageError(
                "no event on standard input", hint="pipe one in: tooling events sample payment |"
            )
        return parse_json(text, "the event")  # the text itself, even if it starts with '@'
    return read_json(value, "the event")


@shares_environment("invoke")  # the handler's own writes (idempotency records, stored events)
def invoke(
    function: Annotated[str, typer.Argument(help="processor, notifier, analytics or batch-processor.")],
    event: Annotated[
        str, typer.Option("--event", help="The event: @file.json, - (standard input) or JSON text.")
    ],
    env: EnvOption = "dev",
    as_json: JsonOption = False,
) -> None:
    """Run one handler from build/lambda.zip on one event, as `sam local invoke` does.

    It runs in the local target's worker (the function's environment and timeout): the result goes to
    stdout, its logs and duration to stderr. Exit 1 when the handler raised or timed out. No invocation,
    log or metric is recorded in the local target; the handler's own writes happen as in AWS (the notifier's
    idempotency records, the batch processor's stored events).

    Example: tooling events sample high-value-order | tooling invoke processor --event -
    """
    workspace = Workspace.for_env(env)
    payload = _event(event)
    result = invoke_function(workspace, function, payload)
    if as_json:
        typer.echo(json.dumps(result.as_json()))
    else:
        for line in result.log_lines:
            typer.echo(line, err=True)
        status = "ok" if result.ok else f"{result.error_type}: {result.error_message}"
        typer.echo(f"{result.function} ({result.name}): {status} in {result.duration_ms:.2f} ms", err=True)
        if result.code != "applied":
            typer.echo(f"code: {result.code}", err=True)
        if result.ok:
            typer.echo(json.dumps(result.result, indent=2))
    if not result.ok:
        raise typer.Exit(code=1)


@events_app.command("sample")
def sample(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(SAMPLE_KINDS)}.", show_default=False)],
    region: Annotated[str, typer.Option("--region", help="The region in the envelope.")] = "us-east-1",
    seed: Annotated[int | None, typer.Option("--seed", help="Reproduce the same content.")] = None,
) -> None:
    """Print a sample event of KIND as a function receives it (EventBridge, or the SNS/SQS envelope).

    Example: tooling events sample sns-high-value-order > notifier.json
    """
    typer.echo(json.dumps(sample_event(kind, region=region, seed=seed), indent=2))


@events_app.command("list")
def list_kinds(as_json: JsonOption = False) -> None:
    """The sample kinds, each with what it is.

    Example: tooling events list
    """
    if as_json:
        typer.echo(json.dumps({kind: describe(kind) for kind in SAMPLE_KINDS}))
        return
    for kind in SAMPLE_KINDS:
        typer.echo(f"{kind:<22} {describe(kind)}")


def register(app: typer.Typer) -> None:
    """Attach this group's commands to the root app."""
    app.command("invoke")(invoke)
    app.add_typer(events_app, name="events")
