"""`tooling smoke`: prove every route of a deployed environment with one canary per rule. Thin: the plan,
the wait and the report are tooling/smoke/, the bus and the observation sources come from tooling/targets.py."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from tooling.cli.config_cmd import resolve_config
from tooling.cli.console import make_console
from tooling.cli.locking import shares_environment
from tooling.cli.options import ConfigOption, EnvOption, JsonOption, OutputsOption, TargetOption
from tooling.errors import OutputsMissingError
from tooling.observe.monitor import parse_duration
from tooling.outputs import load_outputs, with_target
from tooling.publish.bus import Bus
from tooling.smoke.plan import BusKind
from tooling.smoke.render import render_report
from tooling.smoke.run import DEFAULT_TIMEOUT_SECONDS, Settings, check_timeout, run_smoke
from tooling.targets import bus_for, sources_for, state_identity
from tooling.workspace import Workspace

EXIT_SILENT = 1
# Seconds between looks: CloudWatch Logs and S3 are asked per route on AWS; the local store is cheap to read.
INTERVAL = {"aws": 2.0, "local": 0.5}


def parse_timeout(text: str) -> float:
    """`120`, `120s`, `2m`, `1m30s` -> seconds, from 1 s to 1 h (exit 2 otherwise)."""
    cleaned = text.strip()
    seconds = float(cleaned) if cleaned.isdigit() else parse_duration(cleaned).total_seconds()
    return check_timeout(seconds)


@shares_environment("smoke")
def smoke(
    env: EnvOption = "dev",
    config: ConfigOption = None,
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    timeout: Annotated[
        str,
        typer.Option(
            "--timeout",
            help="How long to wait for every route (90s, 2m, 6m; at most 1h). The S3 archive's route needs "
            "the Firehose buffer interval plus a minute, else it is reported pending.",
        ),
    ] = f"{DEFAULT_TIMEOUT_SECONDS:.0f}s",
    allow_email: Annotated[
        bool,
        typer.Option(
            "--allow-email",
            help="Also send canaries that reach the notifications topic while it has an email subscriber "
            "(the environment file's notifications email): that address gets a mail for an order id starting "
            "with canary-.",
        ),
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """After a deploy, publish one canary event per rule and wait until it arrives where each of the rule's
    targets puts it (the function's log line, the notifier behind SNS, the event store item, the S3 archive
    object, the workflow execution); print route -> seen / silent / failed / pending / skipped with the
    latency. Canaries are marked (detail.canary, ids starting with canary-): the handlers process and store
    them but skip every real side effect (webhook, alert line, welcome mail). Exit 1 when a route is silent
    or failed, 2 on bad input or when nothing is deployed.

    Example: tooling smoke --env dev --timeout 2m
    """
    seconds = parse_timeout(timeout)
    workspace = Workspace.for_env(env)
    cfg = resolve_config(env, config)
    outputs = with_target(load_outputs(workspace, outputs_file), target)
    if outputs.target == "local" and state_identity(workspace, outputs_file, target) is None:
        raise OutputsMissingError(
            f"nothing is deployed on the local target of {env!r} (its state is gone)",
            hint=f"apply it: tooling apply --env {env} --target local",
        )

    def buses(kind: BusKind) -> Bus:
        return bus_for(outputs, workspace, "boto3", event_bus="default" if kind == "default" else None)

    report = run_smoke(
        cfg,
        sources_for(outputs, workspace),
        buses,
        environment=env,
        settings=Settings(timeout=seconds, interval=INTERVAL[outputs.target], allow_email=allow_email),
        progress=None if json_out else _progress,
    )
    if json_out:
        print(json.dumps(report.as_json()))
    else:
        console = make_console()
        console.print(render_report(report))
        console.print(report.summary_line(), markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(EXIT_SILENT)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def register(app: typer.Typer) -> None:
    app.command("smoke")(smoke)
