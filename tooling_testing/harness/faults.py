"""The faults the e2e run injects through the API, one at a time, to prove that the authorization check can
fail: each breaks one hop the way an out-of-band change or a wrong policy would on AWS. For each, the run
expects `tooling access` to report that hop DENY, a published event to land in the dead-letter queue instead
of the target (the emulator delivers only what the evaluator allows), and `tooling apply` to see the drift
and restore the policy.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tooling_testing.checks.inspection import client

Outputs = dict[str, Any]


@dataclass(frozen=True)
class Fault:
    name: str
    hop: str  # the hop `tooling access` must report DENY
    dead_letter_queue: str  # the key of the dead_letter_queue_urls output the event must land in
    amount: float  # totalAmount of the `tooling publish order` that crosses the broken hop
    rule: (
        str | None
    )  # routing rule whose RULE_ARN the DLQ message carries (None: SNS's redrive, no attributes)
    target: Callable[[Outputs], str] | None  # the TARGET_ARN it carries
    inject: Callable[[Outputs, str], None]


def _function_arn(outputs: Outputs, name: str) -> str:
    account = outputs["event_bus_arn"].split(":")[4]
    return f"arn:aws:lambda:{outputs['region']}:{account}:function:{outputs['function_names'][name]}"


def remove_rule_permission(outputs: Outputs, endpoint: str) -> None:
    """The processor's Lambda permission for the order-events rule, removed."""
    client("lambda", outputs["region"], endpoint).remove_permission(
        FunctionName=outputs["function_names"]["processor"], StatementId="AllowEventBridgeRule-order-events"
    )


def queue_policy_naming_another_rule(outputs: Outputs, endpoint: str) -> None:
    """The batch queue's policy, its EventBridge statement naming order-events instead of all-events."""
    sqs = client("sqs", outputs["region"], endpoint)
    url = outputs["batch_queue_url"]
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    for statement in policy["Statement"]:
        if statement.get("Sid") == "EventBridgeRulesSend":
            statement["Condition"] = {"ArnEquals": {"aws:SourceArn": outputs["rule_arns"]["order-events"]}}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})


def key_policy_without_eventbridge(outputs: Outputs, endpoint: str) -> None:
    """The stack key's policy without the statement that lets events.amazonaws.com encrypt for the queue."""
    sqs = client("sqs", outputs["region"], endpoint)
    key = sqs.get_queue_attributes(QueueUrl=outputs["batch_queue_url"], AttributeNames=["KmsMasterKeyId"])
    kms = client("kms", outputs["region"], endpoint)
    key_id = kms.describe_key(KeyId=key["Attributes"]["KmsMasterKeyId"])["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    policy["Statement"] = [
        s for s in policy["Statement"] if s.get("Sid") != "EventBridgeRulesSendToBatchQueue"
    ]
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))


def remove_topic_permission(outputs: Outputs, endpoint: str) -> None:
    """The notifier's Lambda permission for the notifications topic, removed."""
    client("lambda", outputs["region"], endpoint).remove_permission(
        FunctionName=outputs["function_names"]["notifier"], StatementId="AllowNotificationsTopic"
    )


FAULTS = (
    Fault("lambda permission removed", "rule order-events -> processor", "events", 50.0, "order-events",
          lambda o: _function_arn(o, "processor"), remove_rule_permission),
    Fault("queue policy names another rule", "rule all-events -> batch", "events", 50.0, "all-events",
          lambda o: o["batch_queue_arn"], queue_policy_naming_another_rule),
    Fault("key policy without EventBridge", "rule all-events -> batch", "events", 50.0, "all-events",
          lambda o: o["batch_queue_arn"], key_policy_without_eventbridge),
    Fault("topic permission removed", "topic notifications -> notifier", "notifications", 1500.0, None, None,
          remove_topic_permission),
)  # fmt: skip


def drain(url: str, region: str, endpoint: str) -> list[dict[str, Any]]:
    """Every message of a queue, deleted as read."""
    sqs = client("sqs", region, endpoint)
    found: list[dict[str, Any]] = []
    while True:
        answer = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
        )
        messages = answer.get("Messages", [])
        if not messages:
            return found
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        found += messages


def dead_lettered(fault: Fault, outputs: Outputs, messages: list[dict[str, Any]]) -> bool:
    """Whether the DLQ got the event as AWS sends it: EventBridge's attributes naming the rule, the target
    and a permission error; SNS's redrive, the notification itself."""
    if fault.rule is None:
        return bool(messages)
    rule, target = outputs["rule_arns"][fault.rule], fault.target(outputs) if fault.target else ""
    for message in messages:
        attributes = {k: v.get("StringValue") for k, v in (message.get("MessageAttributes") or {}).items()}
        if (attributes.get("RULE_ARN"), attributes.get("TARGET_ARN"), attributes.get("ERROR_CODE")) == (
            rule,
            target,
            "NO_PERMISSIONS",
        ):
            return True
    return False
