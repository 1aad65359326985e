"""`tooling failover status|drill`: the global endpoint of an environment with [failover]. Thin: the
operations are tooling/failover/, the target's backend and bus come from tooling/targets.py."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from tooling import failover
from tooling.cli.locking import shares_environment
from tooling.cli.options import EnvOption, JsonOption, OutputsOption, TargetOption
from tooling.errors import UsageError
from tooling.failover.drill import (
    DEFAULT_EVENTS,
    DEFAULT_TIMEOUT_SECONDS,
    DrillReport,
    drill,
    one_drill,
    refuse_unconfirmed,
)
from tooling.observe.render import endpoint_lines
from tooling.outputs import load_outputs, with_target
from tooling.publish.destination import choose_destination
from tooling.targets import bus_for, failover_backend_for
from tooling.workspace import Workspace

EXIT_FAILED = 1

failover_app = typer.Typer(
    no_args_is_help=True,
    help="The global endpoint ([failover]): its status, and a drill that fails over to the secondary "
    "region and back.",
)


@failover_app.command("status")
@shares_environment("failover status")
def status_cmd(
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    as_json: JsonOption = False,
) -> None:
    """The endpoint's state, its Route 53 health check and the alarm behind it, the region that receives
    PutEvents now, and replication (with its lag where the target can measure it).

    Example: tooling failover status --env prod --json
    """
    workspace = Workspace.for_env(env)
    outputs = with_target(load_outputs(workspace, outputs_file), target)
    backend = failover_backend_for(outputs, workspace)
    try:
        found = failover.status(backend)
    finally:
        backend.close()
    if as_json:
        typer.echo(json.dumps(found.model_dump(mode="json")))
        return
    typer.echo("\n".join(endpoint_lines(found)))


@failover_app.command("drill")
@shares_environment("failover drill")
def drill_cmd(
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    events: Annotated[
        int, typer.Option("--events", "-n", min=1, max=1000, help="Events published in each of the 3 phases.")
    ] = DEFAULT_EVENTS,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=1.0,
            help="Seconds to wait for each step: the endpoint to switch region, a phase's events to be stored.",
        ),
    ] = DEFAULT_TIMEOUT_SECONDS,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Run on a protected environment (prod) without refusing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Fail over and back with ordinary traffic: publish N events through the endpoint, set the health alarm
    to ALARM, wait for the endpoint to send to the secondary, publish N and check they are stored there,
    set the alarm back to OK, wait, publish N and check they are back in the primary. Prints
    `failover drill: primary N, secondary N, back N, 0 lost, 0 duplicated effects` and the timings; exit 1
    when anything was lost, duplicated or a step failed. The alarm is set back to OK on any error or Ctrl-C.

    Example: tooling failover drill --env prod --yes --events 20
    """
    refuse_unconfirmed(env, yes)
    workspace = Workspace.for_env(env)
    outputs = with_target(load_outputs(workspace, outputs_file), target)
    if outputs.failover is not None and not outputs.event_store_table_name:
        raise UsageError(
            f"environment {env!r} has no event store: the drill counts what is stored, per region",
            hint=f"enable [batch_processor] and [event_store] in environments/{env}.toml and apply",
        )
    backend = failover_backend_for(outputs, workspace)
    try:
        bus = bus_for(outputs, workspace, "boto3", destination=choose_destination(outputs))
        try:
            with one_drill(workspace):
                report = drill(
                    backend,
                    bus,
                    environment=env,
                    target=outputs.target,
                    events=events,
                    timeout=timeout,
                    progress=None if as_json else _progress,
                )
        finally:
            close = getattr(bus, "close", None)
            if callable(close):
                close()
    finally:
        backend.close()
    _render(report, as_json)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _render(report: DrillReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    typer.echo(report.summary_line())
    typer.echo(report.timing_line())
    for phase in report.phases:
        processed = ", ".join(f"{region} {count}" for region, count in sorted(phase.processed_in.items()))
        typer.echo(f"  {phase.phase}: processed in {processed or '-'}")
    for problem in report.problems:
        typer.echo(f"  problem: {problem}")
    if not report.restored:
        typer.echo("  problem: the health alarm could not be set back to OK: set it with SetAlarmState")


def register(app: typer.Typer) -> None:
    app.add_typer(failover_app, name="failover")
