"""On moto, with the failover stack's two buses (the same name in two regions, each routing to a queue of its
region): `--region` publishes onto that region's bus, `--no-endpoint` onto the primary's, and nothing reaches
the other region. (Publishing through the endpoint itself needs the endpoint's routing, which moto lacks: the
wire test, test_publish_endpoint_wire.py, records what is sent; the e2e emulator routes it.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

import tooling.clients
from tooling.cli.app import app
from tooling.outputs import OUTPUT_NAMES
from tooling.publish.events import SOURCES

PRIMARY, SECONDARY = "us-east-1", "us-west-2"
BUS = "shop-prod-abc123-bus"


class TwoRegions:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.queues: dict[str, str] = {}
        arns: dict[str, str] = {}
        for region in (PRIMARY, SECONDARY):
            events = boto3.client("events", region_name=region)
            sqs = boto3.client("sqs", region_name=region)
            arns[region] = events.create_event_bus(Name=BUS)["EventBusArn"]
            url = sqs.create_queue(QueueName=f"{BUS}-batch")["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            pattern = json.dumps({"source": sorted(SOURCES.values())})
            events.put_rule(Name="all-events", EventBusName=BUS, EventPattern=pattern)
            events.put_targets(Rule="all-events", EventBusName=BUS, Targets=[{"Id": "q", "Arn": queue_arn}])
            self.queues[region] = url
        values: dict[str, Any] = {
            "region": PRIMARY,
            "event_bus_name": BUS,
            "event_bus_arn": arns[PRIMARY],
            "failover": {
                "endpoint_name": "shop-prod-abc123-endpoint",
                "endpoint_id": "abcde12345.veo",
                "endpoint_arn": f"arn:aws:events:{PRIMARY}:123456789012:endpoint/shop-prod-abc123-endpoint",
                "endpoint_url": "https://abcde12345.veo.endpoint.events.amazonaws.com",
                "primary_region": PRIMARY,
                "secondary_region": SECONDARY,
                "health_check_id": "hc-1",
                "health_alarm_name": "shop-prod-abc123-failover-health",
                "replication": False,
                "secondary": {
                    "region": SECONDARY,
                    "event_bus_name": BUS,
                    "event_bus_arn": arns[SECONDARY],
                    "archive_name": f"{BUS}-archive",
                },
            },
        }
        maps = ("rule_arns", "dead_letter_queue_urls", "function_names", "log_group_names")
        self.outputs_file = root / "outputs.json"
        self.outputs_file.write_text(
            json.dumps({n: {"value": values.get(n, {} if n in maps else "")} for n in OUTPUT_NAMES})
        )

    def received(self, region: str) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", region_name=region)
        found: list[dict[str, Any]] = []
        while messages := sqs.receive_message(QueueUrl=self.queues[region], MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            found += [json.loads(m["Body"]) for m in messages]
            for m in messages:
                sqs.delete_message(QueueUrl=self.queues[region], ReceiptHandle=m["ReceiptHandle"])
        return found

    def publish(self, *args: str) -> Any:
        argv = ["publish", *args, "--outputs", str(self.outputs_file), "--target", "aws", "--engine", "boto3"]
        return CliRunner().invoke(app, argv, env={"TOOLING_ROOT": str(self.root)})


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TwoRegions]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EVENTBRIDGE", "AWS_PROFILE", "TOOLING_ENV"):
        monkeypatch.delenv(name, raising=False)
    tooling.clients.reset()
    with mock_aws():
        yield TwoRegions(tmp_path)
    tooling.clients.reset()


def test_region_publishes_onto_the_secondary_bus_only(stack: TwoRegions) -> None:
    result = stack.publish("order", "--count", "3", "--region", SECONDARY, "--json")

    assert result.exit_code == 0, result.output
    received = stack.received(SECONDARY)
    assert [(e["source"], e["region"]) for e in received] == [("ecommerce.orders", SECONDARY)] * 3
    assert stack.received(PRIMARY) == []


def test_no_endpoint_publishes_onto_the_primary_bus_only(stack: TwoRegions) -> None:
    result = stack.publish("batch", "--count", "12", "--no-endpoint", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["published"] == 12
    primary = stack.received(PRIMARY)
    assert len(primary) == 12 and {e["region"] for e in primary} == {PRIMARY}
    assert stack.received(SECONDARY) == []
