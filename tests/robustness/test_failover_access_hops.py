"""`tooling access` with [failover]: the global endpoint's replication role copies events both ways between
the two buses and nowhere else, producers may publish on the secondary's bus through the endpoint, and the
collector reads the endpoint, its role and the secondary's bus (recorded prod policies as Terraform renders
them, tests/unit/golden/access-prod.json; the collector against moto, whose EventBridge has no endpoint API,
with DescribeEndpoint answered as AWS answers it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tooling.access.collect import Deployment, collect
from tooling.access.hops import evaluate_deployment
from tooling.outputs import DeploymentOutputs, FailoverOutputs, SecondaryOutputs

GOLDEN = Path(__file__).resolve().parents[1] / "unit" / "golden" / "access-prod.json"
TO_SECONDARY = "endpoint replication: bus -> bus (us-west-2)"
TO_PRIMARY = "endpoint replication: bus (us-west-2) -> bus"
PRODUCER_THERE = "producer (publisher policy) -> bus (us-west-2) (through the endpoint)"


def recorded() -> Deployment:
    return Deployment.model_validate_json(GOLDEN.read_text())


def results(deployment: Deployment) -> dict[str, Any]:
    return {r.hop.name: r for r in evaluate_deployment(deployment).results}


def replication_policy(deployment: Deployment) -> dict[str, Any]:
    assert deployment.endpoint is not None and deployment.endpoint.role_arn is not None
    policy: dict[str, Any] = deployment.roles[deployment.endpoint.role_arn].inline["replicate-between-buses"]
    return policy


def test_replication_copies_both_ways_with_each_buses_key_and_nothing_else() -> None:
    found = results(recorded())

    for hop in (TO_SECONDARY, TO_PRIMARY):
        assert found[hop].allowed and found[hop].ok, found[hop].reason
        twins = {name: r for name, r in found.items() if name.startswith(f"{hop} [twin:")}
        assert len(twins) == 3
        assert all(not r.allowed and r.ok for r in twins.values()), {n: r.reason for n, r in twins.items()}
    third_bus = found[f"{TO_SECONDARY} [twin: a third bus (other-bus)]"]
    assert third_bus.reason.startswith("implicit deny")
    # The copy is encrypted by the receiving bus with its own key: the last step is that key's policy.
    assert [s.request.action for s in found[TO_SECONDARY].hop.steps] == [
        "sts:AssumeRole",
        "events:PutEvents",
        "kms:GenerateDataKey",
    ]
    assert found[TO_SECONDARY].hop.steps[2].request.resource.startswith("arn:aws:kms:us-west-2:")


def test_a_replication_policy_without_the_secondary_bus_denies_only_the_copy_there() -> None:
    deployment = recorded()
    (put,) = [s for s in replication_policy(deployment)["Statement"] if s["Sid"] == "PutEventsOnBothBuses"]
    put["Resource"] = [arn for arn in put["Resource"] if ":us-west-2:" not in arn]

    failed = evaluate_deployment(deployment).failures()

    assert [r.hop.name for r in failed] == [TO_SECONDARY]
    assert failed[0].reason.startswith("implicit deny")


def test_a_trust_policy_naming_other_rules_denies_replication() -> None:
    deployment = recorded()
    assert deployment.endpoint is not None and deployment.endpoint.role_arn is not None
    trust = deployment.roles[deployment.endpoint.role_arn].trust
    trust["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"] = [
        "arn:aws:events:us-east-1:111122223333:rule/ecommerce-prod-p9q8r7-bus/ecommerce-prod-p9q8r7-all-events"
    ]

    assert sorted(r.hop.name for r in evaluate_deployment(deployment).failures()) == [
        TO_PRIMARY,
        TO_SECONDARY,
    ]


def test_a_publisher_policy_for_the_primary_bus_alone_fails_publishing_through_the_endpoint() -> None:
    deployment = recorded()
    assert deployment.publisher_policy is not None
    (statement,) = deployment.publisher_policy["Statement"]
    statement["Resource"] = deployment.outputs.event_bus_arn

    assert [r.hop.name for r in evaluate_deployment(deployment).failures()] == [PRODUCER_THERE]


def test_without_replication_there_is_no_replication_hop() -> None:
    deployment = recorded()
    assert deployment.endpoint is not None
    deployment.endpoint.replication = False

    found = results(deployment)

    assert not [name for name in found if "replication:" in name]
    assert found[PRODUCER_THERE].allowed


# -- the collector --------------------------------------------------------------------------------------------

ACCOUNT = "123456789012"  # moto's


class EndpointEvents:
    """moto's events client, plus DescribeEndpoint answered as AWS answers it (moto has no endpoint API)."""

    def __init__(self, client: Any, answer: dict[str, Any]) -> None:
        self._client, self._answer = client, answer

    def describe_endpoint(self, Name: str) -> dict[str, Any]:  # boto3's parameter name
        assert Name == self._answer["Name"]
        return self._answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def moto_stack() -> Iterator[tuple[DeploymentOutputs, dict[str, Any]]]:
    with mock_aws():
        buses = {}
        for region in ("us-east-1", "us-west-2"):
            events = boto3.client("events", region_name=region)
            buses[region] = events.create_event_bus(Name="shop-bus")["EventBusArn"]
        # The collector starts from the primary's outputs: a batch queue and a topic are always there.
        queue_url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="shop-batch")[
            "QueueUrl"
        ]
        topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="shop-notifications")[
            "TopicArn"
        ]
        iam = boto3.client("iam", region_name="us-east-1")
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}]}  # fmt: skip
        role = iam.create_role(
            RoleName="shop-endpoint-replication", AssumeRolePolicyDocument=json.dumps(trust)
        )
        iam.put_role_policy(RoleName="shop-endpoint-replication", PolicyName="replicate-between-buses",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                                {"Effect": "Allow", "Action": "events:PutEvents",
                                 "Resource": list(buses.values())}]}))  # fmt: skip
        answer = {
            "Name": "shop-endpoint",
            "Arn": f"arn:aws:events:us-east-1:{ACCOUNT}:endpoint/shop-endpoint",
            "EventBuses": [{"EventBusArn": buses["us-east-1"]}, {"EventBusArn": buses["us-west-2"]}],
            "ReplicationConfig": {"State": "ENABLED"},
            "RoleArn": role["Role"]["Arn"],
            "EndpointId": "abcde.xyz",
            "EndpointUrl": "https://abcde.xyz.endpoint.events.amazonaws.com",
        }
        secondary = SecondaryOutputs(
            region="us-west-2", event_bus_name="shop-bus", event_bus_arn=buses["us-west-2"], archive_name=""
        )
        outputs = DeploymentOutputs(
            environment="test", region="us-east-1", event_bus_name="shop-bus", event_bus_arn=buses["us-east-1"],
            archive_name="", rule_arns={}, batch_queue_url=queue_url,
            batch_queue_arn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:shop-batch", dead_letter_queue_urls={},
            notifications_topic_arn=topic, function_names={}, log_group_names={},
            failover=FailoverOutputs(
                endpoint_name="shop-endpoint", endpoint_id="abcde.xyz", endpoint_arn=answer["Arn"],
                endpoint_url=answer["EndpointUrl"], primary_region="us-east-1", secondary_region="us-west-2",
                health_check_id="hc", health_alarm_name="shop-failover-health", replication=True,
                secondary=secondary,
            ),
        )  # fmt: skip
        yield outputs, answer


def _client(answer: dict[str, Any]) -> Any:
    def make(service: str, region: str) -> Any:
        client = boto3.client(service, region_name=region)
        return EndpointEvents(client, answer) if service == "events" else client

    return make


def test_the_collector_reads_the_endpoint_its_role_and_both_buses(
    moto_stack: tuple[DeploymentOutputs, dict[str, Any]],
) -> None:
    outputs, answer = moto_stack

    deployment = collect(outputs, _client(answer))

    assert deployment.endpoint is not None
    assert deployment.endpoint.bus_arns == [b["EventBusArn"] for b in answer["EventBuses"]]
    assert deployment.endpoint.replication is True
    assert set(deployment.buses) == set(deployment.endpoint.bus_arns)
    role = deployment.roles[answer["RoleArn"]]
    assert role.inline["replicate-between-buses"]["Statement"][0]["Action"] == "events:PutEvents"
    found = results(deployment)
    assert found["endpoint replication: bus -> bus (us-west-2)"].allowed
    assert found["endpoint replication: bus (us-west-2) -> bus"].allowed


def test_the_collector_without_failover_asks_for_no_endpoint(
    moto_stack: tuple[DeploymentOutputs, dict[str, Any]],
) -> None:
    outputs = moto_stack[0].model_copy(update={"failover": None})

    deployment = collect(outputs, lambda service, region: boto3.client(service, region_name=region))

    assert deployment.endpoint is None
    assert list(deployment.buses) == [outputs.event_bus_arn]
