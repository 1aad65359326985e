"""`tooling events query`: read the event store (the batch processor's DynamoDB table, or its local twin).
Thin: parse, call one core function, render."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tooling.cli.locking import shares_environment
from tooling.observe.event_store import build_query, query_events
from tooling.observe.monitor import parse_duration
from tooling.outputs import load_outputs, with_target
from tooling.targets import sources_for
from tooling.workspace import Workspace

from .invoke import events_app
from .options import EnvOption, JsonOption, OutputsOption, TargetOption


@events_app.command("query")
@shares_environment("events query")
def query(
    source: Annotated[str, typer.Option("--source", help="Event source, e.g. ecommerce.orders.")],
    detail_type: Annotated[
        str | None, typer.Option("--type", help="Detail-type, e.g. 'Order Created' (default: every type).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", "-s", help="Only events this recent by their time: 15m, 1h, 2d.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", help="At most this many, newest first (1-1000).")
    ] = 20,
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    as_json: JsonOption = False,
) -> None:
    """The stored events of one source (and type), newest first, from the event store.

    Example: tooling events query --source ecommerce.orders --type "Order Created" --since 1h --limit 5
    """
    request = build_query(source, detail_type, parse_duration(since) if since else None, limit)
    workspace = Workspace.for_env(env)
    outputs = with_target(load_outputs(workspace, outputs_file), target)
    found = query_events(sources_for(outputs, workspace).event_store(), request)
    if as_json:
        typer.echo(json.dumps([event.as_json() for event in found]))
        return
    for event in found:
        # delivered-to->processed-in regions, when the item records them (a failover shows where it ran)
        regions = f"  {event.regions_text()}" if event.regions_text() else ""
        typer.echo(
            f"{event.time}  {event.detail_type:<20} {event.id}{regions}  "
            f"{json.dumps(event.event.get('detail', {}))}"
        )
    typer.echo(
        f"{len(found)} event(s) of {request.source}"
        + (f" / {request.detail_type}" if request.detail_type else ""),
        err=True,
    )


def register(app: typer.Typer) -> None:
    """The command lives on `events` (invoke.py registers the group); importing this module adds it."""
    _ = app
