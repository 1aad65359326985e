"""The e2e moto server keeps AWS's size limits (tooling.aws_limits): PutEvents takes up to 1 MiB of entries
per request, and an event too large for its target's service (SNS: 256 KiB) is that delivery's failure,
dead-lettered as EventBridge does, while PutEvents itself succeeds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tooling import aws_limits
from tooling.publish.events import entry_size
from tooling_testing.emulator.server import moto_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as url:
        yield url


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service, region_name="us-east-1", endpoint_url=endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip


def allow_events(service: str, resource: str, rule_arn: str) -> str:
    action = {"sqs": "sqs:SendMessage", "sns": "sns:Publish"}[service]
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "EventBridgeRule", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": action, "Resource": resource, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]})  # fmt: skip


def entry_of(size: int, source: str = "sized") -> dict[str, str]:
    """A PutEvents entry whose AWS-counted size is exactly `size` bytes."""
    entry = {"Source": source, "DetailType": "t", "Detail": '{"pad": ""}'}
    entry["Detail"] = json.dumps({"pad": "x" * (size - entry_size(entry))})
    assert entry_size(entry) == size
    return entry


def test_put_events_takes_1_mib_of_entries_and_refuses_one_byte_more(endpoint: str) -> None:
    events = client("events", endpoint)

    answer = events.put_events(Entries=[entry_of(aws_limits.PUT_EVENTS_REQUEST_BYTES)])
    assert answer["FailedEntryCount"] == 0

    with pytest.raises(ClientError) as refused:
        events.put_events(Entries=[entry_of(aws_limits.PUT_EVENTS_REQUEST_BYTES // 2)] * 2 + [entry_of(100)])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert (
        refused.value.response["Error"]["Message"]
        == "Total size of the entries in the request is over the limit."
    )


def test_an_event_over_256_kib_to_an_sns_target_is_dead_lettered_not_published(endpoint: str) -> None:
    events, sns, sqs = client("events", endpoint), client("sns", endpoint), client("sqs", endpoint)
    topic = sns.create_topic(Name="sized-topic")["TopicArn"]
    urls = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("sized-via-sns", "sized-dlq")}
    arns = {
        name: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for name, url in urls.items()
    }
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arns["sized-via-sns"],
        Attributes={"RawMessageDelivery": "true"},
    )
    rule = events.put_rule(Name="sized", EventPattern=json.dumps({"source": ["sized"]}))["RuleArn"]
    sns.set_topic_attributes(
        TopicArn=topic, AttributeName="Policy", AttributeValue=allow_events("sns", topic, rule)
    )
    sqs.set_queue_attributes(
        QueueUrl=urls["sized-dlq"], Attributes={"Policy": allow_events("sqs", arns["sized-dlq"], rule)}
    )
    events.put_targets(
        Rule="sized", Targets=[{"Id": "topic", "Arn": topic, "DeadLetterConfig": {"Arn": arns["sized-dlq"]}}]
    )

    answer = events.put_events(Entries=[entry_of(300 * 1024), entry_of(1000)])

    assert answer["FailedEntryCount"] == 0  # EventBridge takes both; only the big one's delivery fails
    published = sqs.receive_message(QueueUrl=urls["sized-via-sns"], MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert [len(json.loads(m["Body"])["detail"]["pad"]) < 2000 for m in published["Messages"]] == [True]
    [dead] = sqs.receive_message(QueueUrl=urls["sized-dlq"], MessageAttributeNames=["All"])["Messages"]
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert (attributes["ERROR_CODE"], attributes["ERROR_MESSAGE"]) == (
        "SDK_CLIENT_ERROR",
        "Invalid parameter: Message too long",
    )
    assert attributes["RULE_ARN"] == rule and attributes["TARGET_ARN"] == topic
    assert len(json.loads(dead["Body"])["detail"]["pad"]) > 256 * 1024
