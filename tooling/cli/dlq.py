"""`tooling dlq list|peek|redrive|purge`: the dead-letter queues of the deployed environment. Thin: the
operations are tooling/observe/dlq.py, the target's queue primitives come from tooling/targets.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tooling.cli.confirm import confirm
from tooling.cli.console import make_console
from tooling.cli.locking import shares_environment
from tooling.cli.options import EnvOption, JsonOption, OutputsOption, TargetOption
from tooling.observe import dlq
from tooling.outputs import DeploymentOutputs, load_outputs, with_target
from tooling.targets import Sources, bus_for, sources_for
from tooling.workspace import Workspace

dlq_app = typer.Typer(
    no_args_is_help=True,
    help="Inspect, redrive and purge the dead-letter queues (names: `tooling dlq list`).",
)

NameArgument = Annotated[
    str, typer.Argument(help="DLQ name: events, batch-queue, notifications, processor...")
]


def _open(env: str, outputs_file: Path | None, target: str | None) -> tuple[DeploymentOutputs, Sources]:
    workspace = Workspace.for_env(env)
    outputs = with_target(load_outputs(workspace, outputs_file), target)
    return outputs, sources_for(outputs, workspace)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data))


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds}s"
    return f"{seconds // 60}m" if seconds < 7200 else f"{seconds // 3600}h"


@dlq_app.command("list")
@shares_environment("dlq list")
def list_cmd(
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every DLQ of the environment: depth, oldest message's age, what feeds it.

    Example: tooling dlq list --json
    """
    outputs, sources = _open(env, outputs_file, target)
    infos = dlq.list_dlqs(sources.dlq(), outputs)
    if as_json:
        _print_json([info.as_json() for info in infos])
        return
    table = Table(
        "name", "depth", "oldest", "redrive", "fed by", title=f"DLQs of {escape(outputs.event_bus_name)}"
    )
    for info in infos:
        depth = str(info.depth) if info.exists else "[red]missing[/red]"
        oldest = _age(info.oldest_age_seconds) if info.depth else "-"
        table.add_row(info.name, depth, oldest, info.redrive, escape(info.feeds))
    make_console(highlight=False).print(table)


@dlq_app.command("peek")
@shares_environment("dlq peek")
def peek_cmd(
    name: NameArgument,
    count: Annotated[int, typer.Option("-n", "--count", min=1, max=dlq.MAX_PEEK, help="How many.")] = 10,
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show messages with their error attributes, without deleting them.

    Example: tooling dlq peek processor -n 3
    """
    outputs, sources = _open(env, outputs_file, target)
    messages = dlq.peek(sources.dlq(), outputs, name, count)
    if as_json:
        _print_json({"name": name, "messages": [m.as_json() for m in messages]})
        return
    out = make_console(highlight=False)
    if not messages:
        out.print(f"DLQ {escape(name)} is empty")
        return
    for message in messages:
        sent = message.sent_at.isoformat(timespec="seconds") if message.sent_at else "?"
        out.print(f"[bold]{escape(message.message_id)}[/bold]  sent {sent}")
        for key, value in dlq.error_attributes(message).items():
            out.print(f"  {key}: {escape(value)}")
        out.print(f"  body: {escape(message.body[:2000])}")


@dlq_app.command("redrive")
@shares_environment("dlq redrive")
def redrive_cmd(
    name: NameArgument,
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send the messages back where they failed: to the source queue (SQS move task), else onto the bus.

    Exit 1 when some could not be sent back (they stay in the DLQ).

    Example: tooling dlq redrive processor
    """
    outputs, sources = _open(env, outputs_file, target)
    result = dlq.redrive(sources.dlq(), outputs, name, bus_for(outputs, sources.workspace))
    if as_json:
        _print_json(result.as_json())
    else:
        out = make_console(highlight=False)
        how = "moved back to" if result.mode == "move" else "re-published onto"
        out.print(
            f"{escape(name)}: {result.moved} {how} {escape(result.destination)}, {result.failed} failed; "
            f"depth {result.depth_before} -> {result.depth_after}"
        )
        for failure in result.failures[:20]:
            out.print(f"  {escape(failure)}")
    if result.failed:
        raise typer.Exit(1)


@dlq_app.command("purge")
@shares_environment("dlq purge")
def purge_cmd(
    name: NameArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete every message of a DLQ (asks first unless -y).

    Example: tooling dlq purge processor -y
    """
    outputs, sources = _open(env, outputs_file, target)
    source = sources.dlq()
    url = dlq.resolve(outputs, name)
    if not yes:
        stats = source.stats(url)
        depth = stats.visible + stats.in_flight if stats else 0
        if depth and not confirm(f"Delete the {depth} message(s) of DLQ {name}?"):
            typer.echo("not purged", err=True)
            raise typer.Exit(1)
    result = dlq.purge(source, outputs, name)
    if as_json:
        _print_json(result.as_json())
    else:
        typer.echo(f"{name}: purged {result.purged} message(s); depth now {result.depth_after}")


def register(app: typer.Typer) -> None:
    app.add_typer(dlq_app, name="dlq")
