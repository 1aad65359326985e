"""Issue 23, item 5 on AWS: the failover backend reads the endpoint through EventBridge DescribeEndpoint
(not in moto: stubbed with botocore's Stubber), CloudWatch and Route 53 (moto), sets the health alarm with
SetAlarmState in the primary region, and counts the event store's items (DynamoDB, moto) by region.

Which region receives is Route 53's verdict; moto's GetHealthCheckStatus always reports "Success", so these
tests also show the rule for a report that lags the alarm: the alarm decides once it has held its state
for Route 53's interval."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tooling.failover.aws import AwsFailoverBackend
from tooling.observe.aws_failover import (
    ROUTE53_INTERVAL_SECONDS,
    AwsEndpointReader,
    alarm_verdict,
    combined_verdict,
    route53_verdict,
)
from tooling.observe.aws_sources import AwsMonitorSource
from tooling.observe.monitor import build_snapshot
from tooling.outputs import DeploymentOutputs, FailoverOutputs, SecondaryOutputs

PRIMARY, SECONDARY = "us-east-1", "us-west-2"
PREFIX = "ecommerce-prod-abc123"
ACCOUNT = "123456789012"
ALARM = f"{PREFIX}-failover-health"
TABLE = f"{PREFIX}-events"


def _outputs(health_check_id: str) -> DeploymentOutputs:
    bus = f"{PREFIX}-bus"
    return DeploymentOutputs(
        target="aws",
        environment="prod",
        region=PRIMARY,
        event_bus_name=bus,
        event_bus_arn=f"arn:aws:events:{PRIMARY}:{ACCOUNT}:event-bus/{bus}",
        archive_name=f"{PREFIX}-archive",
        rule_arns={},
        batch_queue_url="",
        batch_queue_arn="",
        dead_letter_queue_urls={},
        notifications_topic_arn="",
        function_names={},
        log_group_names={},
        event_store_table_name=TABLE,
        failover=FailoverOutputs(
            endpoint_name=f"{PREFIX}-endpoint",
            endpoint_id="abcde.xyz",
            endpoint_arn=f"arn:aws:events:{PRIMARY}:{ACCOUNT}:endpoint/{PREFIX}-endpoint",
            endpoint_url="https://abcde.xyz.endpoint.events.amazonaws.com",
            primary_region=PRIMARY,
            secondary_region=SECONDARY,
            health_check_id=health_check_id,
            health_alarm_name=ALARM,
            replication=True,
            secondary=SecondaryOutputs(
                region=SECONDARY,
                event_bus_name=bus,
                event_bus_arn=f"arn:aws:events:{SECONDARY}:{ACCOUNT}:event-bus/{bus}",
                archive_name=f"{PREFIX}-archive",
            ),
        ),
    )


ENDPOINT = {
    "Name": f"{PREFIX}-endpoint",
    "Arn": f"arn:aws:events:{PRIMARY}:{ACCOUNT}:endpoint/{PREFIX}-endpoint",
    "EndpointId": "abcde.xyz",
    "EndpointUrl": "https://abcde.xyz.endpoint.events.amazonaws.com",
    "State": "ACTIVE",
    "ReplicationConfig": {"State": "ENABLED"},
}


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        cloudwatch = boto3.client("cloudwatch", region_name=PRIMARY)
        cloudwatch.put_metric_alarm(
            AlarmName=ALARM,
            Namespace="AWS/Events",
            MetricName="IngestionToInvocationStartLatency",
            Dimensions=[{"Name": "EventBusName", "Value": f"{PREFIX}-bus"}],
            Statistic="Average",
            Period=60,
            EvaluationPeriods=5,
            Threshold=30000,
            ComparisonOperator="GreaterThanThreshold",
            TreatMissingData="notBreaching",
        )
        cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="healthy")
        route53 = boto3.client("route53", region_name=PRIMARY)
        check = route53.create_health_check(
            CallerReference="failover",
            HealthCheckConfig={"Type": "CLOUDWATCH_METRIC", "Inverted": False},
        )["HealthCheck"]["Id"]
        dynamodb = boto3.client("dynamodb", region_name=PRIMARY)
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield {"cloudwatch": cloudwatch, "route53": route53, "dynamodb": dynamodb, "check": check}


def _stubbed_events(*responses: dict[str, Any] | None) -> Any:
    """An events client whose DescribeEndpoint answers these (None: ResourceNotFoundException)."""
    events = boto3.client("events", region_name=PRIMARY)
    stubber = Stubber(events)
    for response in responses:
        if response is None:
            stubber.add_client_error(
                "describe_endpoint", "ResourceNotFoundException", "Endpoint does not exist."
            )
        else:
            stubber.add_response("describe_endpoint", response, {"Name": f"{PREFIX}-endpoint"})
    stubber.activate()
    return events


def _backend(aws: dict[str, Any], *responses: dict[str, Any] | None) -> AwsFailoverBackend:
    return AwsFailoverBackend(
        _outputs(aws["check"]),
        events=_stubbed_events(*responses),
        cloudwatch=aws["cloudwatch"],
        route53=aws["route53"],
        dynamodb=aws["dynamodb"],
    )


def test_a_healthy_endpoint_sends_to_the_primary(aws: dict[str, Any]) -> None:
    status = _backend(aws, ENDPOINT).status()

    assert (status.state, status.health_check, status.alarm_state) == ("ACTIVE", "Healthy", "OK")
    assert status.receiving_region == PRIMARY
    assert status.replication is True
    assert status.replication_lag_seconds is None  # AWS publishes no replication-lag metric


def test_set_alarm_uses_set_alarm_state_and_the_alarm_decides_once_it_has_held(aws: dict[str, Any]) -> None:
    backend = _backend(aws, ENDPOINT, ENDPOINT)

    backend.set_alarm("ALARM", "failover drill")
    alarm = aws["cloudwatch"].describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]
    assert (alarm["StateValue"], alarm["StateReason"]) == ("ALARM", "failover drill")
    reader = AwsEndpointReader(
        backend.failover,
        events=backend.reader.events,
        cloudwatch=aws["cloudwatch"],
        route53=aws["route53"],
    )
    changed = alarm["StateUpdatedTimestamp"].astimezone(UTC)
    just_set = reader.status(now=changed + timedelta(seconds=5))
    held = reader.status(now=changed + timedelta(seconds=ROUTE53_INTERVAL_SECONDS + 1))

    # moto's Route 53 says "Success" whatever the alarm: its report wins until the alarm has held 30 s.
    assert (just_set.alarm_state, just_set.health_check, just_set.receiving_region) == (
        "ALARM",
        "Healthy",
        PRIMARY,
    )
    assert (held.health_check, held.receiving_region) == ("Unhealthy", SECONDARY)


def test_a_missing_endpoint_is_reported_missing(aws: dict[str, Any]) -> None:
    status = _backend(aws, None).status()

    assert status.state == "MISSING"
    assert status.endpoint_id == "abcde.xyz"  # from the outputs


def test_the_event_store_items_are_read_with_their_regions(aws: dict[str, Any]) -> None:
    def put(key: str, sk_time: str, region: str, processed_in: str | None) -> None:
        event = {"region": region, "detail": {"idempotencyKey": key}}
        item = {
            "pk": {"S": "ecommerce.orders#Order Created"},
            "sk": {"S": f"{sk_time}#{key}"},
            "event": {"S": json.dumps(event)},
            "region": {"S": region},
        }
        if processed_in:
            item["processed_in"] = {"S": processed_in}
        aws["dynamodb"].put_item(TableName=TABLE, Item=item)

    put("k-old", "2026-11-26T09:00:00Z", PRIMARY, PRIMARY)
    put("k-1", "2026-11-26T10:00:01Z", PRIMARY, PRIMARY)
    put("k-2", "2026-11-26T10:00:02Z", SECONDARY, SECONDARY)

    items = _backend(aws).stored(["ecommerce.orders#Order Created"], "2026-11-26T10:00:00Z")

    assert sorted((i.key, i.region, i.processed_in) for i in items) == [
        ("k-1", PRIMARY, PRIMARY),
        ("k-2", SECONDARY, SECONDARY),
    ]


def test_the_aws_monitor_shows_the_endpoint_and_reads_the_secondary_in_its_region(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = _outputs(aws["check"])
    queues = {}
    for region in (PRIMARY, SECONDARY):
        events = boto3.client("events", region_name=region)
        events.create_event_bus(Name=f"{PREFIX}-bus")
        events.create_archive(
            ArchiveName=f"{PREFIX}-archive",
            EventSourceArn=f"arn:aws:events:{region}:{ACCOUNT}:event-bus/{PREFIX}-bus",
        )
        sqs = boto3.client("sqs", region_name=region)
        queues[region] = sqs.create_queue(QueueName=f"{PREFIX}-batch-queue")["QueueUrl"]
    assert outputs.failover is not None
    second = outputs.failover.secondary.model_copy(update={"batch_queue_url": queues[SECONDARY]})
    outputs = outputs.model_copy(
        update={
            "batch_queue_url": queues[PRIMARY],
            "failover": outputs.failover.model_copy(update={"secondary": second}),
        }
    )
    # DescribeEndpoint is not in moto: the reader the monitor builds gets the stubbed events client.
    stubbed = _stubbed_events(ENDPOINT)
    reader = AwsEndpointReader
    monkeypatch.setattr(
        "tooling.observe.aws_sources.AwsEndpointReader",
        lambda failover, **clients: reader(failover, **{**clients, "events": stubbed}),
    )

    snapshot = build_snapshot(AwsMonitorSource(outputs), outputs, timedelta(hours=1), now=datetime.now(UTC))

    assert snapshot.failover is not None
    assert snapshot.failover.endpoint.receiving_region == PRIMARY
    assert [(r.region, r.role, r.receiving, r.archived_events) for r in snapshot.failover.regions] == [
        (PRIMARY, "primary", True, 0),
        (SECONDARY, "secondary", False, 0),
    ]
    assert snapshot.health.status == "OK", snapshot.health.verdict


@pytest.mark.parametrize(
    ("statuses", "verdict"),
    [
        (["Success: alarm OK"] * 3, "Healthy"),
        (["Failure: alarm ALARM"] * 3, "Unhealthy"),
        (["Failure: x"] * 5 + ["Success: y"], "Unhealthy"),  # 1 of 6 is under Route 53's 18%
        (["Failure: x"] * 4 + ["Success: y"], "Healthy"),  # 1 of 5 is over it
        ([], "Unknown"),
    ],
)
def test_route53_verdict_follows_the_share_of_healthy_checkers(statuses: list[str], verdict: str) -> None:
    observations = [{"StatusReport": {"Status": status}} for status in statuses]

    assert route53_verdict(observations) == verdict


def test_the_alarm_verdict_honours_insufficient_data_and_inversion() -> None:
    assert alarm_verdict("ALARM", inverted=False, insufficient="Unhealthy") == "Unhealthy"
    assert alarm_verdict("INSUFFICIENT_DATA", inverted=False, insufficient="Unhealthy") == "Unhealthy"
    assert alarm_verdict("INSUFFICIENT_DATA", inverted=False, insufficient="LastKnownStatus") == "Unknown"
    assert alarm_verdict("OK", inverted=True, insufficient="Unhealthy") == "Unhealthy"
    assert combined_verdict("Unhealthy", "Unhealthy", 0.0) == "Unhealthy"
    assert combined_verdict("Healthy", "Unhealthy", 1.0) == "Healthy"
    assert combined_verdict("Unknown", "Unhealthy", None) == "Unhealthy"
