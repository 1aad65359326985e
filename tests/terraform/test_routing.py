"""Routing: every logical target the environment files use resolves to an ARN, targets are keyed
"<rule>/<target id>", rules sit on the custom bus, and only targets without a resource policy (the Step
Functions workflow) get an IAM role."""

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
        ", module.workflows.state_machine_arns, module.event_archive.stream_arns) : tomap({})}"
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


def test_targets_are_keyed_by_rule_and_target_id() -> None:
    routing = modules()["routing"]

    assert '"${rule_key}/${target_id}"' in routing.locals["targets"]
    assert routing.resource("aws_cloudwatch_event_target", "this").body["for_each"] == "${local.targets}"


def test_rules_and_targets_are_on_the_custom_bus() -> None:
    routing = modules()["routing"]
    rule = routing.resource("aws_cloudwatch_event_rule", "this")
    target = routing.resource("aws_cloudwatch_event_target", "this")

    assert rule.body["event_bus_name"] == target.body["event_bus_name"] == "${var.event_bus_name}"
    assert modules()["region_stack"].module_calls["routing"]["event_bus_name"] == "${module.event_bus.name}"


def test_only_targets_listed_in_target_role_arns_get_an_iam_role() -> None:
    target = modules()["routing"].resource("aws_cloudwatch_event_target", "this")
    stack = modules()["region_stack"]

    assert target.attr("role_arn") == "${lookup(var.target_role_arns, each.value.target, null)}"
    # Lambda, SNS and SQS targets are authorised by resource policies; only the workflow hands in a role.
    assert (
        stack.module_calls["routing"]["target_role_arns"]
        == "${merge(module.workflows.target_role_arns, module.event_archive.target_role_arns)}"
    )


def test_each_target_has_its_retry_policy_and_optional_dlq_and_transformer() -> None:
    body = modules()["routing"].resource("aws_cloudwatch_event_target", "this").body
    dynamic = {name.strip('"') for item in body["dynamic"] for name in item}
    retry = body["retry_policy"][0]

    assert retry["maximum_retry_attempts"] == "${each.value.retry_policy.maximum_retry_attempts}"
    assert retry["maximum_event_age_in_seconds"] == "${each.value.retry_policy.maximum_event_age_in_seconds}"
    assert dynamic == {"dead_letter_config", "input_transformer"}


def test_one_lambda_permission_per_rule_and_function() -> None:
    routing = modules()["routing"]
    permission = routing.resource("aws_lambda_permission", "this")

    assert permission.body["for_each"] == "${local.lambda_permissions}"
    assert '"${pair.rule}/${pair.function}"' in routing.locals["lambda_permissions"]
    assert "distinct(" in routing.locals["lambda_permissions"]


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
    permission = routing.resource("aws_lambda_permission", "this")

    # AddPermission's StatementId pattern is ([a-zA-Z0-9-_]+), and the statement id embeds the rule name.
    assert permission.attr("statement_id") == "AllowEventBridgeRule-${each.value.rule}"
    assert "^[A-Za-z0-9_-]{1,64}$" in root_check
    assert "^[A-Za-z0-9_-]+$" in routing_check
    assert RULE_NAME_RE.pattern == "^[A-Za-z0-9_-]+$"
    assert not RULE_NAME_RE.match("order.events")
    assert re.fullmatch(r"[a-zA-Z0-9\-_]+", "AllowEventBridgeRule-order_events-2")
