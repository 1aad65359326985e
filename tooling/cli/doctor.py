"""`tooling doctor`: check the environment's own files, say which are damaged and the way back for each;
`--repair` rebuilds what the environment file can rebuild. Thin: parse, call targets.doctor, render."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tooling import targets
from tooling.cli.options import ConfigOption, EnvOption, JsonOption
from tooling.workspace import Workspace, shown

STATUS = {"ok": "OK", "absent": "ABSENT", "damaged": "DAMAGED"}


def doctor(
    env: EnvOption = "dev",
    config: ConfigOption = None,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Rebuild what the environment file can rebuild: tfvars, the zip, the local target (a damaged "
            "database means provisioning it afresh: its events and messages are lost). Never the suffix.",
        ),
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Check the suffix, outputs.json, tfvars, the zip and the local target's databases and lock files.

    Read-only unless --repair. Exit 0 when nothing is damaged, 1 otherwise.

    Example: tooling doctor --env dev   |   tooling doctor --env dev --repair
    """
    ws = Workspace.for_env(env)
    report = targets.doctor(ws, config, repair=repair)
    if json_out:
        document = {
            "environment": env,
            "healthy": report.healthy,
            "checks": [f.as_json() for f in report.findings],
            "repaired": report.repaired,
        }
        print(json.dumps(document, indent=2))
    else:
        width = max(len(f.check) for f in report.findings)
        for finding in report.findings:
            detail = f" ({finding.detail})" if finding.detail else ""
            print(f"{STATUS[finding.status]:<8} {finding.check:<{width}}  {shown(finding.path)}{detail}")
            if finding.status == "damaged" and finding.fix:
                print(f"{'':<8} {'':<{width}}  fix: {finding.fix}")
        for item in report.repaired:
            print(f"repaired: {item}")
        damaged = sum(f.status == "damaged" for f in report.findings)
        if damaged == 0:
            print(f"{env}: nothing damaged")
        elif not repair:
            print(
                f"{env}: {damaged} damaged; `tooling doctor --env {env} --repair` rebuilds what can be rebuilt"
            )
        else:
            print(f"{env}: {damaged} still damaged: follow the fix lines above")
    if not report.healthy:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
