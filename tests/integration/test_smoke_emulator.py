"""What `tooling smoke` reads on the e2e server (tooling_testing/emulator): while functions run, a handler's
output lands in its function's log group (FilterLogEvents finds it), and an SNS notification reaches a
subscribed function with its own MessageId and topic, as SNS delivers it."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tooling_testing.emulator.server import functions_running, moto_server

pytestmark = pytest.mark.slow

HANDLER = """
import json


def handler(event, context):
    if "Records" not in event:  # from a rule: the EventBridge event itself
        print(json.dumps({"message": "Canary handled", "canary_id": event["detail"]["id"], "time": event["time"]}))
        return {"ok": True}
    record = event["Records"][0]["Sns"]
    print(json.dumps({"message": "Canary handled", "canary_id": record["Message"], "sns": record["MessageId"],
                      "topic": record["TopicArn"]}))
    return {"ok": True}
"""


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as url:
        yield url


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service, region_name="us-east-1", endpoint_url=endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip


def function(endpoint: str, name: str) -> str:
    """A Python zip function running HANDLER; its ARN."""
    functions, iam = client("lambda", endpoint), client("iam", endpoint)
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("h.py", HANDLER)
    return str(
        functions.create_function(
            FunctionName=name, Runtime="python3.13", Role=role, Handler="h.handler", Code={"ZipFile": code.getvalue()},
        )["FunctionArn"]
    )  # fmt: skip


def subscribed_function(endpoint: str, name: str) -> str:
    """A Python function subscribed to a new topic, with the permission SNS needs; the topic's ARN."""
    sns, functions = client("sns", endpoint), client("lambda", endpoint)
    fn = function(endpoint, name)
    topic = str(sns.create_topic(Name=f"{name}-topic")["TopicArn"])
    functions.add_permission(
        FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com",
        SourceArn=topic,
    )  # fmt: skip
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn)
    return topic


def test_a_running_function_behind_sns_writes_its_output_to_its_log_group(endpoint: str) -> None:
    topic = subscribed_function(endpoint, "smoke-fn")
    logs = client("logs", endpoint)

    with functions_running(endpoint):
        first = client("sns", endpoint).publish(TopicArn=topic, Message="canary-run-1")["MessageId"]
        second = client("sns", endpoint).publish(TopicArn=topic, Message="canary-run-2")["MessageId"]
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while len(found) < 2 and time.monotonic() < deadline:
            events = logs.filter_log_events(
                logGroupName="/aws/lambda/smoke-fn", filterPattern='"canary-run-"'
            )
            found = [json.loads(e["message"]) for e in events["events"]]
            time.sleep(0.2)

    assert sorted((f["canary_id"], f["sns"]) for f in found) == sorted(
        [("canary-run-1", first), ("canary-run-2", second)]
    )
    assert {f["topic"] for f in found} == {topic}


def test_while_functions_do_not_run_a_notification_is_only_recorded(endpoint: str) -> None:
    topic = subscribed_function(endpoint, "idle-fn")

    client("sns", endpoint).publish(TopicArn=topic, Message="canary-idle")

    groups = client("logs", endpoint).describe_log_groups(logGroupNamePrefix="/aws/lambda/idle-fn")[
        "logGroups"
    ]
    assert groups == []  # no code ran, nothing was written


def test_a_rule_hands_a_function_the_event_time_as_eventbridge_writes_it(endpoint: str) -> None:
    events, functions, logs = client("events", endpoint), client("lambda", endpoint), client("logs", endpoint)
    fn = function(endpoint, "rule-fn")
    events.create_event_bus(Name="smoke-bus")
    rule = events.put_rule(
        Name="smoke-rule", EventBusName="smoke-bus", EventPattern='{"source": ["smoke.test"]}'
    )
    functions.add_permission(
        FunctionName="rule-fn", StatementId="events", Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com", SourceArn=rule["RuleArn"],
    )  # fmt: skip
    events.put_targets(Rule="smoke-rule", EventBusName="smoke-bus", Targets=[{"Id": "fn", "Arn": fn}])

    with functions_running(endpoint):
        events.put_events(
            Entries=[
                {
                    "EventBusName": "smoke-bus",
                    "Source": "smoke.test",
                    "DetailType": "t",
                    "Detail": '{"id": "canary-t-1"}',
                }
            ]
        )
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while not found and time.monotonic() < deadline:
            answer = logs.filter_log_events(logGroupName="/aws/lambda/rule-fn", filterPattern='"canary-t-1"')
            found = [json.loads(e["message"]) for e in answer["events"]]
            time.sleep(0.2)

    [line] = found
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", line["time"]), line  # not epoch seconds
