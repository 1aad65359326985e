"""The shared role EventBridge assumes for bus, state machine and Firehose targets (modules/eventbridge_role)."""

from __future__ import annotations

from terraform_hcl import modules, statements, unquote


def test_only_the_given_rules_of_this_account_may_assume_the_role() -> None:
    module = modules()["eventbridge_role"]
    (trust,) = statements(module.policy_document("assume_role"))

    assert trust.actions == ["sts:AssumeRole"]
    assert trust.principals == [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]
    assert {(c["test"], c["variable"]): c["values"] for c in trust.conditions} == {
        ("StringEquals", "aws:SourceAccount"): ["${var.account_id}"],
        ("ArnEquals", "aws:SourceArn"): "${var.rule_arns}",
    }
    role = module.resource("aws_iam_role", "this").body
    assert role["assume_role_policy"] == "${data.aws_iam_policy_document.assume_role[0].json}"


def test_the_role_has_exactly_the_callers_inline_policy_and_nothing_attached() -> None:
    module = modules()["eventbridge_role"]
    (policy,) = module.resources("aws_iam_role_policy")

    assert policy.body["policy"] == "${var.policy_json}"
    assert module.resources("aws_iam_role_policy_attachment") == []


def test_forwarding_workflows_and_the_archive_all_use_it() -> None:
    found = modules()
    calls = {
        name: unquote(call["source"])
        for name in ("forwarding", "workflows", "event_archive")
        for call in found[name].module_calls.values()
    }
    assert calls == dict.fromkeys(("forwarding", "workflows", "event_archive"), "../eventbridge_role")
    for name in ("forwarding", "workflows", "event_archive"):
        assert found[name].resources("aws_iam_role_policy_attachment") == []
