"""Issue 26, item 1: whether the S3 event archive and the order workflow exist is decided in one place,
tooling/config.py (Config.creates_s3_archive, Config.creates_workflow). `tooling tfvars` hands Terraform the
answers (create_s3_archive, create_workflow), which modules/region_stack only places (the archive in the
primary, the workflow where the routing table runs); the local target provisions by the same properties.

Proven on both sides of environments/dev.toml and prod.toml: the Terraform plan of the tfvars the apply wrote
creates the stream and the state machine exactly where the local target has them."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
from planned_environments import ENVIRONMENTS, REPO, Deployed, planned

from tooling.config import parse_config
from tooling.deploy.tfvars import build_tfvars

DEV = tomllib.loads((REPO / "environments" / "dev.toml").read_text())


def _tfvars(data: dict[str, Any]) -> dict[str, Any]:
    config = parse_config(data)
    return build_tfvars(config, name_suffix="abc123", zip_path=Path("/x.zip"), zip_sha256_b64="c2hh")


def _without_target(data: dict[str, Any], target: str) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for rule in data["rules"]:
        rule["targets"] = [t for t in rule["targets"] if t["target"] != target]
    data["rules"] = [rule for rule in data["rules"] if rule["targets"]]
    return data


def _with_workflow(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data["rules"].append(
        {
            "name": "order-fulfilment",
            "pattern": {"source": ["ecommerce.orders"], "detail-type": ["Order Created"]},
            "targets": [{"target": "order-workflow"}],
        }
    )
    return data


@pytest.mark.parametrize(
    ("variant", "archive", "workflow"),
    [
        (lambda d: d, True, False),  # dev as it is: all-events feeds the archive, no workflow rule
        (lambda d: _without_target(d, "s3-archive"), False, False),  # enabled, but no rule targets it
        (lambda d: {**_without_target(d, "s3-archive"), "s3_archive": {"enabled": False}}, False, False),
        (_with_workflow, True, True),
    ],
)
def test_tfvars_carry_the_configs_decision_and_no_switch_of_their_own(
    variant: Any, archive: bool, workflow: bool
) -> None:
    data = variant(copy.deepcopy(DEV))

    tfvars = _tfvars(data)

    assert (tfvars["create_s3_archive"], tfvars["create_workflow"]) == (archive, workflow)
    config = parse_config(data)
    assert (config.creates_s3_archive, config.creates_workflow) == (archive, workflow)
    # The settings object carries no `enabled` Terraform could decide by again.
    assert "enabled" not in tfvars["s3_archive"]


def _local_has(d: Deployed, region: str) -> tuple[bool, bool]:
    store = d.store(region)
    try:
        streams = store.scalar("SELECT COUNT(*) FROM delivery_streams")
        machines = store.scalar("SELECT COUNT(*) FROM state_machines")
    finally:
        store.close()
    return bool(streams), bool(machines)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_terraform_and_the_local_target_create_the_archive_and_the_workflow_in_the_same_regions(
    env: str, applied_environments: dict[str, Deployed], planned_environments: dict[str, Any]
) -> None:
    d, plan = applied_environments[env], planned_environments[env]
    streams = planned(plan, "aws_kinesis_firehose_delivery_stream")
    machines = planned(plan, "aws_sfn_state_machine")

    in_plan = {region: (bool(streams[region]), bool(machines[region])) for region in d.regions()}

    assert in_plan == {region: _local_has(d, region) for region in d.regions()}
    assert in_plan["primary"] == (d.config.creates_s3_archive, d.config.creates_workflow)
    if "secondary" in in_plan:  # prod: the archive is the primary's; the workflow runs in both regions
        assert in_plan["secondary"] == (False, d.config.creates_workflow)
    assert (env, d.config.creates_workflow) in {("dev", False), ("prod", True)}
