"""environments/dev.toml and prod.toml applied to the local target and planned by real Terraform from the
tfvars that apply wrote (tooling_testing/harness/mock_plan.py): both sides of one configuration, for the tests
that prove they agree (the alarm catalogue, the create_* switches). tests/robustness/conftest.py builds them
once per session."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tooling import local
from tooling.config import Config
from tooling.deploy import pipeline as deploy
from tooling.errors import TerraformError, UnavailableError
from tooling.local.regions import secondary_db_path
from tooling.local.store import Store
from tooling.outputs import DeploymentOutputs, load_outputs
from tooling.workspace import Workspace
from tooling_testing.harness.mock_plan import plan_root

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("dev", "prod")
# Where a plan's resource lives -> the local region that has it.
PLAN_REGIONS = {
    "module.primary.": "primary",
    "module.secondary[0].": "secondary",
    "module.global_endpoint[0].": "primary",
}


@dataclass
class Deployed:
    root: Path
    workspace: Workspace
    config: Config
    outputs: DeploymentOutputs
    tfvars: dict[str, Any]

    def store(self, region: str) -> Store:
        if region == "primary":
            return Store.open(self.workspace)
        assert self.outputs.failover is not None
        return Store(secondary_db_path(self.workspace, self.outputs.failover.secondary_region))

    def regions(self) -> list[str]:
        return ["primary"] if self.outputs.failover is None else ["primary", "secondary"]


def apply(root: Path, env: str) -> Deployed:
    """`tooling apply --target local` for the environment file of the project copy `root`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLING_ROOT", str(root))
        patch.setenv("TOOLING_LOCAL_DISPATCH", "off")
        workspace = Workspace.for_env(env)
        prepared = deploy.prepare(workspace)
        local.apply_local(prepared)
        tfvars = json.loads(prepared.tfvars.read_text())
        return Deployed(root, workspace, prepared.config, load_outputs(workspace), tfvars)


def plan(workdir: Path, deployed: dict[str, Deployed]) -> dict[str, Any]:
    """Environment -> the plan JSON of its tfvars; skips when no Terraform or provider can plan here."""
    try:
        return plan_root(REPO / "terraform", workdir, {env: d.tfvars for env, d in deployed.items()})
    except UnavailableError as exc:
        pytest.skip(f"no hashicorp/aws provider to plan with: {exc.message}")
    except TerraformError as exc:
        if "terraform is not installed" in exc.message or "needs >=" in exc.message:
            pytest.skip(exc.message)
        raise


def planned(plan_json: dict[str, Any], resource_type: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Region -> address -> change (after, after_unknown) of every `resource_type` the plan creates."""
    found: dict[str, dict[str, dict[str, Any]]] = {"primary": {}, "secondary": {}}
    for change in plan_json["resource_changes"]:
        if change["type"] != resource_type or "create" not in change["change"]["actions"]:
            continue
        region = next(r for prefix, r in PLAN_REGIONS.items() if change["address"].startswith(prefix))
        found[region][change["address"]] = change["change"]
    return found
