"""The shared role EventBridge assumes for bus, state machine and Firehose targets (modules/eventbridge_role):
its layout and who uses it. What it renders is in modules/eventbridge_role/tests (terraform test)."""

from __future__ import annotations

from terraform_hcl import modules, unquote


def test_the_role_has_no_attached_policy_only_the_callers_inline_one() -> None:
    module = modules()["eventbridge_role"]

    # Its trust and inline policy, rendered, are in modules/eventbridge_role/tests (terraform test).
    assert [b.type for b in module.resources()] == ["aws_iam_role", "aws_iam_role_policy"]
    assert module.resources("aws_iam_role_policy_attachment") == []


def test_forwarding_workflows_and_the_archive_all_use_it() -> None:
    found = modules()
    calls = {
        name: unquote(call["source"])
        for name in ("forwarding", "workflows", "s3_archive")
        for call in found[name].module_calls.values()
        if unquote(call["source"]) != "../tls_only_policy"
    }
    assert calls == dict.fromkeys(("forwarding", "workflows", "s3_archive"), "../eventbridge_role")
    for name in ("forwarding", "workflows", "s3_archive"):
        assert found[name].resources("aws_iam_role_policy_attachment") == []
