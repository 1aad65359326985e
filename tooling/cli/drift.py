"""`tooling drift`: what changed outside Terraform since the last apply. Thin: parse, call one core function
(tooling/targets.py: a refresh-only plan on AWS, the store against its record locally), render."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from tooling import targets
from tooling.cli.console import make_console
from tooling.cli.locking import shares_environment
from tooling.cli.streams import stdout_to_stderr
from tooling.deploy import pipeline as deploy
from tooling.deploy.drift import DriftReport
from tooling.workspace import Workspace

from .options import ConfigOption, EnvOption, JsonOption, TargetOption

# A value longer than this is cut in the table (a policy, a pattern); --json has every value whole.
SHOWN_CHARS = 160


@shares_environment("drift")
def drift(
    env: EnvOption = "dev",
    config: ConfigOption = None,
    target: TargetOption = None,
    json_out: JsonOption = False,
) -> None:
    """Report what changed outside Terraform since the last apply and a deploy would undo, per resource and
    attribute (state vs real): on AWS a terraform plan, never applied; on the local target, its store
    against what the last `tooling apply` recorded.

    Exit 0 when nothing drifted, 2 when something did (the report says what), 1 when terraform fails. A
    usage error exits 2 too but prints no report, only `error: ...` on stderr; the JSON's `drift` tells.

    Example: tooling drift --env prod   |   tooling drift --env prod --json | jq -r '.resources[].address'
    """
    ws = Workspace.for_env(env)
    kind = deploy.resolve_target(ws, target)
    with stdout_to_stderr():  # terraform's own output is diagnostics: stdout holds the report alone
        report = targets.drift(ws, kind, config)
    if json_out:
        typer.echo(json.dumps(report.as_json()))
    else:
        out = make_console()
        if report.drifted:
            out.print(render(report))
        out.print(report.summary(), markup=False, highlight=False)
    if report.pending:  # not drift, but worth knowing: what a deploy would change
        count = len(report.pending)
        make_console(stderr=True).print(
            f"note: the plan also changes {count} resource{'s' * (count != 1)} for another reason than drift (the "
            f"configuration is ahead of what is deployed): `tooling plan --env {env}` shows them",
            markup=False, highlight=False,
        )  # fmt: skip
    if report.drifted:
        raise typer.Exit(report.exit_code)


def render(report: DriftReport) -> Table:
    """One row per drifted attribute (a deleted resource: one row saying so)."""
    table = Table(title=f"Drift of {report.environment} ({report.target})", title_justify="left")
    for column in ("resource", "attribute", "state", "real"):
        table.add_column(column, overflow="fold")
    for resource in report.resources:
        if resource.action == "delete":
            table.add_row(Text(resource.address), "(resource)", "exists", "deleted")
        elif resource.action == "create":
            table.add_row(Text(resource.address), "(resource)", "absent", "exists")
        for change in resource.changes:
            table.add_row(
                Text(resource.address), Text(change.attribute), _value(change.state), _value(change.real)
            )
    return table


def _value(value: Any) -> Text:
    """The value as text (never read as rich markup), cut when long."""
    text = value if isinstance(value, str) else json.dumps(value)
    return Text(text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…")


def register(app: typer.Typer) -> None:
    """Attach this command to the root app."""
    app.command("drift")(drift)
