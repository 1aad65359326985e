"""The deployment pipeline: config validate -> package -> tfvars -> init -> plan -> apply -> outputs.

`aws` drives terraform (here); `local` provisions the embedded emulator from the same Prepared
(`tooling.local.apply_local`), and tooling/targets.py picks between the two. Both end with the same
DeploymentOutputs cached in `.tooling/<env>/outputs.json`, the target recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tooling.config import Config, load_environment
from tooling.deploy.package import PackageResult, build_package
from tooling.deploy.terraform import PlanSummary, TerraformDriver
from tooling.deploy.tfvars import write_tfvars
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
from tooling.workspace import Workspace

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
