"""Routing as the root and the config feed it: every logical target the environment files use resolves to
an ARN, the rule names both sides accept fit a Lambda statement id, the root's wiring. What the module
computes (targets keyed "<rule>/<target id>", names, roles only where needed, retries, DLQs, transformers,
one permission per rule and function, the ARNs it hands out) is in modules/routing/tests (terraform test)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from terraform_hcl import REPO, map_literal_keys, modules

from tooling.config import RULE_NAME_RE, TARGET_NAMES, load_config
from tooling.deploy.tfvars import build_tfvars

ENVIRONMENTS = sorted((REPO / "environments").glob("*.toml"))


def _resolvable_targets(function_keys: set[str]) -> set[str]:
    """Logical names region_stack's local.target_arns maps: the function keys, the literal topic/queue keys,
    the workflow module's state machines (keyed order-workflow) and the event archive's stream (s3-archive)."""
    expression = modules()["region_stack"].locals["target_arns"]
    assert expression.startswith("${var.consumers ? merge(local.function_arns,")
    assert expression.endswith(
        ", module.workflows.state_machine_arns, module.s3_archive.stream_arns) : tomap({})}"
    )
    literal = expression[expression.index("merge(") :]
    return function_keys | map_literal_keys(literal) | {"order-workflow", "s3-archive"}


@pytest.mark.parametrize("env_file", ENVIRONMENTS, ids=lambda p: p.stem)
def test_every_logical_target_in_the_environment_resolves(env_file: Path) -> None:
    tfvars = build_tfvars(
        load_config(env_file), name_suffix="abc123", zip_path=Path("/x/lambda.zip"), zip_sha256_b64="c2hhMjU2"
    )
    resolvable = _resolvable_targets(set(tfvars["functions"]))

    used = {t["target"] for rule in tfvars["rules"].values() for t in rule["targets"].values()}

    assert used, "the environment routes nothing"
    assert used <= resolvable


def test_every_target_name_the_config_accepts_resolves() -> None:
    assert set(TARGET_NAMES) == _resolvable_targets({"processor", "notifier", "analytics"})


def test_root_validation_allows_exactly_the_config_target_names() -> None:
    conditions = [v["condition"] for v in modules()["root"].variables["rules"]["validation"]]
    (target_check,) = [c for c in conditions if "t.target)" in c]

    allowed = re.search(r"contains\(\[([^\]]*)\], t\.target\)", target_check)

    assert allowed is not None
    assert {name.strip().strip('"') for name in allowed.group(1).split(",")} == set(TARGET_NAMES)


def test_the_region_stack_hands_routing_the_custom_bus_and_the_roles_of_the_targets_that_need_one() -> None:
    call = modules()["region_stack"].module_calls["routing"]

    assert call["event_bus_name"] == "${module.event_bus.name}"
    # Lambda, SNS and SQS targets are authorised by resource policies; the workflow (states:StartExecution)
    # and the S3 archive's Firehose stream (firehose:PutRecord*) hand in a role each.
    assert (
        call["target_role_arns"]
        == "${merge(module.workflows.target_role_arns, module.s3_archive.target_role_arns)}"
    )


def test_rule_names_fit_a_lambda_permission_statement_id_in_terraform_and_config() -> None:
    root, routing = modules()["root"], modules()["routing"]
    (root_check,) = [
        v["condition"] for v in root.variables["rules"]["validation"] if "keys(var.rules)" in v["condition"]
    ]
    (routing_check,) = [
        v["condition"]
        for v in routing.variables["rules"]["validation"]
        if "keys(var.rules)" in v["condition"]
    ]

    # AddPermission's StatementId pattern is ([a-zA-Z0-9-_]+), and the statement id embeds the rule name
    # (AllowEventBridgeRule-<rule>: modules/routing/tests).
    assert "^[A-Za-z0-9_-]{1,64}$" in root_check
    assert "^[A-Za-z0-9_-]+$" in routing_check
    assert RULE_NAME_RE.pattern == "^[A-Za-z0-9_-]+$"
    assert not RULE_NAME_RE.match("order.events")
    assert re.fullmatch(r"[a-zA-Z0-9\-_]+", "AllowEventBridgeRule-order_events-2")
