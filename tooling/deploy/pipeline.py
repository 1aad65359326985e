"""The deployment pipeline: config validate -> package -> tfvars -> init -> plan -> apply -> outputs.

A reviewed apply runs in two steps instead: `plan` saves the plan (and `show_plan` renders it, redacted, for
the reviewers), then `apply_saved_plan` applies exactly that file, or refuses it when it went stale.

`aws` drives terraform (here); `local` provisions the embedded emulator from the same Prepared
(`tooling.local.apply_local`), and tooling/targets.py picks between the two. Both end with the same
DeploymentOutputs cached in `.tooling/<env>/outputs.json`, the target recorded.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tooling.config import Config, load_environment
from tooling.deploy.package import PackageResult, build_package
from tooling.deploy.plan_text import redact, secret_values
from tooling.deploy.terraform import PlanSummary, TerraformDriver, summary_of
from tooling.deploy.tfvars import write_backend, write_tfvars
from tooling.errors import AwsError, UsageError
from tooling.outputs import (
    DeploymentOutputs,
    TargetKind,
    clear_outputs,
    from_terraform,
    load_outputs,
    parse_target,
    save_outputs,
)
from tooling.workspace import Workspace, shown

Confirm = Callable[[str], bool]


@dataclass(frozen=True)
class Prepared:
    config: Config
    workspace: Workspace
    package: PackageResult
    tfvars: Path


def prepare(workspace: Workspace, config_path: Path | None = None, *, new_suffix: bool = False) -> Prepared:
    """Validate the environment file, build the zip and write the tfvars: everything before terraform.
    `new_suffix` (apply --new-suffix, confirmed by the caller) writes a new resource-name suffix first."""
    config = load_environment(config_path or workspace.default_config, workspace.env)
    if new_suffix:
        workspace.replace_suffix()  # after the file validated: an invalid one never costs the old suffix
    package = build_package(workspace.lambda_src, workspace.zip_path)
    tfvars = write_tfvars(workspace, config, zip_path=package.path, zip_sha256_b64=package.sha256_b64)
    return Prepared(config, workspace, package, tfvars)


def resolve_target(workspace: Workspace, target: str | None) -> TargetKind:
    """--target if given, else the target recorded by the last apply, else aws."""
    if target is not None:
        return parse_target(target)
    if workspace.outputs_path.is_file():
        return load_outputs(workspace).target
    return "aws"


def require_credentials() -> None:
    """Fail before terraform runs when no credentials exist; terraform's own message is much longer."""
    import boto3

    if boto3.session.Session().get_credentials() is None:
        raise AwsError(
            "no AWS credentials found for terraform",
            hint="configure them (aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), "
            "or deploy locally: tooling apply --target local",
        )


def preflight_aws(workspace: Workspace) -> TerraformDriver:
    """Fail fast, before packaging, when terraform or credentials are missing."""
    driver = TerraformDriver(workspace)
    driver.check_version()
    require_credentials()
    return driver


def plan(prepared: Prepared, *, destroy: bool = False) -> PlanSummary:
    """init + plan; the caller has run preflight_aws before preparing, so failures come before packaging."""
    driver = TerraformDriver(prepared.workspace)
    driver.init()
    return driver.plan(prepared.tfvars, destroy=destroy)


def apply_aws(prepared: Prepared, *, confirm: Confirm) -> DeploymentOutputs | None:
    """Plan, ask, apply the saved plan, cache the outputs. None when the user declined."""
    summary = plan(prepared)
    driver = TerraformDriver(prepared.workspace)
    if summary.has_changes:
        if not confirm(f"{summary.line()} Apply to {prepared.config.environment}?"):
            summary.plan_file.unlink(missing_ok=True)
            return None
        driver.apply(summary.plan_file)
    else:
        summary.plan_file.unlink(missing_ok=True)
    outputs = from_terraform(driver.output(), target="aws", environment=prepared.workspace.env)
    save_outputs(prepared.workspace, outputs)
    return outputs


def _saved_plan(plan_file: Path | None, workspace: Workspace) -> Path:
    path = plan_file or workspace.plan_path
    if not path.is_file():
        raise UsageError(
            f"no saved plan at {shown(path)}",
            hint=f"run `tooling plan --env {workspace.env}` first, or pass the plan file it saved (in CI: the "
            "plan job's artifact) with --plan-file",
        )
    return path


def show_plan(workspace: Workspace, plan_file: Path | None = None) -> str:
    """terraform's text of the saved plan for reviewers: sensitive values masked by terraform, and every
    secret the plan holds or anything shaped like one redacted (tooling/deploy/plan_text.py)."""
    path = _saved_plan(plan_file, workspace)
    driver = TerraformDriver(workspace)
    return redact(driver.show_text(path), secret_values(driver.show_json(path)))


def _variable(plan: dict[str, Any], name: str) -> Any:
    return ((plan.get("variables") or {}).get(name) or {}).get("value")


def check_saved_plan(plan: dict[str, Any], plan_file: Path, env: str) -> None:
    """Refuse a plan made for another environment, or whose Lambda zip is not here byte for byte: terraform
    would upload whatever file now sits at the planned path, not the code that was reviewed."""
    planned_env = _variable(plan, "environment")
    if planned_env is not None and planned_env != env:
        raise UsageError(
            f"the saved plan {shown(plan_file)} was made for environment {planned_env!r}, not {env!r}",
            hint=f"apply it with --env {planned_env}, or plan {env} and apply that plan",
        )
    zip_path, planned_hash = _variable(plan, "lambda_zip_path"), _variable(plan, "lambda_zip_sha256")
    if not zip_path or not planned_hash:
        return
    path = Path(zip_path)
    if not path.is_file():
        raise UsageError(
            f"the saved plan {shown(plan_file)} deploys {zip_path}, which is missing",
            hint="put the zip the plan was made with there (in CI: it is in the plan job's artifact)",
        )
    actual = base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()
    if actual != planned_hash:
        raise UsageError(
            f"{zip_path} is not the zip the saved plan {shown(plan_file)} was made with "
            f"(sha256 {actual}, planned {planned_hash})",
            hint="restore the zip of the plan (in CI: from the plan job's artifact), or plan again",
        )


def apply_saved_plan(
    workspace: Workspace, config_path: Path | None, plan_file: Path, *, confirm: Confirm
) -> DeploymentOutputs | None:
    """Apply exactly `plan_file` (saved by `tooling plan` and reviewed): no packaging, no tfvars, no new
    plan. A plan whose state changed since is refused as stale. None when the user declined."""
    path = _saved_plan(plan_file, workspace)
    driver = preflight_aws(workspace)
    config = load_environment(config_path or workspace.default_config, workspace.env)
    write_backend(workspace, config)  # init must reach the state the plan was made against
    driver.init()
    plan = driver.show_json(path)
    check_saved_plan(plan, path, workspace.env)
    summary = summary_of(plan, path)
    if not confirm(f"{summary.line()} Apply the saved plan {shown(path)} to {workspace.env}?"):
        return None
    driver.apply(path, keep=True)
    outputs = from_terraform(driver.output(), target="aws", environment=workspace.env)
    save_outputs(workspace, outputs)
    return outputs


def destroy_aws(workspace: Workspace, config_path: Path | None, *, confirm: Confirm) -> bool:
    """Remove every resource of the environment from AWS; False when the user declined."""
    driver = preflight_aws(workspace)
    prepared = prepare(workspace, config_path)
    driver.init()
    if not confirm(f"Destroy every resource of {workspace.env} in AWS? This cannot be undone."):
        return False
    driver.destroy(prepared.tfvars)
    clear_outputs(workspace)
    return True


def refresh_outputs(workspace: Workspace) -> DeploymentOutputs:
    """Re-read `terraform output -json` (aws) and update the cache. A local deployment has no Terraform
    state to read: its outputs are what `tooling apply --target local` wrote."""
    if resolve_target(workspace, None) == "local":
        raise UsageError(
            f"--refresh re-reads Terraform's outputs of an AWS deployment; {workspace.env!r} is deployed to the "
            "local target",
            hint="local outputs come from `tooling apply --target local`; `tooling outputs` shows them",
        )
    outputs = from_terraform(TerraformDriver(workspace).output(), target="aws", environment=workspace.env)
    save_outputs(workspace, outputs)
    return outputs
