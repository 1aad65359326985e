"""The e2e moto server answers as AWS does where terraform/ needs it (tooling_testing/emulator/moto_patches.py and
schemas_api.py), and starts and stops cleanly."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tooling.errors import UsageError
from tooling_testing.emulator.server import moto_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as url:
        yield url


def client(service: str, endpoint: str, region: str = "us-east-1") -> Any:
    return boto3.client(
        service, region_name=region, endpoint_url=endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip


def allow_events(service: str, resource: str, rule_arn: str) -> str:
    """A resource policy statement letting EventBridge deliver for `rule_arn`, as the stack's are."""
    action = {"sqs": "sqs:SendMessage", "sns": "sns:Publish"}[service]
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "EventBridgeRule", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": action, "Resource": resource, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]})  # fmt: skip


def eventbridge_role(iam: Any, name: str, rule_arn: str, action: str, resource: str) -> str:
    """A target role EventBridge may assume for `rule_arn` only, allowed `action` on `resource`."""
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}  # fmt: skip
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }
    iam.put_role_policy(RoleName=name, PolicyName="target", PolicyDocument=json.dumps(policy))
    return arn


def test_a_queue_keeps_its_policy_when_another_attribute_is_set(endpoint: str) -> None:
    sqs = client("sqs", endpoint)
    url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*"}],
    }

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"RedriveAllowPolicy": '{"redrivePermission":"allowAll"}'}
    )
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy", "RedriveAllowPolicy"])

    assert json.loads(attributes["Attributes"]["Policy"]) == policy
    assert attributes["Attributes"]["RedriveAllowPolicy"] == '{"redrivePermission":"allowAll"}'


def test_redrive_policy_reads_back_compact(endpoint: str) -> None:
    sqs = client("sqs", endpoint)
    dlq = sqs.create_queue(QueueName="d2")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5}, separators=(",", ":"))
    url = sqs.create_queue(QueueName="q2", Attributes={"RedrivePolicy": redrive})["QueueUrl"]

    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"][
        "RedrivePolicy"
    ]

    assert got == redrive


def test_schema_registry_api_round_trip_with_tags(endpoint: str) -> None:
    schemas = client("schemas", endpoint)

    arn = schemas.create_registry(RegistryName="reg", Description="d", Tags={"Project": "p"})["RegistryArn"]
    schemas.create_schema(
        RegistryName="reg", SchemaName="s", Type="JSONSchemaDraft4", Content='{"type":"object"}'
    )
    schemas.update_schema(RegistryName="reg", SchemaName="s", Content='{"type":"array"}')
    schemas.tag_resource(ResourceArn=arn, Tags={"Owner": "o"})

    assert schemas.describe_registry(RegistryName="reg")["Tags"] == {"Project": "p", "Owner": "o"}
    described = schemas.describe_schema(RegistryName="reg", SchemaName="s")
    assert (described["Content"], described["SchemaVersion"]) == ('{"type":"array"}', "2")
    assert len(schemas.list_schema_versions(RegistryName="reg", SchemaName="s")["SchemaVersions"]) == 2
    schemas.delete_registry(RegistryName="reg")
    with pytest.raises(schemas.exceptions.NotFoundException):
        schemas.describe_registry(RegistryName="reg")


def test_put_events_delivers_to_lambda_and_sns_targets_instead_of_failing(endpoint: str) -> None:
    events, sns, sqs = client("events", endpoint), client("sns", endpoint), client("sqs", endpoint)
    topic = sns.create_topic(Name="t")["TopicArn"]
    queue = sqs.create_queue(QueueName="via-sns")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    rule = events.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]}))["RuleArn"]
    sns.set_topic_attributes(
        TopicArn=topic, AttributeName="Policy", AttributeValue=allow_events("sns", topic, rule)
    )
    events.put_targets(
        Rule="r",
        Targets=[
            {"Id": "fn", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:missing"},
            {
                "Id": "topic", "Arn": topic,
                "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '"order <id>"'},
            },
        ],
    )  # fmt: skip

    answer = events.put_events(Entries=[{"Source": "shop", "DetailType": "x", "Detail": '{"id": "o-1"}'}])

    assert answer["FailedEntryCount"] == 0
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"].strip('"') for m in messages] == ["order o-1"]  # moto drops the template's quotes


def test_step_functions_definition_validation_answers(endpoint: str) -> None:
    assert (
        client("stepfunctions", endpoint).validate_state_machine_definition(definition="{}")["result"] == "OK"
    )


def test_a_busy_port_is_one_clear_usage_error(endpoint: str, tmp_path: Path) -> None:
    port = int(endpoint.rsplit(":", 1)[1])

    busy = rf"cannot listen on 127\.0\.0\.1:{port}: the port is in use"
    with pytest.raises(UsageError, match=busy), moto_server(tmp_path / "second.log", port=port):
        pass


def test_the_server_is_gone_after_the_block_even_when_interrupted(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), moto_server(tmp_path / "moto.log") as url:
        port = int(url.rsplit(":", 1)[1])
        socket.create_connection(("127.0.0.1", port), timeout=5).close()  # it is up
        raise KeyboardInterrupt

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_inspection_sees_what_is_left_the_dashboard_and_queue_depth(endpoint: str) -> None:
    from tooling_testing.checks.inspection import dashboards, leftovers, queue_depth

    sqs, cloudwatch = client("sqs", endpoint), client("cloudwatch", endpoint)
    kept = sqs.create_queue(QueueName="shop-dev-abc123-batch")["QueueUrl"]
    sqs.create_queue(QueueName="someone-elses-queue")
    sqs.send_message(QueueUrl=kept, MessageBody="{}")
    body = {"widgets": [{"type": "metric", "properties": {"metrics": [["AWS/SQS", "NumberOfMessagesSent"]]}}]}
    cloudwatch.put_dashboard(DashboardName="shop-dev-abc123", DashboardBody=json.dumps(body))

    assert leftovers("shop-dev-abc123", ["us-east-1", "us-west-2"], endpoint) == [
        f"sqs us-east-1: {kept}",
        "cloudwatch us-east-1: shop-dev-abc123",
    ]
    assert dashboards("shop-dev-abc123", "us-east-1", endpoint) == {"shop-dev-abc123": body}
    assert queue_depth(kept, "us-east-1", endpoint) == 1


def test_an_interrupted_command_takes_its_whole_process_group_with_it(tmp_path: Path) -> None:
    """Ctrl-C (or SIGTERM, which the harness turns into it) during a step stops terraform and its provider
    plugins too: run_group kills the child's whole process group."""
    import signal

    from tooling_testing.emulator.server import run_group

    pid_file = tmp_path / "pid"

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(2)
    try:
        with pytest.raises(KeyboardInterrupt):  # a shell with a grandchild, as terraform with its plugin
            run_group(
                ["sh", "-c", f"echo $$ > {pid_file}; sleep 60 & wait"], cwd=tmp_path, env={}, stderr=None
            )
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

    assert _live_members(int(pid_file.read_text())) == []


def _live_members(group: int) -> list[int]:
    """Processes of a group that still run (a zombie waiting for an init that does not reap is not)."""
    import time

    deadline = time.monotonic() + 5
    while True:
        live = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group and fields[0] != "Z":
                live.append(int(stat.parent.name))
        if not live or time.monotonic() > deadline:
            return live
        time.sleep(0.1)


def test_a_retried_invocation_gets_the_first_answer_instead_of_running_twice(endpoint: str) -> None:
    """The SDK retries an invocation whose response it did not get; the emulator must not create twice."""
    events = client("events", endpoint)
    bus_arn = events.create_event_bus(Name="retried")["EventBusArn"]

    def same_invocation(request: Any, **kwargs: Any) -> None:
        request.headers["amz-sdk-invocation-id"] = "one-invocation"

    events.meta.events.register_first("before-send.events.CreateArchive", same_invocation)
    first = events.create_archive(ArchiveName="retried-archive", EventSourceArn=bus_arn)
    again = events.create_archive(
        ArchiveName="retried-archive", EventSourceArn=bus_arn
    )  # not "already exists"

    assert again["ArchiveArn"] == first["ArchiveArn"]
    assert [a["ArchiveName"] for a in events.list_archives(NamePrefix="retried")["Archives"]] == [
        "retried-archive"
    ]


def test_put_events_reaches_a_firehose_target_as_partitioned_gzip_json_lines(endpoint: str) -> None:
    import gzip

    from tooling_testing.checks.inspection import archive_records, empty_bucket

    s3, events = client("s3", endpoint), client("events", endpoint)
    s3.create_bucket(Bucket="archive-bucket")
    s3.put_bucket_versioning(Bucket="archive-bucket", VersioningConfiguration={"Status": "Enabled"})
    stream = client("firehose", endpoint).create_delivery_stream(
        DeliveryStreamName="archive-stream",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": "arn:aws:s3:::archive-bucket",
            "Prefix": "source=!{partitionKeyFromQuery:source}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/",
            "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
            "CompressionFormat": "GZIP",
            "DynamicPartitioningConfiguration": {"Enabled": True},
            "ProcessingConfiguration": {
                "Enabled": True,
                "Processors": [{"Type": "AppendDelimiterToRecord"}],
            },
        },
    )["DeliveryStreamARN"]
    events.create_event_bus(Name="archive-bus")
    rule = events.put_rule(Name="all", EventBusName="archive-bus", EventPattern='{"source": ["shop.orders"]}')
    role = eventbridge_role(client("iam", endpoint), "eb", rule["RuleArn"], "firehose:PutRecord*", stream)
    events.put_targets(
        Rule="all", EventBusName="archive-bus", Targets=[{"Id": "s3-archive", "Arn": stream, "RoleArn": role}],
    )  # fmt: skip

    answer = events.put_events(
        Entries=[
            {
                "Source": "shop.orders",
                "DetailType": "Order Created",
                "Detail": "{}",
                "EventBusName": "archive-bus",
            }
        ]
    )

    assert answer["FailedEntryCount"] == 0
    [obj] = s3.list_objects_v2(Bucket="archive-bucket")["Contents"]
    assert obj["Key"].startswith("source=shop.orders/year=") and obj["Key"].endswith(".gz")
    body = gzip.decompress(s3.get_object(Bucket="archive-bucket", Key=obj["Key"])["Body"].read()).decode()
    assert body.endswith("\n") and json.loads(body)["detail-type"] == "Order Created"
    assert archive_records("archive-bucket", "us-east-1", endpoint) == (1, 1)
    assert empty_bucket("archive-bucket", "us-east-1", endpoint) == 1
    assert s3.list_object_versions(Bucket="archive-bucket").get("Versions", []) == []


def test_a_tls_only_bucket_policy_lets_requests_through_and_other_denials_still_apply(endpoint: str) -> None:
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="tls-only")
    s3.put_object(Bucket="tls-only", Key="a.gz", Body=b"x")
    s3.put_object(Bucket="tls-only", Key="secret/b", Body=b"y")
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*"}
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                **deny,
                "Resource": "arn:aws:s3:::tls-only/*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {**deny, "Resource": "arn:aws:s3:::tls-only/secret/*"},
        ],
    }
    s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps(policy))

    assert s3.get_object(Bucket="tls-only", Key="a.gz")["Body"].read() == b"x"
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_object(Bucket="tls-only", Key="secret/b")


def test_concurrent_put_events_into_a_queue_with_an_event_source_mapping_all_succeed(endpoint: str) -> None:
    """moto runs a queue's event source mapping inside SendMessage; parallel PutEvents calls raced on the
    same receipt handles and failed whole with ReceiptHandleIsInvalid (2 of 2 runs of this shape before the
    patch serialised the mapping per queue)."""
    import io
    import threading
    import zipfile

    sqs, functions, iam, events = (client(s, endpoint) for s in ("sqs", "lambda", "iam", "events"))
    role = iam.create_role(RoleName="esm-race", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("h.py", "def handler(event, context):\n    return {}\n")
    functions.create_function(
        FunctionName="esm-race", Runtime="python3.13", Role=role, Handler="h.handler",
        Code={"ZipFile": code.getvalue()},
    )  # fmt: skip
    url = sqs.create_queue(QueueName="esm-race", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    functions.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="esm-race",
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    rule = events.put_rule(Name="esm-race", EventPattern=json.dumps({"source": ["esm.race"]}))["RuleArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": allow_events("sqs", arn, rule)})
    events.put_targets(Rule="esm-race", Targets=[{"Id": "queue", "Arn": arn}])
    failures: list[str] = []

    def publish(worker: int) -> None:
        own = client("events", endpoint)
        for call in range(15):
            entries = [
                {
                    "Source": "esm.race",
                    "DetailType": "t",
                    "Detail": json.dumps({"w": worker, "c": call, "n": n}),
                }
                for n in range(10)
            ]
            try:
                answer = own.put_events(Entries=entries)
            except Exception as exc:  # any failure is what the test counts
                failures.append(repr(exc))
                continue
            failures.extend(str(e) for e in answer["Entries"] if "ErrorCode" in e)

    threads = [threading.Thread(target=publish, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []


def test_a_target_its_policy_does_not_allow_is_dead_lettered_as_aws_does(endpoint: str) -> None:
    """moto enforces no policy; the emulator authorizes each hop with the access evaluator. A queue policy
    naming another rule: the event goes to the target's DLQ with EventBridge's permission-error attributes,
    and the rule counts a FailedInvocation; the queue gets nothing. Fixed, the next event is delivered."""
    events, sqs = client("events", endpoint), client("sqs", endpoint)
    urls = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("authz-target", "authz-dlq")}
    arns = {
        name: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for name, url in urls.items()
    }
    rule = events.put_rule(Name="authz", EventPattern=json.dumps({"source": ["authz"]}))["RuleArn"]
    other = rule.replace("rule/authz", "rule/another")
    sqs.set_queue_attributes(
        QueueUrl=urls["authz-target"], Attributes={"Policy": allow_events("sqs", arns["authz-target"], other)}
    )
    sqs.set_queue_attributes(
        QueueUrl=urls["authz-dlq"], Attributes={"Policy": allow_events("sqs", arns["authz-dlq"], rule)}
    )
    events.put_targets(Rule="authz", Targets=[
        {"Id": "q", "Arn": arns["authz-target"], "DeadLetterConfig": {"Arn": arns["authz-dlq"]}}])  # fmt: skip

    answer = events.put_events(Entries=[{"Source": "authz", "DetailType": "t", "Detail": '{"n": 1}'}])

    assert answer["FailedEntryCount"] == 0  # PutEvents itself succeeds: the failure is the delivery's
    assert "Messages" not in sqs.receive_message(QueueUrl=urls["authz-target"], WaitTimeSeconds=0)
    [dead] = sqs.receive_message(QueueUrl=urls["authz-dlq"], MessageAttributeNames=["All"])["Messages"]
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["RULE_ARN"] == rule and attributes["TARGET_ARN"] == arns["authz-target"]
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
    assert "sqs:SendMessage" in attributes["ERROR_MESSAGE"]
    assert json.loads(dead["Body"])["detail"] == {"n": 1}
    failed = client("cloudwatch", endpoint).get_metric_statistics(
        Namespace="AWS/Events", MetricName="FailedInvocations", Dimensions=[{"Name": "RuleName", "Value": "authz"}],
        StartTime="2000-01-01T00:00:00Z", EndTime="2100-01-01T00:00:00Z", Period=3600, Statistics=["Sum"],
    )["Datapoints"]  # fmt: skip
    assert sum(p["Sum"] for p in failed) == 1

    sqs.set_queue_attributes(
        QueueUrl=urls["authz-target"], Attributes={"Policy": allow_events("sqs", arns["authz-target"], rule)}
    )
    import time

    time.sleep(1.1)  # the emulator caches a rule's verdicts for a second
    events.put_events(Entries=[{"Source": "authz", "DetailType": "t", "Detail": '{"n": 2}'}])
    [delivered] = sqs.receive_message(QueueUrl=urls["authz-target"])["Messages"]
    assert json.loads(delivered["Body"])["detail"] == {"n": 2}


def test_an_sns_subscription_without_the_functions_permission_goes_to_its_redrive_dlq(endpoint: str) -> None:
    import io
    import zipfile

    sns, sqs, functions, iam = (client(s, endpoint) for s in ("sns", "sqs", "lambda", "iam"))
    role = iam.create_role(RoleName="authz-fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("h.py", "def handler(event, context):\n    return {}\n")
    fn = functions.create_function(
        FunctionName="authz-fn", Runtime="python3.13", Role=role, Handler="h.handler", Code={"ZipFile": code.getvalue()},
    )["FunctionArn"]  # fmt: skip
    topic = sns.create_topic(Name="authz-topic")["TopicArn"]
    dlq = sqs.create_queue(QueueName="authz-sub-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"Policy": json.dumps({"Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": dlq_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})  # fmt: skip
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn,
                  Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})  # fmt: skip

    sns.publish(TopicArn=topic, Message="high-value order")  # no permission for sns.amazonaws.com

    [dead] = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert json.loads(dead["Body"])["Message"] == "high-value order"
