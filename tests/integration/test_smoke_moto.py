"""`tooling smoke` on the AWS path against moto: the canaries go through boto3's PutEvents to a custom bus whose
rules (dev.toml's patterns and input transformers) moto evaluates; the evidence is read with the AWS sources
(FilterLogEvents, DynamoDB Query, S3 list and get, Step Functions list and describe).

moto runs no function and delivers rules only to queues, so each target is a queue here, and a stand-in for
the deployed consumers runs the real handlers (lambda_src) on what arrives, between the smoke's looks: their
log lines go to the function's log group, the batch processor writes the event store table, the archive
stand-in writes Firehose's gzip JSON lines object. Only the transport (Lambda, SNS, Firehose) is stood in for.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tooling import clients
from tooling.config import Config, load_config
from tooling.local.provision import outputs_for
from tooling.naming import Arns, Names
from tooling.observe.aws_workflow import AwsWorkflowSource
from tooling.outputs import DeploymentOutputs
from tooling.smoke.run import Settings, SmokeReport, run_smoke
from tooling.targets import bus_for, sources_for
from tooling.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCOUNT = "123456789012"
sys.path.insert(0, str(REPO / "lambda_src"))
for _name, _value in {
    "POWERTOOLS_SERVICE_NAME": "ecommerce-events-test",
    "POWERTOOLS_METRICS_NAMESPACE": "EcommerceEvents",
    "POWERTOOLS_TRACE_DISABLED": "true",
}.items():
    os.environ.setdefault(_name, _value)

from event_processors import analytics, batch_processor, notifier, processor  # noqa: E402
from event_processors.observability import logger  # noqa: E402
from event_processors.settings import reset_settings  # noqa: E402

HANDLERS = {"processor": processor, "notifier": notifier, "analytics": analytics}


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("TOOLING_ROOT", str(tmp_path))
    # The functions' settings, as Terraform sets them (the notifier's idempotency in a file here).
    monkeypatch.setenv("IDEMPOTENCY_SQLITE_PATH", str(tmp_path / "idempotency.sqlite3"))
    monkeypatch.setenv("EVENT_STORE_TTL_DAYS", "90")
    clients.reset()
    with mock_aws():
        yield
    clients.reset()
    reset_settings()
    batch_processor.event_store.cache_clear()
    notifier.idempotency_store.cache_clear()


class Context:
    function_name = "stand-in"
    function_version = "$LATEST"
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:stand-in"
    memory_limit_in_mb = 256
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class Tap:
    """A rule target of the deployed stack, stood in for by a queue moto delivers to."""

    rule: str
    target: str
    queue_url: str


class StandInStack:
    """The dev stack on moto: bus, rules (patterns and transformers from the environment file), the event
    store table, the archive bucket, the log groups; `consume` plays the consumers once."""

    def __init__(self, config: Config, outputs: DeploymentOutputs) -> None:
        self.config, self.outputs = config, outputs
        self.events, self.sqs = boto3.client("events", REGION), boto3.client("sqs", REGION)
        self.logs, self.s3 = boto3.client("logs", REGION), boto3.client("s3", REGION)
        self.taps: list[Tap] = []
        self.broken: set[str] = set()
        self.events.create_event_bus(Name=outputs.event_bus_name)
        self.sqs.create_queue(QueueName=outputs.batch_queue_url.rsplit("/", 1)[-1])
        for group in outputs.log_group_names.values():
            self.logs.create_log_group(logGroupName=group)
        self.s3.create_bucket(Bucket=outputs.s3_archive_bucket_name)
        create_event_store(outputs.event_store_table_name)
        for rule in config.rules:
            name = f"{outputs.event_bus_name.removesuffix('-bus')}-{rule.name}"
            self.events.put_rule(
                Name=name, EventBusName=outputs.event_bus_name, EventPattern=rule.pattern_json
            )
            targets = []
            for target in rule.targets:
                if target.target == "batch-queue":
                    url = self.sqs.get_queue_url(QueueName=outputs.batch_queue_url.rsplit("/", 1)[-1])[
                        "QueueUrl"
                    ]
                else:
                    url = self.sqs.create_queue(QueueName=f"tap-{rule.name}-{target.target_id}")["QueueUrl"]
                arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                    "QueueArn"
                ]
                self.taps.append(Tap(rule.name, target.target, url))
                spec: dict[str, Any] = {"Id": target.target_id, "Arn": arn}
                if target.input_transformer is not None:
                    spec["InputTransformer"] = {
                        "InputPathsMap": target.input_transformer.input_paths,
                        "InputTemplate": target.input_transformer.input_template,
                    }
                targets.append(spec)
            self.events.put_targets(Rule=name, EventBusName=outputs.event_bus_name, Targets=targets)

    def consume(self) -> None:
        for tap in self.taps:
            messages = self.sqs.receive_message(QueueUrl=tap.queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            for message in messages:
                self.sqs.delete_message(QueueUrl=tap.queue_url, ReceiptHandle=message["ReceiptHandle"])
                if f"{tap.rule} -> {tap.target}" not in self.broken:
                    self.deliver(tap, message)

    def deliver(self, tap: Tap, message: dict[str, Any]) -> None:
        body = message["Body"]
        if tap.target == "batch-queue":
            record = {"messageId": message["MessageId"], "body": body, "eventSource": "aws:sqs"}
            self.invoke("batch-processor", batch_processor, {"Records": [record]})
        elif tap.target == "notifications":
            sns = {
                "MessageId": message["MessageId"],
                "Message": body,
                "TopicArn": self.outputs.notifications_topic_arn,
            }
            self.invoke("notifier", notifier, {"Records": [{"EventSource": "aws:sns", "Sns": sns}]})
        elif tap.target == "s3-archive":
            event = json.loads(body)
            now = datetime.now(UTC)
            key = f"source={event['source']}/year={now:%Y}/month={now:%m}/day={now:%d}/stream-1-{message['MessageId']}.gz"
            self.s3.put_object(
                Bucket=self.outputs.s3_archive_bucket_name, Key=key, Body=gzip.compress(body.encode() + b"\n")
            )
        else:
            self.invoke(tap.target, HANDLERS[tap.target], json.loads(body))

    def invoke(self, function: str, module: Any, event: dict[str, Any]) -> None:
        """The real handler; what its logger writes goes to the function's log group, as Lambda's would."""
        stream = io.StringIO()
        previous = logger.registered_handler.setStream(stream)  # type: ignore[attr-defined]
        try:
            module.handler(event, Context())
        finally:
            logger.registered_handler.setStream(previous)  # type: ignore[attr-defined]
        lines = [line for line in stream.getvalue().splitlines() if line.strip()]
        if lines:
            group = self.outputs.log_group_names[function]
            stream_name = f"2026/11/30/[$LATEST]{time.monotonic_ns()}"
            self.logs.create_log_stream(logGroupName=group, logStreamName=stream_name)
            now = int(time.time() * 1000)
            self.logs.put_log_events(
                logGroupName=group, logStreamName=stream_name,
                logEvents=[{"timestamp": now, "message": line} for line in lines],
            )  # fmt: skip


def create_event_store(table: str) -> None:
    boto3.client("dynamodb", REGION).create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "source", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "source-time",
                "KeySchema": [
                    {"AttributeName": "source", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> StandInStack:
    config = load_config(REPO / "environments" / "dev.toml")
    outputs = outputs_for(config, Names.of(config, "abc123"), Arns(REGION, ACCOUNT)).model_copy(
        update={
            "target": "aws",
            "batch_queue_url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/ecommerce-dev-abc123-batch",
        }
    )
    monkeypatch.setenv("EVENT_STORE_TABLE", outputs.event_store_table_name)
    return StandInStack(config, outputs)


def smoke(stack: StandInStack, timeout: float = 20) -> SmokeReport:
    workspace = Workspace.for_env("dev")

    def consumers_then_wait(seconds: float) -> None:
        stack.consume()
        time.sleep(min(seconds, 0.05))

    return run_smoke(
        stack.config, sources_for(stack.outputs, workspace),
        lambda kind: bus_for(stack.outputs, workspace, "boto3"),
        environment="dev", settings=Settings(timeout=timeout, interval=0.05), sleep=consumers_then_wait,
    )  # fmt: skip


def test_on_aws_every_publishable_dev_route_is_seen_where_it_lands(stack: StandInStack) -> None:
    report = smoke(stack)

    statuses = {r.route: r.status for r in report.routes}
    assert statuses == {
        "order-events -> processor": "seen",
        "high-value-orders -> notifications": "seen",
        "user-registration -> processor": "seen",
        "all-events -> batch-queue": "seen",
        "all-events -> s3-archive": "seen",
        "all-events -> analytics": "seen",
        "aws-service-events -> analytics": "skipped",  # AWS refuses aws.* sources from PutEvents
    }
    assert report.ok and report.summary_line() == "smoke: 6/6 routes seen, 1 skipped"
    evidence = {r.route: r.evidence for r in report.routes}
    assert evidence["all-events -> s3-archive"].startswith("s3://ecommerce-dev-abc123-events-archive/source=")
    assert (
        evidence["high-value-orders -> notifications"]
        == "/aws/lambda/ecommerce-dev-abc123-notifier: Canary handled"
    )


def test_on_aws_the_stored_canary_expires_after_a_day(stack: StandInStack) -> None:
    report = smoke(stack)

    canary = next(r.canary_id for r in report.routes if r.target == "batch-queue")
    items = boto3.client("dynamodb", REGION).scan(TableName=stack.outputs.event_store_table_name)["Items"]
    [item] = [i for i in items if i["business_key"]["S"] == canary]
    assert 0 < int(item["expiration"]["N"]) - time.time() <= 86400 + 120


def test_on_aws_a_route_whose_consumer_is_down_is_silent(stack: StandInStack) -> None:
    stack.broken.add("all-events -> analytics")

    report = smoke(stack, timeout=3)

    silent = [r.route for r in report.routes if r.status == "silent"]
    assert silent == ["all-events -> analytics"]
    assert not report.ok


def test_executions_of_a_standard_state_machine_are_listed_with_their_input() -> None:
    sfn = boto3.client("stepfunctions", REGION)
    iam = boto3.client("iam", REGION)
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    arn = sfn.create_state_machine(
        name="ecommerce-dev-abc123-order-fulfilment", definition=definition, roleArn=role
    )["stateMachineArn"]
    since = datetime.now(UTC).replace(microsecond=0)
    sfn.start_execution(stateMachineArn=arn, input=json.dumps({"detail": {"orderId": "canary-x-1"}}))

    executions = AwsWorkflowSource(arn, REGION).executions(since)

    assert executions is not None and len(executions) == 1
    assert "canary-x-1" in executions[0].input


def test_an_express_state_machine_that_cannot_be_listed_answers_none() -> None:
    sfn = boto3.client("stepfunctions", REGION)
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:ecommerce-dev-abc123-order-fulfilment"
    with Stubber(sfn) as stub:
        stub.add_client_error(
            "list_executions", "StateMachineTypeNotSupported", "This operation is not supported by this type"
        )

        assert AwsWorkflowSource(arn, REGION, sfn=sfn).executions(datetime.now(UTC)) is None
