"""The e2e moto server emulates regional failover (tooling_testing/emulator/endpoints_api.py, health_checks.py,
replication.py, global_tables.py): EventBridge global endpoints as AWS answers them, PutEvents through an
endpoint routed by the Route 53 health check's CloudWatch alarm, replication to the other region once, and
DynamoDB global tables whose replicas share their items. Each test failed against moto 5.2.5 alone."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from tooling_testing.emulator.server import moto_server

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
PRIMARY, SECONDARY = "us-east-1", "us-west-2"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as url:
        yield url


def client(service: str, endpoint: str, region: str = PRIMARY) -> Any:
    return boto3.client(
        service, region_name=region, endpoint_url=endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip


def bus_arn(region: str, name: str) -> str:
    return f"arn:aws:events:{region}:{ACCOUNT}:event-bus/{name}"


def put_events_sigv4a(endpoint: str, endpoint_id: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """PutEvents as the SDK sends it through a global endpoint: SigV4a, whose credential scope names no
    region (`X-Amz-Region-Set: *`). botocore signs it so only with awscrt; moto verifies no signature."""
    date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    request = urllib.request.Request(
        endpoint + "/", method="POST",
        data=json.dumps({"Entries": entries, "EndpointId": endpoint_id}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSEvents.PutEvents",
            "X-Amz-Date": date, "X-Amz-Region-Set": "*",
            "Authorization": f"AWS4-ECDSA-P256-SHA256 Credential=testing/{date[:8]}/events/aws4_request, "
                             "SignedHeaders=host;x-amz-date;x-amz-region-set;x-amz-target, Signature=3045",
        },
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as answer:
        result: dict[str, Any] = json.loads(answer.read())
    return result


class Stack:
    """Two regions' buses of one name, each with a rule delivering to an SQS queue; a health alarm in the
    primary, a CLOUDWATCH_METRIC health check on it, a replication role and a global endpoint."""

    def __init__(
        self, endpoint: str, name: str, *, replication: bool, insufficient: str = "Unhealthy"
    ) -> None:
        self.endpoint, self.name = endpoint, name
        self.queues: dict[str, str] = {}
        for region in (PRIMARY, SECONDARY):
            events, sqs = client("events", endpoint, region), client("sqs", endpoint, region)
            events.create_event_bus(Name=name)
            rule = events.put_rule(Name=f"{name}-all", EventBusName=name,
                                   EventPattern=json.dumps({"source": ["shop.orders"]}))["RuleArn"]  # fmt: skip
            url = sqs.create_queue(QueueName=f"{name}-target")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            policy = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
                "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule}}}]}  # fmt: skip
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
            events.put_targets(Rule=f"{name}-all", EventBusName=name, Targets=[{"Id": "q", "Arn": arn}])
            self.queues[region] = url
        self.alarm = f"{name}-failover-health"
        client("cloudwatch", endpoint).put_metric_alarm(
            AlarmName=self.alarm, Namespace="AWS/Events", MetricName="IngestionToInvocationStartLatency",
            Dimensions=[{"Name": "EventBusName", "Value": name}], Statistic="Average", Period=30,
            EvaluationPeriods=10, Threshold=30000, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
        self.health_check = client("route53", endpoint).create_health_check(
            CallerReference=name, HealthCheckConfig={
                "Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Region": PRIMARY, "Name": self.alarm},
                "InsufficientDataHealthStatus": insufficient},
        )["HealthCheck"]["Id"]  # fmt: skip
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}]}  # fmt: skip
        role = client("iam", endpoint).create_role(RoleName=f"{name}-replication",
                                                   AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]  # fmt: skip
        self.created = client("events", endpoint).create_endpoint(
            Name=f"{name}-endpoint", RoutingConfig=self.routing(), EventBuses=self.buses(), RoleArn=role,
            ReplicationConfig={"State": "ENABLED" if replication else "DISABLED"},
        )  # fmt: skip
        self.described = client("events", endpoint).describe_endpoint(Name=f"{name}-endpoint")
        self.endpoint_id = self.described["EndpointId"]

    def routing(self, secondary: str = SECONDARY) -> dict[str, Any]:
        return {"FailoverConfig": {
            "Primary": {"HealthCheck": f"arn:aws:route53:::healthcheck/{self.health_check}"},
            "Secondary": {"Route": secondary}}}  # fmt: skip

    def buses(self, secondary_name: str | None = None) -> list[dict[str, str]]:
        return [{"EventBusArn": bus_arn(PRIMARY, self.name)},
                {"EventBusArn": bus_arn(SECONDARY, secondary_name or self.name)}]  # fmt: skip

    def alarm_state(self, state: str) -> None:
        client("cloudwatch", self.endpoint).set_alarm_state(AlarmName=self.alarm, StateValue=state,
                                                            StateReason="drill")  # fmt: skip

    def publish(self, key: str) -> dict[str, Any]:
        entry = {"Source": "shop.orders", "DetailType": "Order Created", "EventBusName": self.name,
                 "Detail": json.dumps({"idempotencyKey": key})}  # fmt: skip
        return put_events_sigv4a(self.endpoint, self.endpoint_id, [entry])

    def received(self, region: str) -> list[dict[str, Any]]:
        sqs = client("sqs", self.endpoint, region)
        found: list[dict[str, Any]] = []
        while messages := sqs.receive_message(QueueUrl=self.queues[region], MaxNumberOfMessages=10,
                                              WaitTimeSeconds=0).get("Messages", []):  # fmt: skip
            found += [json.loads(m["Body"]) for m in messages]
            for message in messages:
                sqs.delete_message(QueueUrl=self.queues[region], ReceiptHandle=message["ReceiptHandle"])
        return found


def keys(events: list[dict[str, Any]]) -> list[str]:
    return sorted(e["detail"]["idempotencyKey"] for e in events)


# -- the endpoints API ---------------------------------------------------------------------------------------


def test_endpoint_round_trip_as_aws_answers_it(endpoint: str) -> None:
    stack = Stack(endpoint, "crud", replication=False)
    events = client("events", endpoint)

    described = stack.described

    assert (stack.created["State"], described["State"]) == ("CREATING", "CREATING")
    assert events.describe_endpoint(Name="crud-endpoint")["State"] == "ACTIVE"  # the provider's waiter
    assert described["EndpointUrl"] == f"https://{described['EndpointId']}.endpoint.events.amazonaws.com"
    assert described["Arn"] == f"arn:aws:events:{PRIMARY}:{ACCOUNT}:endpoint/crud-endpoint"
    assert described["EventBuses"] == stack.buses() and described["RoutingConfig"] == stack.routing()
    assert described["ReplicationConfig"] == {"State": "DISABLED"}
    assert [e["Name"] for e in events.list_endpoints(NamePrefix="crud")["Endpoints"]] == ["crud-endpoint"]
    assert client("events", endpoint, SECONDARY).list_endpoints(NamePrefix="crud")["Endpoints"] == []

    updated = events.update_endpoint(Name="crud-endpoint", Description="failover for crud")
    assert (updated["State"], updated["EndpointId"]) == ("UPDATING", described["EndpointId"])
    again = events.describe_endpoint(Name="crud-endpoint")
    assert (again["Description"], again["State"]) == ("failover for crud", "UPDATING")
    assert events.describe_endpoint(Name="crud-endpoint")["State"] == "ACTIVE"

    events.delete_endpoint(Name="crud-endpoint")
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_endpoint(Name="crud-endpoint")


def test_endpoint_refusals_are_aws_errors(endpoint: str) -> None:
    stack = Stack(endpoint, "refused", replication=False)
    events = client("events", endpoint)

    with pytest.raises(events.exceptions.ResourceAlreadyExistsException):
        events.create_endpoint(Name="refused-endpoint", RoutingConfig=stack.routing(), EventBuses=stack.buses(),
                               ReplicationConfig={"State": "DISABLED"})  # fmt: skip
    with pytest.raises(events.exceptions.ClientError, match=r"ValidationException.*same name"):
        events.create_endpoint(Name="other", RoutingConfig=stack.routing(),
                               EventBuses=stack.buses(secondary_name="another-bus"),
                               ReplicationConfig={"State": "DISABLED"})  # fmt: skip
    with pytest.raises(events.exceptions.ClientError, match=r"ValidationException.*RoleArn is required"):
        events.create_endpoint(Name="other", RoutingConfig=stack.routing(), EventBuses=stack.buses())
    with pytest.raises(events.exceptions.ClientError, match=r"ValidationException.*secondary route"):
        events.create_endpoint(Name="other", RoutingConfig=stack.routing(secondary="eu-west-1"),
                               EventBuses=stack.buses(), ReplicationConfig={"State": "DISABLED"})  # fmt: skip
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.delete_endpoint(Name="never-created")


# -- routing by the health check's alarm -------------------------------------------------------------------


def test_the_health_check_follows_its_alarm_and_reads_back_as_route53_answers(endpoint: str) -> None:
    stack = Stack(endpoint, "health", replication=False)
    route53 = client("route53", endpoint)

    def status() -> str:
        observations = route53.get_health_check_status(HealthCheckId=stack.health_check)
        return str(observations["HealthCheckObservations"][0]["StatusReport"]["Status"]).split(":")[0]

    config = route53.get_health_check(HealthCheckId=stack.health_check)["HealthCheck"]["HealthCheckConfig"]
    assert config["AlarmIdentifier"] == {"Region": PRIMARY, "Name": stack.alarm}
    assert config["InsufficientDataHealthStatus"] == "Unhealthy"
    assert "Port" not in config and "RequestInterval" not in config  # else every re-plan changes the check
    assert status() == "Success"
    stack.alarm_state("ALARM")
    assert status() == "Failure"
    stack.alarm_state("INSUFFICIENT_DATA")  # the check's InsufficientDataHealthStatus decides
    assert status() == "Failure"
    stack.alarm_state("OK")
    assert status() == "Success"


def test_missing_data_inversion_and_disabling_decide_as_route53_does(endpoint: str) -> None:
    stack = Stack(endpoint, "rules", replication=False, insufficient="LastKnownStatus")
    route53 = client("route53", endpoint)

    def healthy() -> bool:
        observations = route53.get_health_check_status(HealthCheckId=stack.health_check)
        return str(observations["HealthCheckObservations"][0]["StatusReport"]["Status"]).startswith("Success")

    stack.alarm_state("ALARM")
    assert healthy() is False
    stack.alarm_state("INSUFFICIENT_DATA")
    assert healthy() is False  # LastKnownStatus: still unhealthy
    route53.update_health_check(HealthCheckId=stack.health_check, InsufficientDataHealthStatus="Healthy")
    assert healthy() is True
    config = route53.get_health_check(HealthCheckId=stack.health_check)["HealthCheck"]["HealthCheckConfig"]
    assert config["AlarmIdentifier"]["Name"] == stack.alarm  # an update keeps the alarm
    route53.update_health_check(HealthCheckId=stack.health_check, Inverted=True)
    assert healthy() is False
    route53.update_health_check(HealthCheckId=stack.health_check, Disabled=True)
    assert healthy() is True  # Route 53 considers a disabled check healthy


def test_events_through_the_endpoint_follow_the_alarm_between_regions(endpoint: str) -> None:
    stack = Stack(endpoint, "routed", replication=False)

    first = stack.publish("before-1")
    stack.alarm_state("ALARM")
    stack.publish("during-1")
    stack.publish("during-2")
    during = {region: stack.received(region) for region in (PRIMARY, SECONDARY)}
    stack.alarm_state("OK")
    stack.publish("after-1")

    assert first["FailedEntryCount"] == 0
    assert keys(during[PRIMARY]) == ["before-1"]
    assert keys(during[SECONDARY]) == ["during-1", "during-2"]
    assert {e["region"] for e in during[SECONDARY]} == {SECONDARY}  # the bus that received it
    assert keys(stack.received(PRIMARY)) == ["after-1"]
    assert stack.received(SECONDARY) == []


def test_an_alarm_without_data_fails_over_when_the_check_says_unhealthy(endpoint: str) -> None:
    stack = Stack(endpoint, "nodata", replication=False)
    stack.alarm_state("INSUFFICIENT_DATA")

    stack.publish("k-1")

    assert keys(stack.received(SECONDARY)) == ["k-1"] and stack.received(PRIMARY) == []


def test_an_unknown_endpoint_id_is_refused(endpoint: str) -> None:
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as refused:
        put_events_sigv4a(endpoint, "nosuchid00.abc", [{"Source": "s", "DetailType": "d", "Detail": "{}"}])

    assert json.loads(refused.value.read())["__type"] == "ResourceNotFoundException"


def test_replication_copies_each_custom_event_to_the_other_region_once(endpoint: str) -> None:
    stack = Stack(endpoint, "replicated", replication=True)

    stack.publish("healthy-1")
    stack.alarm_state("ALARM")
    stack.publish("failed-over-1")
    primary, secondary = stack.received(PRIMARY), stack.received(SECONDARY)

    assert keys(primary) == ["failed-over-1", "healthy-1"]
    assert keys(secondary) == ["failed-over-1", "healthy-1"]  # once each: a copy is not copied back
    by_key = {e["detail"]["idempotencyKey"]: e for e in secondary}
    assert by_key["healthy-1"]["region"] == PRIMARY  # the copy keeps the region that received it
    assert by_key["failed-over-1"]["region"] == SECONDARY
    assert {e["id"] for e in primary}.isdisjoint({e["id"] for e in secondary})  # ids differ by region
    client("events", endpoint).put_events(Entries=[{
        "Source": "aws.ec2", "DetailType": "EC2 Instance State-change Notification", "EventBusName": "replicated",
        "Detail": "{}"}])  # fmt: skip
    assert stack.received(SECONDARY) == []  # AWS service events are not replicated


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("awscrt") is None,
    reason="awscrt is not installed: botocore signs EndpointId requests (SigV4a) only with it",
)
def test_boto3_put_events_with_endpoint_id_is_routed(endpoint: str) -> None:
    stack = Stack(endpoint, "sdk", replication=False)
    stack.alarm_state("ALARM")

    answer = client("events", endpoint).put_events(EndpointId=stack.endpoint_id, Entries=[{
        "Source": "shop.orders", "DetailType": "Order Created", "EventBusName": "sdk",
        "Detail": json.dumps({"idempotencyKey": "sdk-1"})}])  # fmt: skip

    assert answer["FailedEntryCount"] == 0
    assert keys(stack.received(SECONDARY)) == ["sdk-1"] and stack.received(PRIMARY) == []


# -- DynamoDB global tables ----------------------------------------------------------------------------------


def test_a_global_table_replica_shares_items_and_conditional_puts(endpoint: str) -> None:
    east, west = client("dynamodb", endpoint), client("dynamodb", endpoint, SECONDARY)
    east.create_table(
        TableName="idempotency", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )  # fmt: skip

    east.update_table(TableName="idempotency", ReplicaUpdates=[{"Create": {"RegionName": SECONDARY}}])
    east.put_item(TableName="idempotency", Item={"pk": {"S": "order-1"}, "region": {"S": PRIMARY}})

    described = east.describe_table(TableName="idempotency")["Table"]
    assert described["Replicas"] == [{"RegionName": SECONDARY, "ReplicaStatus": "ACTIVE"}]
    assert described["GlobalTableVersion"] == "2019.11.21"
    assert west.describe_table(TableName="idempotency")["Table"]["Replicas"][0]["RegionName"] == PRIMARY
    assert west.get_item(TableName="idempotency", Key={"pk": {"S": "order-1"}})["Item"]["region"] == {
        "S": PRIMARY
    }
    with pytest.raises(west.exceptions.ConditionalCheckFailedException):
        west.put_item(TableName="idempotency", Item={"pk": {"S": "order-1"}, "region": {"S": SECONDARY}},
                      ConditionExpression="attribute_not_exists(pk)")  # fmt: skip

    east.update_table(TableName="idempotency", ReplicaUpdates=[{"Delete": {"RegionName": SECONDARY}}])
    assert "Replicas" not in east.describe_table(TableName="idempotency")["Table"]
    with pytest.raises(west.exceptions.ResourceNotFoundException):
        west.describe_table(TableName="idempotency")
    assert "Item" in east.get_item(TableName="idempotency", Key={"pk": {"S": "order-1"}})


def test_a_replica_needs_the_stream_replication_reads(endpoint: str) -> None:
    east = client("dynamodb", endpoint)
    east.create_table(
        TableName="no-stream", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )  # fmt: skip

    with pytest.raises(east.exceptions.ClientError, match="NEW_AND_OLD_IMAGES"):
        east.update_table(TableName="no-stream", ReplicaUpdates=[{"Create": {"RegionName": SECONDARY}}])
    with pytest.raises(east.exceptions.ClientError, match="local region"):
        east.update_table(TableName="no-stream", ReplicaUpdates=[{"Create": {"RegionName": PRIMARY}}])


# -- the consumers' code, run for the drill ------------------------------------------------------------------

CONSUMER = """
import os

import boto3


def handler(event, context):
    boto3.client("dynamodb").put_item(TableName=os.environ["TABLE"], Item={
        "pk": {"S": event["detail"]["idempotencyKey"]}, "region": {"S": event["region"]},
        "processed_in": {"S": os.environ["AWS_REGION"]}, "request": {"S": context.aws_request_id}})
    return {"stored": event["detail"]["idempotencyKey"]}
"""


def switch_functions(endpoint: str, run: bool) -> bool:
    request = urllib.request.Request(
        endpoint + "/_e2e/functions", method="POST", data=json.dumps({"run": run}).encode()
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return bool(json.loads(answer.read())["run"])


def test_while_switched_on_each_region_runs_its_consumers_code(endpoint: str) -> None:
    """moto records an invocation without running it; the drill needs the consumers' writes."""
    import io
    import zipfile

    stack = Stack(endpoint, "consumers", replication=True)
    east = client("dynamodb", endpoint)
    east.create_table(
        TableName="consumers-store", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )  # fmt: skip
    east.update_table(TableName="consumers-store", ReplicaUpdates=[{"Create": {"RegionName": SECONDARY}}])
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("consumer.py", CONSUMER)
    role = client("iam", endpoint).create_role(RoleName="consumer", AssumeRolePolicyDocument="{}")["Role"][
        "Arn"
    ]
    for region in (PRIMARY, SECONDARY):
        functions, events = client("lambda", endpoint, region), client("events", endpoint, region)
        arn = functions.create_function(
            FunctionName="consumer", Runtime="python3.13", Role=role, Handler="consumer.handler",
            Code={"ZipFile": code.getvalue()}, Environment={"Variables": {"TABLE": "consumers-store"}},
        )["FunctionArn"]  # fmt: skip
        rule = events.put_rule(Name="to-consumer", EventBusName="consumers",
                               EventPattern=json.dumps({"source": ["shop.orders"]}))["RuleArn"]  # fmt: skip
        functions.add_permission(FunctionName="consumer", StatementId="events", Action="lambda:InvokeFunction",
                                 Principal="events.amazonaws.com", SourceArn=rule)  # fmt: skip
        events.put_targets(Rule="to-consumer", EventBusName="consumers", Targets=[{"Id": "fn", "Arn": arn}])

    def stored(key: str) -> dict[str, str]:
        item = client("dynamodb", endpoint, SECONDARY).get_item(
            TableName="consumers-store", Key={"pk": {"S": key}}
        )
        return {k: v["S"] for k, v in item.get("Item", {}).items() if k in ("region", "processed_in")}

    stack.publish("off-1")  # moto's default: the invocation is recorded, nothing runs
    assert switch_functions(endpoint, True) is True
    try:
        stack.alarm_state("ALARM")
        stack.publish("on-1")
        answer = client("lambda", endpoint).invoke(FunctionName="consumer", Payload=json.dumps({
            "detail": {"idempotencyKey": "direct-1"}, "region": PRIMARY}))  # fmt: skip
    finally:
        assert switch_functions(endpoint, False) is False

    assert stored("off-1") == {}
    # Received by the secondary; its consumer and the replicated copy's both wrote the one shared item.
    assert stored("on-1")["region"] == SECONDARY
    assert stored("on-1")["processed_in"] in (PRIMARY, SECONDARY)
    assert json.loads(answer["Payload"].read()) == {"stored": "direct-1"}
    assert stored("direct-1") == {"region": PRIMARY, "processed_in": PRIMARY}


# -- the e2e harness's drill step ---------------------------------------------------------------------------

LINE = "failover drill: primary 10, secondary 10, back 10, 0 lost, 0 duplicated effects"


def test_the_drill_summary_passes_only_with_traffic_in_each_phase_and_nothing_lost() -> None:
    from tooling.errors import ToolingError
    from tooling_testing.harness.run import drill_summary

    assert drill_summary({"ok": True, "summary": LINE}) == (LINE, True)
    assert drill_summary({"ok": False, "summary": LINE})[1] is False
    lost = "failover drill: primary 10, secondary 10, back 10, 2 lost, 0 duplicated effects"
    assert drill_summary({"ok": True, "summary": lost})[1] is False
    idle = "failover drill: primary 10, secondary 0, back 10, 0 lost, 0 duplicated effects"
    assert drill_summary({"ok": True, "summary": idle})[1] is False
    with pytest.raises(ToolingError, match="no summary line"):
        drill_summary({"ok": True, "summary": "drill done"})


def test_the_harness_runs_the_drill_with_functions_running_only_when_outputs_hold_failover(
    endpoint: str, tmp_path: Any, repo_root: Any
) -> None:
    from tooling_testing.harness.run import Run

    run = Run(repo_root, "prod", tmp_path, progress=lambda line: None)
    calls: list[tuple[tuple[str, ...], bool]] = []

    def tooling_code(step: str, *args: str) -> tuple[int, str]:
        with urllib.request.urlopen(endpoint + "/_e2e/functions", timeout=30) as answer:
            calls.append((args, json.loads(answer.read())["run"]))
        return 0, json.dumps({"ok": True, "summary": LINE, "phases": []})

    run.tooling_code = tooling_code  # type: ignore[method-assign]

    run.failover_drill({"failover": None}, endpoint)
    assert calls == [] and run.result.failover_drill is None

    run.failover_drill({"failover": {"endpoint_id": "abc.def"}}, endpoint)
    assert calls == [(("failover", "drill", "--yes", "--json"), True)]  # the consumers ran meanwhile
    assert (run.result.failover_drill, run.result.failover_drill_ok) == (LINE, True)
    assert switch_functions(endpoint, False) is False  # and no longer run after it
    run.result.planned = run.result.applied = 1
    assert f", {LINE}, destroyed" in run.result.summary()  # the prod line carries it


AGAIN = """
import json

import boto3


def handler(event, context):
    if event["depth"] == 0:
        return {"depth": 0}
    answer = boto3.client("lambda").invoke(FunctionName="again", Payload=json.dumps({"depth": 0}))
    return {"depth": event["depth"], "inner": json.loads(answer["Payload"].read())}
"""


def test_a_function_whose_call_invokes_itself_again_does_not_wait_for_itself(endpoint: str) -> None:
    import io
    import zipfile

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("again.py", AGAIN)
    role = client("iam", endpoint).create_role(RoleName="again", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    functions = client("lambda", endpoint)
    functions.create_function(FunctionName="again", Runtime="python3.13", Role=role, Handler="again.handler",
                              Code={"ZipFile": code.getvalue()}, Timeout=10)  # fmt: skip

    switch_functions(endpoint, True)
    try:
        answer = functions.invoke(FunctionName="again", Payload=json.dumps({"depth": 1}))
    finally:
        switch_functions(endpoint, False)

    assert json.loads(answer["Payload"].read()) == {"depth": 1, "inner": {"depth": 0}}
