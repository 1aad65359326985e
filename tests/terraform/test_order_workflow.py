"""The order-fulfilment workflow (module workflows): an EXPRESS state machine, rendered with jsonencode, that
the local target's tooling/local/workflows.py restates; least-privilege roles for the state machine and for the
EventBridge target; no routing loop; alarms on failed and timed-out executions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from terraform_hcl import REPO, modules, statements, unquote

from tooling.config import load_config
from tooling.local import workflows
from tooling.patterns import compile_pattern

TOGGLE = "${var.create_workflow ? 1 : 0}"
STATE_MACHINE_WILDCARDS = {
    "DeliverExecutionLogs": [
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    ],
    "SendTraces": [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
    ],
}


def _definition() -> dict[str, object]:
    definition: dict[str, object] = modules()["workflows"].locals["definition"]
    return definition


def test_every_workflow_resource_is_counted_by_create_workflow() -> None:
    module = modules()["workflows"]
    blocks = module.resources() + [
        d for d in module.data() if d.type not in ("aws_caller_identity", "aws_partition", "aws_region")
    ]

    untoggled = [b.address for b in blocks if b.body.get("count") != TOGGLE]

    assert len(blocks) == 7
    assert untoggled == []
    # The EventBridge target role (3 more blocks) lives in modules/eventbridge_role, toggled the same way.
    assert module.module_calls["target_role"]["create"] == "${var.create_workflow}"


def test_the_workflow_exists_only_when_a_rule_targets_it() -> None:
    stack = modules()["region_stack"]

    assert 'target.target == "order-workflow"' in stack.locals["create_workflow"]
    # The region's own routing table (the secondary's leaves targets out), not the environment's.
    assert "values(local.rules)" in stack.locals["create_workflow"]
    assert stack.module_calls["workflows"]["create_workflow"] == "${local.create_workflow}"


def test_state_machine_is_express_with_a_jsonencoded_definition_tracing_and_logging_without_data() -> None:
    machine = modules()["workflows"].resource("aws_sfn_state_machine", "this")

    assert machine.attr("type") == workflows.STATE_MACHINE_TYPE == "EXPRESS"
    assert machine.body["definition"] == "${jsonencode(local.definition)}"
    assert machine.body["tracing_configuration"][0]["enabled"] is True
    (logging,) = machine.body["logging_configuration"]
    # Every step is logged, never its input or output: the order event carries customerEmail.
    assert logging["level"] == '"ALL"' and logging["include_execution_data"] is False
    assert logging["log_destination"] == '"${aws_cloudwatch_log_group.this[0].arn}:*"'
    assert machine.attr("role_arn") == "${aws_iam_role.state_machine[0].arn}"


def test_definition_is_never_spliced_from_a_template() -> None:
    text = "".join(modules()["workflows"].text.values())

    assert "templatefile" not in text and "template_file" not in text
    assert not list((REPO / "terraform" / "modules" / "workflows").glob("*.json"))


def test_execution_log_group_is_encrypted_and_kept_for_the_configured_days() -> None:
    group = modules()["workflows"].resource("aws_cloudwatch_log_group", "this")
    module = modules()["workflows"]
    kms_condition = modules()["messaging"].locals["state_machine_log_group_prefix"]

    assert group.attr("kms_key_id") == "${var.kms_key_arn}"
    assert group.attr("retention_in_days") == "${var.log_retention_days}"
    assert unquote(module.locals["log_group_name"]) == "/aws/vendedlogs/states/${local.state_machine_name}"
    assert unquote(kms_condition).endswith(":log-group:/aws/vendedlogs/states/${var.name_prefix}-*")
    assert (
        unquote(module.locals["state_machine_name"])
        == f"${{var.name_prefix}}-{workflows.STATE_MACHINE_SUFFIX}"
    )


def test_choice_matches_the_local_emulation() -> None:
    states = _definition()["States"]
    assert isinstance(states, dict)

    choice = states["CheckTotal"]

    assert unquote(_definition()["StartAt"]) == "CheckTotal"
    assert [
        {k: unquote(v) for k, v in rule.items()} for rule in choice["Choices"]
    ] == [
        {"Variable": "$.detail.totalAmount", "IsPresent": False, "Next": "InvalidOrder"},
        {"Variable": "$.detail.totalAmount", "IsNumeric": False, "Next": "InvalidOrder"},
        {"Variable": "$.detail.totalAmount", "NumericGreaterThan": "${var.high_value_threshold}", "Next": "FlagOrder"},
    ]  # fmt: skip
    assert unquote(choice["Default"]) == "AcceptOrder"
    assert {k: unquote(v) for k, v in states["InvalidOrder"].items()} == {
        "Type": "Fail",
        "Error": workflows.INVALID_TOTAL_ERROR,
        "Cause": workflows.INVALID_TOTAL_CAUSE,
    }
    assert states["FlagOrder"] == "${local.publish_states.flagged}"
    assert states["AcceptOrder"] == "${local.publish_states.accepted}"
    assert {k: unquote(v) for k, v in states["Done"].items()} == {"Type": "Succeed"}
    # The emulation takes the same branches.
    assert workflows.choose({"detail": {"totalAmount": 1000.01}}, 1000) == "FlagOrder"
    assert workflows.choose({"detail": {"totalAmount": 1000}}, 1000) == "AcceptOrder"
    assert workflows.choose({"detail": {"totalAmount": "1500"}}, 1000) == "InvalidOrder"
    assert workflows.choose({"detail": {}}, 1000) == "InvalidOrder"


def test_publishing_tasks_use_the_optimized_putevents_integration_on_this_bus() -> None:
    module = modules()["workflows"]
    tasks = module.locals["publish_states"]

    assert 'Resource = "arn:${local.partition}:states:::events:putEvents"' in tasks
    assert "EventBusName = var.event_bus_name" in tasks
    assert "Source = local.published_source" in tasks and "DetailType = detail_type" in tasks
    assert 'Retry = [{ErrorEquals = ["States.ALL"], IntervalSeconds = 1, MaxAttempts = 3' in tasks
    assert f"MaxAttempts = {workflows.PUBLISH_RETRIES}" in tasks
    assert 'ResultSelector = {detailType = detail_type, "eventId.$" = "$.Entries[0].EventId"}' in tasks
    assert 'Next = "Done"' in tasks


def test_published_events_are_the_ones_the_local_emulation_publishes() -> None:
    module = modules()["workflows"]

    assert unquote(module.locals["published_source"]) == workflows.PUBLISHED_SOURCE
    assert {k: unquote(v) for k, v in module.locals["published_detail_types"].items()} == {
        "flagged": workflows.FLAGGED,
        "accepted": workflows.ACCEPTED,
    }
    detail = {unquote(k): unquote(v) for k, v in module.locals["published_detail"].items()}
    assert detail == {
        **{f"{key}.$": path for key, path in workflows.DETAIL_PATHS.items()},
        "threshold": "${var.high_value_threshold}",
    }


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_published_events_start_no_execution_and_reach_the_batch_queue(env: str) -> None:
    config = load_config(REPO / "environments" / f"{env}.toml")
    events = workflows.sample_published_events(config.processing.high_value_threshold)

    starters = [r for r in config.rules if any(t.target == "order-workflow" for t in r.targets)]
    looping = [
        (r.name, e["detail-type"]) for r in starters for e in events if compile_pattern(r.pattern).matches(e)
    ]
    all_events = compile_pattern(config.rule("all-events").pattern)

    assert [r.name for r in starters] == ([] if env == "dev" else ["order-fulfilment"])
    assert looping == []
    assert [all_events.matches(e) for e in events] == [True, True]


def test_state_machine_role_is_assumed_by_step_functions_for_this_state_machine_only() -> None:
    module = modules()["workflows"]
    (trust,) = statements(module.policy_document("state_machine_assume_role"))

    assert trust.principals == [{"type": "Service", "identifiers": ["states.amazonaws.com"]}]
    assert {"test": "ArnLike", "variable": "aws:SourceArn", "values": ["${local.state_machine_arn}"]} in (
        trust.conditions
    )
    assert {"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["${local.account_id}"]} in (
        trust.conditions
    )
    assert unquote(module.locals["state_machine_arn"]).endswith(":stateMachine:${local.state_machine_name}")


def test_state_machine_may_publish_only_on_the_bus_and_uses_star_only_where_aws_forces_it() -> None:
    module = modules()["workflows"]
    found = {s.sid: s for s in statements(module.policy_document("state_machine"))}

    assert found["PublishOnTheBus"].actions == ["events:PutEvents"]
    assert found["PublishOnTheBus"].resources == ["${var.event_bus_arn}"]
    wildcards = {sid: s.actions for sid, s in found.items() if s.resources == ["*"]}
    assert wildcards == STATE_MACHINE_WILDCARDS
    assert set(found) == {"PublishOnTheBus", *STATE_MACHINE_WILDCARDS}
    text = module.text["iam.tf"]
    assert all(
        "AWS" in line.partition("#")[2]
        for line in text.splitlines()
        if re.search(r'resources\s*=\s*\["\*"\]', line)
    )


def test_target_role_is_assumed_by_eventbridge_only_for_the_rules_that_target_the_workflow() -> None:
    role = modules()["workflows"].module_calls["target_role"]

    # The trust itself (events.amazonaws.com, these rules, this account) is eventbridge_role's, tested there.
    assert unquote(role["source"]) == "../eventbridge_role"
    assert role["rule_arns"] == "${var.rule_arns}"
    assert role["account_id"] == "${local.account_id}"
    assert role["policy_json"] == "${one(data.aws_iam_policy_document.target[*].json)}"
    # lookup(): an environment whose routing table has no workflow rule must still plan (no such key then).
    assert (
        modules()["region_stack"].module_calls["workflows"]["rule_arns"]
        == '${lookup(module.routing.rule_arns_by_target, "order-workflow", [])}'
    )


def test_target_role_may_only_start_executions_of_this_state_machine() -> None:
    (only,) = statements(modules()["workflows"].policy_document("target"))

    assert only.actions == ["states:StartExecution"]
    assert only.resources == ["${aws_sfn_state_machine.this[0].arn}"]


def test_routing_resolves_the_workflow_and_gives_a_role_only_to_targets_that_need_one() -> None:
    stack = modules()["region_stack"]
    target = modules()["routing"].resource("aws_cloudwatch_event_target", "this")

    assert "module.workflows.state_machine_arns" in stack.locals["target_arns"]
    assert (
        stack.module_calls["routing"]["target_role_arns"]
        == "${merge(module.workflows.target_role_arns, module.event_archive.target_role_arns)}"
    )
    assert target.attr("role_arn") == "${lookup(var.target_role_arns, each.value.target, null)}"
    assert modules()["routing"].variables["target_role_arns"]["default"] == {}
    outputs = modules()["workflows"].outputs
    assert '"order-workflow" => machine.arn' in outputs["state_machine_arns"]["value"]
    assert outputs["target_role_arns"]["value"] == (
        '${var.create_workflow ? {"order-workflow" = module.target_role.arn} : {}}'
    )


@pytest.mark.parametrize(
    ("name", "metric"),
    [("state_machine_failed", "ExecutionsFailed"), ("state_machine_timed_out", "ExecutionsTimedOut")],
)
def test_failed_and_timed_out_executions_raise_alarms(name: str, metric: str) -> None:
    alarm = modules()["monitoring"].resource("aws_cloudwatch_metric_alarm", name)

    assert alarm.body["for_each"] == "${var.state_machine_arns}"
    assert alarm.attr("namespace") == "AWS/States"
    assert alarm.attr("metric_name") == metric
    assert alarm.body["dimensions"] == {"StateMachineArn": "${each.value}"}
    assert alarm.body["threshold"] == 1
    assert alarm.attr("alarm_actions") == ["${aws_sns_topic.this.arn}"]
    assert modules()["region_stack"].module_calls["monitoring"]["state_machine_arns"] == (
        "${module.workflows.state_machine_arns}"
    )


def test_module_readme_states_the_type_choice_and_the_local_limitation() -> None:
    readme = (Path(modules()["workflows"].path) / "README.md").read_text()

    assert "EXPRESS" in readme and "STANDARD" in readme
    assert "tooling/local/workflows.py" in readme
