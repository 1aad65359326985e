"""`tooling tfvars | package | plan | apply | destroy | outputs`: the deployment commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tooling import targets
from tooling.cli.confirm import confirm
from tooling.cli.console import make_console
from tooling.cli.locking import shares_environment
from tooling.cli.options import (
    ConfigOption,
    EnvOption,
    JsonOption,
    OutputsOption,
    TargetOption,
    WaitTimeoutOption,
)
from tooling.cli.streams import stdout_to_stderr
from tooling.deploy import pipeline as deploy
from tooling.deploy.package import PackageResult, build_package
from tooling.envlock import DEFAULT_WAIT_TIMEOUT
from tooling.errors import DamagedStateError, UsageError
from tooling.outputs import DeploymentOutputs, load_outputs
from tooling.workspace import Workspace

AutoApprove = Annotated[
    bool, typer.Option("--auto-approve", "--yes", "-y", help="Do not ask for confirmation.")
]
PlanFile = Annotated[
    Path | None,
    typer.Option(
        "--plan-file",
        help="Apply this saved plan (from `tooling plan`, reviewed) exactly: no packaging, no new plan; a plan "
        "whose state changed since is refused as stale. AWS only.",
    ),
]
ShownPlanFile = Annotated[
    Path | None,
    typer.Option("--plan-file", help="The saved plan to show (default: .tooling/<env>/plan.tfplan)."),
]
NewSuffix = Annotated[
    bool,
    typer.Option(
        "--new-suffix",
        help="Give the environment a new random resource-name suffix first (asks; -y skips). On AWS this "
        "replaces every named resource: tables and queues lose their data. The local target is rebuilt empty.",
    ),
]


def _err() -> Console:
    return make_console(stderr=True)


def _confirm(auto_approve: bool) -> deploy.Confirm:
    def ask(question: str) -> bool:
        return auto_approve or confirm(question, "--yes (or --auto-approve)")

    return ask


def _warn_without_bytecode(result: PackageResult) -> None:
    note = result.bytecode_note()
    if note:
        _err().print(f"[yellow]warning:[/yellow] {note}")


@shares_environment("tfvars")  # apply writes the same file
def tfvars(env: EnvOption = "dev", config: ConfigOption = None, json_out: JsonOption = False) -> None:
    """Write .tooling/<env>/terraform.tfvars.json from the environment file (builds the zip for its hash).

    Example: tooling tfvars --env dev
    """
    prepared = deploy.prepare(Workspace.for_env(env), config)
    if json_out:
        print(prepared.tfvars.read_text(), end="")
    else:
        print(prepared.tfvars)


def package(
    env: EnvOption = "dev",
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild even when the inputs are unchanged.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Build build/lambda.zip deterministically from lambda_src/ and its requirements.

    Example: tooling package --json
    """
    ws = Workspace.for_env(env)
    result = build_package(ws.lambda_src, ws.zip_path, force=force)
    _warn_without_bytecode(result)
    if json_out:
        print(json.dumps(result.as_json()))
    else:
        state = "built" if result.rebuilt else "unchanged"
        print(f"{result.path}  {result.size} bytes  sha256 {result.sha256}  ({state})")


@shares_environment("plan")
def plan(env: EnvOption = "dev", config: ConfigOption = None, json_out: JsonOption = False) -> None:
    """Validate, package, write tfvars, terraform init and plan (saved to .tooling/<env>/plan.tfplan).

    Example: tooling plan --env prod   |   tooling plan --json | jq .change
    """
    ws = Workspace.for_env(env)
    deploy.preflight_aws(ws)
    with stdout_to_stderr(json_out):
        prepared = deploy.prepare(ws, config)
        _warn_without_bytecode(prepared.package)
        summary = deploy.plan(prepared)
    if json_out:
        print(json.dumps(summary.as_json()))
    else:
        _err().print(f"[bold]{summary.line()}[/bold] Saved plan: {summary.plan_file}")


def _confirm_new_suffix(ws: Workspace, auto_approve: bool) -> None:
    """Ask before --new-suffix renames everything (without a terminal only --yes says yes: exit 2)."""
    try:
        current = ws.recorded_suffix() or "none yet"
    except DamagedStateError:
        current = "damaged"
    question = (
        f"Replace the resource-name suffix of {ws.env} ({current}) with a new one? On AWS every named "
        "resource is replaced (tables and queues lose their data); the local target is rebuilt empty."
    )
    if not (auto_approve or confirm(question, "--yes")):
        _err().print("apply cancelled: nothing changed")
        raise typer.Exit(1)


@shares_environment("show-plan")
def show_plan(env: EnvOption = "dev", plan_file: ShownPlanFile = None) -> None:
    """Print terraform's text of the saved plan for review: sensitive values masked, secrets redacted.

    Example: tooling show-plan --env prod > plan.txt
    """
    print(deploy.show_plan(Workspace.for_env(env), plan_file), end="")


def _apply_saved_plan(
    ws: Workspace, config: Path | None, plan_file: Path, target: str | None, new_suffix: bool,
    ask: deploy.Confirm, wait_timeout: float,
) -> DeploymentOutputs | None:  # fmt: skip
    if target is not None and deploy.resolve_target(ws, target) != "aws":
        raise UsageError(
            "--plan-file applies a saved terraform plan: AWS only",
            hint="drop --target local (or --plan-file)",
        )
    if new_suffix:
        raise UsageError(
            "--new-suffix cannot change a saved plan",
            hint="plan with the new suffix first, then apply that plan",
        )
    return targets.apply_saved_plan(ws, config, plan_file, confirm=ask, wait_timeout=wait_timeout)


def apply(
    env: EnvOption = "dev", config: ConfigOption = None, target: TargetOption = None,
    auto_approve: AutoApprove = False, json_out: JsonOption = False, new_suffix: NewSuffix = False,
    wait_timeout: WaitTimeoutOption = DEFAULT_WAIT_TIMEOUT, plan_file: PlanFile = None,
) -> None:  # fmt: skip
    """Deploy the environment: to AWS with terraform, or to the embedded local target (--target local).

    It has the environment to itself: it waits for the commands using it, and refuses after --wait-timeout.
    With --plan-file it applies that reviewed plan and nothing else (the prod pipeline's second step).

    Example: tooling apply --target local   |   tooling apply --env prod --plan-file plan.tfplan
    """
    ws = Workspace.for_env(env)
    if plan_file is not None:
        with stdout_to_stderr(json_out):
            outputs = _apply_saved_plan(
                ws, config, plan_file, target, new_suffix, _confirm(auto_approve), wait_timeout
            )
        _render_applied(env, outputs, json_out)
        return
    kind = "aws" if target is None else deploy.resolve_target(ws, target)
    if kind == "aws":
        deploy.preflight_aws(ws)
    if new_suffix:
        _confirm_new_suffix(ws, auto_approve)
    prepared = deploy.prepare(ws, config, new_suffix=new_suffix)
    if new_suffix:
        _err().print(f"new resource-name suffix for {env}: {ws.recorded_suffix()}")
    if kind == "aws":  # the local target runs the sources with this venv's interpreter anyway
        _warn_without_bytecode(prepared.package)
    with stdout_to_stderr(json_out):
        outputs = targets.apply(
            prepared, kind, confirm=_confirm(auto_approve), wait_timeout=wait_timeout, replace=new_suffix
        )
    _render_applied(env, outputs, json_out)


def _render_applied(env: str, outputs: DeploymentOutputs | None, json_out: bool) -> None:
    if outputs is None:
        _err().print("apply cancelled: nothing changed")
        raise typer.Exit(1)
    if json_out:
        print(json.dumps(outputs.to_cache(), indent=2))
    else:
        _err().print(f"[green]applied[/green] {env} to {outputs.target}: bus {outputs.event_bus_name}")


def destroy(
    env: EnvOption = "dev", config: ConfigOption = None, target: TargetOption = None,
    auto_approve: AutoApprove = False, wait_timeout: WaitTimeoutOption = DEFAULT_WAIT_TIMEOUT,
) -> None:  # fmt: skip
    """Remove every resource of the environment from its target.

    It waits for the commands using the environment (a background dispatcher stops), and refuses after
    --wait-timeout: nothing is deleted under a running command.

    Example: tooling destroy --target local -y
    """
    ws = Workspace.for_env(env)
    kind = deploy.resolve_target(ws, target)
    if not targets.destroy(ws, kind, config, confirm=_confirm(auto_approve), wait_timeout=wait_timeout):
        _err().print("destroy cancelled: nothing changed")
        raise typer.Exit(1)
    _err().print(f"[green]destroyed[/green] {env}")


@shares_environment("outputs")
def outputs(
    env: EnvOption = "dev", outputs_file: OutputsOption = None, json_out: JsonOption = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Re-read `terraform output -json` first (AWS deployments).")
    ] = False,
) -> None:  # fmt: skip
    """Show the deployment outputs (the contract every other command reads).

    Example: tooling outputs --json | jq .outputs.event_bus_arn
    """
    ws = Workspace.for_env(env)
    result = deploy.refresh_outputs(ws) if refresh else load_outputs(ws, outputs_file)
    if json_out:
        print(json.dumps(result.to_cache(), indent=2))
        return
    print(f"target: {result.target}")
    for name, value in result.contract().items():
        if isinstance(value, dict):
            print(f"{name}:")
            for key, item in value.items():
                print(f"  {key}: {item}")
        else:
            print(f"{name}: {value}")


def register(app: typer.Typer) -> None:
    for command in (tfvars, package, plan, apply, destroy, outputs):
        app.command(command.__name__)(command)
    app.command("show-plan")(show_plan)
