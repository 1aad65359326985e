"""The AWS side of the monitor's forwarding view against moto: the rule on the default bus and its target."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from tooling.observe.aws_sources import AwsMonitorSource
from tooling.observe.forwarding import forwarding_problems, forwarding_view
from tooling.outputs import DeploymentOutputs

REGION = "us-east-1"


def _outputs(bus_arn: str, forwarding_rule_arn: str) -> DeploymentOutputs:
    return DeploymentOutputs(
        region=REGION,
        event_bus_name="shop-dev-abc123-bus",
        event_bus_arn=bus_arn,
        archive_name="shop-dev-abc123-archive",
        rule_arns={},
        batch_queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/q",
        batch_queue_arn="arn:aws:sqs:us-east-1:123456789012:q",
        dead_letter_queue_urls={},
        notifications_topic_arn="arn:aws:sns:us-east-1:123456789012:t",
        function_names={},
        log_group_names={},
        forwarding_rule_arn=forwarding_rule_arn,
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


def test_the_forwarding_rule_on_the_default_bus_is_described_with_its_bus_target(aws: None) -> None:
    events = boto3.client("events", region_name=REGION)
    bus_arn = events.create_event_bus(Name="shop-dev-abc123-bus")["EventBusArn"]
    pattern = {"source": ["aws.ec2"]}
    rule_arn = events.put_rule(Name="shop-dev-abc123-forward-default", EventPattern=json.dumps(pattern))[
        "RuleArn"
    ]
    events.put_targets(
        Rule="shop-dev-abc123-forward-default",
        Targets=[
            {
                "Id": "custom-bus",
                "Arn": bus_arn,
                "RoleArn": "arn:aws:iam::123456789012:role/shop-dev-abc123-forward-default",
                "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:123456789012:events-dlq"},
            }
        ],
    )
    outputs = _outputs(bus_arn, rule_arn)
    end = datetime.now(UTC)

    view = forwarding_view(AwsMonitorSource(outputs), outputs, end - timedelta(hours=1), end)

    assert view is not None and view.exists
    assert (view.state, view.pattern, view.target_arn) == ("ENABLED", pattern, bus_arn)
    assert view.dead_letter_arn == "arn:aws:sqs:us-east-1:123456789012:events-dlq"
    assert view.metrics.failed_invocations == 0
    assert forwarding_problems(view, outputs) == []


def test_a_forwarding_rule_missing_from_the_default_bus_is_critical(aws: None) -> None:
    events = boto3.client("events", region_name=REGION)
    bus_arn = events.create_event_bus(Name="shop-dev-abc123-bus")["EventBusArn"]
    outputs = _outputs(bus_arn, f"arn:aws:events:{REGION}:123456789012:rule/shop-dev-abc123-forward-default")
    end = datetime.now(UTC)

    view = forwarding_view(AwsMonitorSource(outputs), outputs, end - timedelta(hours=1), end)

    assert view is not None and not view.exists
    assert forwarding_problems(view, outputs) == [
        ("critical", "forwarding (default bus)", "in the outputs but not on the default bus")
    ]
