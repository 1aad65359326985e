"""Least privilege: Lambda permissions and queue/topic policies are scoped to the rule (or topic, bus,
alarm) ARNs that use them; IAM never says Action "*", and Resource "*" only where AWS forces it, with a
comment saying so."""

from __future__ import annotations

import re

import pytest
from terraform_hcl import Block, Statement, modules, referenced_documents, statements, unquote

# (module, policy document, statement sid) allowed to use Resource "*", and the AWS rule that forces it.
WILDCARD_RESOURCES = {
    ("processors", "function", "SendTraces"): "X-Ray trace APIs support no resource-level permissions",
    ("workflows", "state_machine", "SendTraces"): "X-Ray trace APIs support no resource-level permissions",
    (
        "workflows",
        "state_machine",
        "DeliverExecutionLogs",
    ): "the CloudWatch Logs log-delivery APIs take no ARN",
    **{
        ("messaging", "kms", sid): "a key policy's Resource is always '*' (this key)"
        for sid in (
            "AccountAdministersKeyThroughIam",
            "EventBridgeDescribesKey",
            "EventBridgeEncryptsBusAndArchive",
            "EventBridgePublishesToNotificationsTopic",
            "EventBridgeRulesSendToBatchQueue",
            "CloudWatchAlarmsPublishToOperationsTopic",
            "CloudWatchLogsEncryptsLogGroups",
        )
    },
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


@pytest.mark.parametrize("document", _resource_policy_documents(), ids=lambda d: d.address)
def test_queue_and_topic_policies_refuse_plain_http(document: Block) -> None:
    denies = [s for s in statements(document) if s.effect == "Deny"]

    assert any(
        c == {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
        for s in denies
        for c in s.conditions
    ), document.address


def test_eventbridge_sends_to_topic_and_queues_only_from_rule_arns() -> None:
    messaging = modules()["messaging"]
    event_statements = [
        s
        for doc in messaging.data("aws_iam_policy_document")
        if doc.name != "kms"
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


def _key_statements(module: str) -> dict[str, Statement]:
    return {s.sid: s for s in statements(modules()[module].policy_document("kms"))}


@pytest.mark.parametrize(
    ("module", "encrypts_bus", "bus_arn"),
    [("messaging", "EventBridgeEncryptsBusAndArchive", "${local.event_bus_arn}")],
)
def test_bus_keys_follow_the_documented_archive_policy(module: str, encrypts_bus: str, bus_arn: str) -> None:
    by_sid = _key_statements(module)

    describe, encrypt = by_sid["EventBridgeDescribesKey"], by_sid[encrypts_bus]

    # AWS's documented archive key policy: DescribeKey unconditioned, data keys pinned by the encryption
    # context alone (no aws:SourceAccount, which the archive's KMS calls do not carry).
    assert describe.actions == ["kms:DescribeKey"]
    assert describe.conditions == []
    assert encrypt.conditions == [
        {
            "test": "StringEquals",
            "variable": "kms:EncryptionContext:aws:events:event-bus:arn",
            "values": [bus_arn],
        }
    ]


def test_eventbridge_publishes_to_the_encrypted_topic_by_encryption_context_only() -> None:
    statement = _key_statements("messaging")["EventBridgePublishesToNotificationsTopic"]

    assert statement.principals == [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]
    assert sorted(statement.actions) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    # The SNS developer guide: aws:Source* keys in the key policy are not supported for EventBridge -> topic.
    assert statement.conditions == [
        {
            "test": "StringEquals",
            "variable": "kms:EncryptionContext:aws:sns:topicArn",
            "values": ["${local.notifications_topic_arn}"],
        }
    ]


def test_eventbridge_rules_use_the_key_only_for_the_batch_queue() -> None:
    messaging = modules()["messaging"]
    statement = _key_statements("messaging")["EventBridgeRulesSendToBatchQueue"]

    assert sorted(statement.actions) == ["kms:Decrypt", "kms:GenerateDataKey"]
    # Only the encryption context: SQS passing aws:SourceArn on to KMS is undocumented.
    assert statement.conditions == [
        {
            "test": "StringEquals",
            "variable": "kms:EncryptionContext:aws:sqs:arn",
            "values": ["${local.batch_queue_arn}"],
        },
    ]
    assert messaging.resource("aws_sqs_queue", "batch").body["name"] == "${local.batch_queue_name}"
    assert unquote(messaging.locals["batch_queue_arn"]).endswith(":${local.batch_queue_name}")


def test_cloudwatch_uses_the_key_only_for_the_operations_topic() -> None:
    stack, messaging = modules()["region_stack"], modules()["messaging"]
    statement = _key_statements("messaging")["CloudWatchAlarmsPublishToOperationsTopic"]

    assert statement.principals == [{"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}]
    assert statement.conditions == [
        {
            "test": "StringEquals",
            "variable": "kms:EncryptionContext:aws:sns:topicArn",
            "values": ["${local.operations_topic_arn}"],
        }
    ]
    assert unquote(messaging.locals["operations_topic_arn"]).endswith(":${var.operations_topic_name}")
    # The key policy and the topic get the one name the region's stack builds.
    assert stack.module_calls["messaging"]["operations_topic_name"] == "${local.operations_topic_name}"
    assert stack.module_calls["monitoring"]["topic_name"] == "${local.operations_topic_name}"
    assert modules()["monitoring"].resource("aws_sns_topic", "this").body["name"] == "${var.topic_name}"


def test_no_key_statement_serves_a_dead_letter_queue() -> None:
    principals = {
        identifier
        for s in _key_statements("messaging").values()
        for p in s.principals
        for identifier in p["identifiers"]
        if p["type"] == "Service"
    }
    bus_arn_sources = [
        s.sid
        for s in _key_statements("messaging").values()
        for c in s.conditions
        if c["variable"] == "aws:SourceArn" and "${local.event_bus_arn}" in c["values"]
    ]

    # The DLQs use SSE-SQS: neither SNS (notifications DLQ) nor the bus (events DLQ) needs the key for them.
    assert "sns.amazonaws.com" not in principals
    assert bus_arn_sources == []
