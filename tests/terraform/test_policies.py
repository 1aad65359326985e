"""Least privilege: Lambda permissions and queue/topic policies are scoped to the rule (or topic, bus,
alarm) ARNs that use them; IAM never says Action "*", and Resource "*" only where AWS forces it, with a
comment saying so."""

from __future__ import annotations

import re

import pytest
from terraform_hcl import (
    TERRAFORM,
    Block,
    Module,
    ResourcePolicy,
    Statement,
    modules,
    referenced_documents,
    resource_policies,
    statements,
    unquote,
)

# (module, policy document, statement sid) allowed to use Resource "*", and the AWS rule that forces it.
WILDCARD_RESOURCES = {
    ("processors", "function", "SendTraces"): "X-Ray trace APIs support no resource-level permissions",
    ("workflows", "state_machine", "SendTraces"): "X-Ray trace APIs support no resource-level permissions",
    (
        "workflows",
        "state_machine",
        "DeliverExecutionLogs",
    ): "the CloudWatch Logs log-delivery APIs take no ARN",
    # Module kms: its account statement and the statement it writes for each service grant.
    ("kms", "this", "AccountAdministersKeyThroughIam"): "a key policy's Resource is always '*' (this key)",
    ("kms", "this", "${statement.value.sid}"): "a key policy's Resource is always '*' (this key)",
}


def _all_statements() -> list[Statement]:
    return [
        s
        for module in modules().values()
        for doc in module.data("aws_iam_policy_document")
        for s in statements(doc)
    ]


def _resource_policy_documents() -> list[Block]:
    docs = []
    for module in modules().values():
        docs += referenced_documents(module, "aws_sqs_queue_policy")
        docs += referenced_documents(module, "aws_sns_topic_policy")
    return docs


# The queue, topic and bucket policies of the stack and of terraform/bootstrap (its state bucket).
POLICY_RESOURCES = {
    "aws_sqs_queue_policy": "sqs",
    "aws_sns_topic_policy": "sns",
    "aws_s3_bucket_policy": "s3",
}
# What each policy resource is attached to, and the argument that names it.
ATTACHED_BY = {
    "aws_sqs_queue_policy": "queue_url",
    "aws_sns_topic_policy": "arn",
    "aws_s3_bucket_policy": "bucket",
}


def _resource_policies() -> list[ResourcePolicy]:
    found = []
    for module in [*modules().values(), Module("bootstrap", TERRAFORM / "bootstrap")]:
        for rtype in POLICY_RESOURCES:
            found += resource_policies(module, rtype)
    return found


def test_every_lambda_permission_names_its_source() -> None:
    permissions = [p for m in modules().values() for p in m.resources("aws_lambda_permission")]

    sources = {p.address: (p.attr("principal"), str(p.body.get("source_arn", ""))) for p in permissions}

    assert len(sources) == 2
    for address, (principal, source_arn) in sources.items():
        expected = {
            "events.amazonaws.com": r"^\$\{aws_cloudwatch_event_rule\.this\[each\.value\.rule\]\.arn\}$",
            "sns.amazonaws.com": r"^\$\{aws_sns_topic\.notifications\[0\]\.arn\}$",
        }[principal]
        assert re.match(expected, source_arn), f"{address}: source_arn {source_arn!r}"


def test_no_iam_statement_allows_every_action() -> None:
    wildcard = [f"{s.document.address} {s.sid}" for s in _all_statements() if "*" in s.actions]

    assert wildcard == []


def test_wildcard_resources_only_where_aws_requires_them_with_a_comment() -> None:
    for statement in _all_statements():
        if "*" not in statement.resources:
            continue
        key = (statement.document.module, statement.document.name, statement.sid)
        assert key in WILDCARD_RESOURCES, f"{statement.document.address} {statement.sid}: Resource '*'"
        where = f"{statement.document.address} {statement.sid}"
        assert statement.comments, f"{where}: '*' needs a comment saying why"


def test_every_wildcard_resource_line_carries_its_reason() -> None:
    for module in modules().values():
        for file, text in module.text.items():
            for line in text.splitlines():
                if re.search(r'resources\s*=\s*\[\s*"\*"\s*\]', line):
                    reason = line.partition("#")[2]
                    assert "AWS" in reason or "KMS" in reason, f"{module.name}/{file}: {line.strip()}"


@pytest.mark.parametrize("document", _resource_policy_documents(), ids=lambda d: d.address)
def test_queue_and_topic_policies_allow_services_only_from_source_arns(document: Block) -> None:
    for statement in statements(document):
        if statement.effect != "Allow":
            continue
        types = {p["type"] for p in statement.principals}
        source_arns = [c for c in statement.conditions if c["variable"] == "aws:SourceArn"]
        assert types == {"Service"}, f"{document.address} {statement.sid}: only service principals"
        assert source_arns, f"{document.address} {statement.sid}: needs an aws:SourceArn condition"
        assert statement.dynamic or "*" not in str(source_arns), f"{document.address} {statement.sid}"


@pytest.mark.parametrize("policy", _resource_policies(), ids=lambda p: p.block.address)
def test_every_queue_topic_and_bucket_policy_takes_the_shared_tls_only_deny(policy: ResourcePolicy) -> None:
    """What the statement says is proven by value in modules/tls_only_policy/tests and in the modules' own
    terraform tests; here, that no policy goes without it, for its own service and resource."""
    block, call = policy.block, policy.tls_only

    assert call is not None, f"{block.address}: its policy carries no tls_only_policy module's json"
    assert unquote(call["service"]) == POLICY_RESOURCES[block.type], block.address
    attached = re.match(r"\$\{(\w+\.\w+)", str(block.body[ATTACHED_BY[block.type]]))
    assert attached is not None, block.address
    resources = str(call["resources"])
    # The deny covers the resource the policy is attached to (a bucket: the bucket and its objects).
    assert attached.group(1) in resources or block.type == "aws_s3_bucket_policy", block.address
    if block.type == "aws_s3_bucket_policy":
        assert '/*"' in resources, block.address


def test_no_policy_document_writes_the_tls_only_deny_itself() -> None:
    pasted = [
        f"{s.document.address} {s.sid}"
        for s in _all_statements()
        if s.document.module != "tls_only_policy"
        and any(c["variable"] == "aws:SecureTransport" for c in s.conditions)
    ]

    assert pasted == []


def test_eventbridge_sends_to_topic_and_queues_only_from_rule_arns() -> None:
    messaging = modules()["messaging"]
    event_statements = [
        s
        for doc in messaging.data("aws_iam_policy_document")
        for s in statements(doc)
        if any("events.amazonaws.com" in p["identifiers"] for p in s.principals)
    ]
    passed = modules()["region_stack"].module_calls["messaging"]["event_source_arns"]

    assert len(event_statements) == 3
    for statement in event_statements:
        assert statement.conditions[0]["test"] == "ArnEquals"
        assert statement.conditions[0]["values"] == "${statement.value}"
    assert passed == {
        "notifications": '${lookup(module.routing.rule_arns_by_target, "notifications", [])}',
        "batch_queue": '${lookup(module.routing.rule_arns_by_target, "batch-queue", [])}',
        "events_dlq": "${concat([module.event_bus.arn], module.routing.dead_letter_rule_arns, "
        "module.forwarding.rule_arns)}",
    }
