"""`tooling access` reads the policies as deployed (tooling/access/collect.py): a small stack in moto (bus, rule,
a Lambda and an encrypted queue as targets, a DLQ, a key, a role), read through the APIs, evaluated, and read
again after a change made out of band."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tooling.access.collect import collect
from tooling.access.hops import evaluate_deployment
from tooling.outputs import DeploymentOutputs

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's


def aws(service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region)


@pytest.fixture
def stack() -> Iterator[DeploymentOutputs]:
    with mock_aws():
        yield build_stack()


def build_stack() -> DeploymentOutputs:
    events, sqs, kms, iam, lam, sns = (aws(s) for s in ("events", "sqs", "kms", "iam", "lambda", "sns"))
    bus = events.create_event_bus(Name="shop-bus")["EventBusArn"]
    rule = events.put_rule(Name="shop-orders", EventBusName="shop-bus", EventPattern='{"source": ["shop"]}')[
        "RuleArn"
    ]
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:shop-batch"
    key = kms.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Sid": "EventBridgeToQueue", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
         "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:aws:sqs:arn": queue_arn}}},
    ]}))["KeyMetadata"]["Arn"]  # fmt: skip

    def send_policy(arn: str) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "EventBridge", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule}}}]})  # fmt: skip

    dlq_url = sqs.create_queue(QueueName="shop-events-dlq")["QueueUrl"]
    dlq_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:shop-events-dlq"
    sqs.set_queue_attributes(QueueUrl=dlq_url, Attributes={"Policy": send_policy(dlq_arn)})
    queue_url = sqs.create_queue(QueueName="shop-batch", Attributes={"KmsMasterKeyId": key, "Policy": send_policy(queue_arn)})["QueueUrl"]  # fmt: skip
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}  # fmt: skip
    role = iam.create_role(RoleName="shop-processor", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    iam.put_role_policy(RoleName="shop-processor", PolicyName="logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}))  # fmt: skip
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("h.py", "def handler(event, context):\n    return {}\n")
    function = lam.create_function(
        FunctionName="shop-processor", Runtime="python3.13", Role=role, Handler="h.handler",
        Code={"ZipFile": code.getvalue()},
    )["FunctionArn"]  # fmt: skip
    lam.add_permission(FunctionName="shop-processor", StatementId="AllowShopOrders", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule)  # fmt: skip
    events.put_targets(Rule="shop-orders", EventBusName="shop-bus", Targets=[
        {"Id": "processor", "Arn": function, "DeadLetterConfig": {"Arn": dlq_arn}},
        {"Id": "batch", "Arn": queue_arn, "DeadLetterConfig": {"Arn": dlq_arn}},
    ])  # fmt: skip
    topic = sns.create_topic(Name="shop-notifications")["TopicArn"]
    return DeploymentOutputs(
        environment="test", region=REGION, event_bus_name="shop-bus", event_bus_arn=bus, archive_name="",
        rule_arns={"orders": rule}, batch_queue_url=queue_url, batch_queue_arn=queue_arn,
        dead_letter_queue_urls={"events": dlq_url}, notifications_topic_arn=topic,
        function_names={"processor": "shop-processor"}, log_group_names={},
    )  # fmt: skip


def test_the_policies_are_read_live_with_real_arns_and_the_hops_evaluated(stack: DeploymentOutputs) -> None:
    deployment = collect(stack, lambda service, region: aws(service, region))

    [rule] = deployment.rules
    assert [t.id for t in rule.targets] == ["processor", "batch"]
    queue = deployment.queues[stack.batch_queue_arn]
    assert queue.kms_key is not None and queue.kms_key in deployment.keys
    function = next(iter(deployment.functions.values()))
    assert function.policy is not None
    assert (
        function.policy["Statement"][0]["Condition"]["ArnLike"]["AWS:SourceArn"] == stack.rule_arns["orders"]
    )
    assert deployment.roles[function.role_arn].inline["logs"]["Statement"][0]["Action"] == "logs:PutLogEvents"

    hops = {
        r.hop.name: r.allowed for r in evaluate_deployment(deployment).results if r.hop.kind == "rule-target"
    }
    assert hops["rule orders -> processor"] is True
    assert hops["rule orders -> batch"] is True
    assert not any(allowed for name, allowed in hops.items() if "[twin:" in name)
    # No statement here refuses plain HTTP, so no twin demands it (the stack's queues have one: they do).
    assert "rule orders -> batch [twin: plain HTTP]" not in hops


def test_a_permission_removed_out_of_band_is_seen_on_the_next_read(stack: DeploymentOutputs) -> None:
    aws("lambda").remove_permission(FunctionName="shop-processor", StatementId="AllowShopOrders")

    matrix = evaluate_deployment(collect(stack, lambda service, region: aws(service, region)))

    failed = {r.hop.name: r.reason for r in matrix.failures() if r.hop.kind == "rule-target"}
    assert list(failed) == ["rule orders -> processor"]
    assert failed["rule orders -> processor"].startswith("implicit deny")


def test_a_target_deleted_out_of_band_is_a_denied_hop_not_an_error(stack: DeploymentOutputs) -> None:
    aws("lambda").delete_function(FunctionName="shop-processor")
    stack = stack.model_copy(update={"function_names": {}})

    matrix = evaluate_deployment(collect(stack, lambda service, region: aws(service, region)))

    assert {r.hop.name: r.reason for r in matrix.failures() if r.hop.kind == "rule-target"} == {
        "rule orders -> processor": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop-processor does not exist"
    }
