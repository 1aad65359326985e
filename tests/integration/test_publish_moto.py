"""The publisher through boto3 against moto: bus -> rule -> SQS; every event arrives once, as sent."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tooling.publish.bus import AwsBus
from tooling.publish.events import KINDS, SOURCES, EventFactory, detail_types, parse_entries
from tooling.publish.publisher import PublishSettings, publish

REGION = "us-east-1"
ALL_SOURCES = sorted(SOURCES.values())


@dataclass(frozen=True)
class Deployment:
    bus_name: str
    queue_url: str
    sqs: Any

    def received(self) -> list[dict[str, Any]]:
        """Every event delivered to the queue so far (received once; they stay invisible afterwards)."""
        events: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return events
            events += [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield


@pytest.fixture
def deployment(aws: None) -> Deployment:
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    bus_name = "shop-test-abc123"
    events.create_event_bus(Name=bus_name)
    queue_url = sqs.create_queue(QueueName="shop-test-batch")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="all-events", EventBusName=bus_name, EventPattern=json.dumps({"source": ALL_SOURCES})
    )
    events.put_targets(
        Rule="all-events", EventBusName=bus_name, Targets=[{"Id": "batch-queue", "Arn": queue_arn}]
    )
    return Deployment(bus_name=bus_name, queue_url=queue_url, sqs=sqs)


def _key(event: dict[str, Any]) -> str:
    return str(event["detail"]["idempotencyKey"])


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_arrives_once_with_its_source_and_detail_type(deployment: Deployment, kind: str) -> None:
    factory = EventFactory(seed=11)
    sent = [factory.entry(kind, detail_type) for detail_type in detail_types(kind)]  # type: ignore[arg-type]

    summary = publish(AwsBus(deployment.bus_name, REGION), sent, total=len(sent))

    received = deployment.received()
    assert summary.published == len(sent)
    assert sorted((e["source"], e["detail-type"]) for e in received) == sorted(
        (s["Source"], s["DetailType"]) for s in sent
    )
    assert sorted(e["detail"]["idempotencyKey"] for e in received) == sorted(
        json.loads(s["Detail"])["idempotencyKey"] for s in sent
    )


def test_a_concurrent_batch_arrives_exactly_once(deployment: Deployment) -> None:
    sent = list(EventFactory(seed=5).mixed(120))
    settings = PublishSettings(concurrency=4)

    summary = publish(AwsBus(deployment.bus_name, REGION), sent, settings, total=len(sent))

    received = deployment.received()
    assert summary.published == 120
    assert summary.failed == 0
    assert Counter(_key(e) for e in received) == Counter(
        json.loads(s["Detail"])["idempotencyKey"] for s in sent
    )
    assert Counter(e["source"] for e in received) == Counter(s["Source"] for s in sent)
    by_key = {json.loads(s["Detail"])["idempotencyKey"]: json.loads(s["Detail"]) for s in sent}
    assert all(e["detail"] == by_key[_key(e)] for e in received)


def test_file_entries_keep_their_resources_and_detail(deployment: Deployment) -> None:
    lines = [
        json.dumps(
            {
                "Source": "ecommerce.orders",
                "DetailType": "Order Created",
                "Detail": json.dumps({"orderId": "o-1", "totalAmount": 1500, "idempotencyKey": "file-1"}),
                "Resources": ["arn:aws:ecommerce:us-east-1:123456789012:order/o-1"],
            }
        ),
        json.dumps(
            {
                "source": "ecommerce.users",
                "detail-type": "User Registered",
                "detail": {"idempotencyKey": "file-2"},
            }
        ),
    ]

    summary = publish(AwsBus(deployment.bus_name, REGION), parse_entries(lines), total=2)

    received = sorted(deployment.received(), key=_key)
    assert summary.published == 2
    assert received[0]["resources"] == ["arn:aws:ecommerce:us-east-1:123456789012:order/o-1"]
    assert received[0]["detail"]["totalAmount"] == 1500
    assert received[1]["detail-type"] == "User Registered"


def test_an_oversized_entry_is_refused_and_the_others_arrive(deployment: Deployment) -> None:
    factory = EventFactory(seed=1)
    sent = [
        factory.entry("order"),
        factory.entry("order", overrides={"blob": "x" * 1_100_000}),
        factory.entry("user"),
    ]

    summary = publish(AwsBus(deployment.bus_name, REGION), sent, total=3)

    assert summary.published == 2
    assert [(f.index, f.code) for f in summary.failures] == [(1, "EntryTooLarge")]
    assert len(deployment.received()) == 2


def test_a_missing_bus_raises_the_aws_error(aws: None) -> None:
    with pytest.raises(ClientError) as caught:
        publish(AwsBus("no-such-bus", REGION), list(EventFactory().mixed(3)), total=3)

    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
