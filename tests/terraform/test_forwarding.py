"""Default-bus forwarding: a rule on the default bus, a bus-to-bus target whose role may only PutEvents on
the custom bus (assumable only by that rule), the events DLQ, alarms on the RuleName dimension, and the
forwarding_rule_arn output; nothing when [forwarding] is off."""

from __future__ import annotations

from terraform_hcl import modules, statements, unquote

TOGGLE = "${var.create_forwarding ? 1 : 0}"


def test_every_forwarding_resource_is_counted_by_create_forwarding() -> None:
    forwarding = modules()["forwarding"]
    blocks = forwarding.resources() + [d for d in forwarding.data() if d.type != "aws_caller_identity"]

    untoggled = [b.address for b in blocks if b.body.get("count") != TOGGLE]

    assert blocks
    assert untoggled == []


def test_the_rule_and_its_target_sit_on_the_default_bus_and_target_the_custom_bus_with_a_dlq() -> None:
    forwarding = modules()["forwarding"]
    rule = forwarding.resource("aws_cloudwatch_event_rule", "this")
    target = forwarding.resource("aws_cloudwatch_event_target", "this")

    assert rule.attr("event_bus_name") == "default"
    assert target.attr("event_bus_name") == "default"
    assert target.attr("arn") == "${var.event_bus_arn}"
    assert target.attr("role_arn") == "${module.role.arn}"
    assert target.body["dead_letter_config"][0]["arn"] == "${var.dead_letter_queue_arn}"


def test_the_role_may_only_put_events_on_the_custom_bus_and_only_the_rule_may_assume_it() -> None:
    forwarding = modules()["forwarding"]

    (statement,) = statements(forwarding.policy_document("put_events"))
    role = forwarding.module_calls["role"]

    assert statement.actions == ["events:PutEvents"]
    assert statement.resources == ["${var.event_bus_arn}"]
    assert forwarding.resources("aws_iam_role_policy_attachment") == []
    # The trust itself (events.amazonaws.com, these rules, this account) is eventbridge_role's, tested there.
    assert unquote(role["source"]) == "../eventbridge_role"
    assert role["rule_arns"] == "${aws_cloudwatch_event_rule.this[*].arn}"
    assert role["account_id"] == "${local.account_id}"
    assert role["policy_json"] == "${one(data.aws_iam_policy_document.put_events[*].json)}"


def test_each_region_wires_forwarding_from_the_environment_file_and_the_root_exports_its_rule_arn() -> None:
    root, stack = modules()["root"], modules()["region_stack"]
    call = stack.module_calls["forwarding"]

    # A standby region (no consumers) forwards nothing: it routes nothing.
    assert call["create_forwarding"] == "${var.consumers && var.forwarding.enabled}"
    assert call["event_bus_arn"] == "${module.event_bus.arn}"
    assert call["dead_letter_queue_arn"] == "${module.messaging.events_dlq_arn}"
    assert stack.module_calls["monitoring"]["forwarding_rule_name"] == "${module.forwarding.rule_name}"
    assert "module.forwarding.rule_arn" in stack.outputs["forwarding_rule_arn"]["value"]
    assert root.outputs["forwarding_rule_arn"]["value"] == "${module.primary.forwarding_rule_arn}"


def test_the_forwarding_alarms_use_the_rule_name_dimension_alone() -> None:
    monitoring = modules()["monitoring"]

    for name in ("forwarding_failed_invocations", "forwarding_dlq_failures"):
        alarm = monitoring.resource("aws_cloudwatch_metric_alarm", name)
        assert alarm.body["dimensions"] == {"RuleName": "${each.value}"}
        assert alarm.attr("namespace") == "AWS/Events"
