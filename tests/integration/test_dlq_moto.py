"""`tooling dlq` on the AWS side against moto: queues named as the outputs contract says, EventBridge- and
Lambda-style dead letters, a batch queue with its redrive DLQ. moto 5.2.5 has no StartMessageMoveTask nor
ListMessageMoveTasks: `MoveTasks` stands in for those two calls with SQS's documented behaviour (each
message back to its source queue), on moto's queues; every other call is moto's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from tooling.cli import errors
from tooling.cli.app import app
from tooling.observe import aws_dlq

REGION = "us-east-1"
PREFIX = "ecommerce-dev-abc123"
RULE_ARN = f"arn:aws:events:{REGION}:123456789012:rule/{PREFIX}-bus/{PREFIX}-order-events"


class MoveTasks:
    """StartMessageMoveTask / ListMessageMoveTasks over moto's queues, wrapping the real boto3 client."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs
        self.tasks: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)

    def start_message_move_task(self, SourceArn: str) -> dict[str, Any]:
        url = self._sqs.get_queue_url(QueueName=SourceArn.rsplit(":", 1)[-1])["QueueUrl"]
        [to_url] = self._sqs.list_dead_letter_source_queues(QueueUrl=url)["queueUrls"]
        moved = 0
        while messages := self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                self._sqs.send_message(QueueUrl=to_url, MessageBody=message["Body"])
                self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
        handle = f"task-{len(self.tasks)}"
        self.tasks.insert(0, {"TaskHandle": handle, "SourceArn": SourceArn, "Status": "RUNNING"})
        self.tasks[0]["final"] = {"Status": "COMPLETED", "ApproximateNumberOfMessagesMoved": moved,
                                  "ApproximateNumberOfMessagesToMove": moved}  # fmt: skip
        return {"TaskHandle": handle}

    def list_message_move_tasks(self, SourceArn: str, MaxResults: int) -> dict[str, Any]:
        results = []
        for task in self.tasks:
            if task["SourceArn"] == SourceArn:
                results.append({k: v for k, v in task.items() if k != "final"})
                task.update(task.pop("final", {}))  # RUNNING on the first look, COMPLETED after
        return {"Results": results[:MaxResults]}


@dataclass
class Aws:
    sqs: Any
    outputs_file: Path
    urls: dict[str, str]
    batch_url: str

    def cli(self, *args: str) -> tuple[int, Any, str]:
        result = CliRunner().invoke(app, [*args, "--outputs", str(self.outputs_file)])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            message = str(getattr(result.exception, "message", result.exception))
            return errors.handle(result.exception, debug=False), None, message
        out = json.loads(result.stdout) if "--json" in args and result.stdout.strip() else result.stdout
        return result.exit_code, out, ""

    def depth(self, url: str) -> int:
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attrs["Attributes"]["ApproximateNumberOfMessages"])

    def bodies(self, url: str) -> list[dict[str, Any]]:
        found = []
        while messages := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return found


def _event(order_id: str) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": f"evt-{order_id}",
            "source": "ecommerce.orders",
            "detail-type": "Order Created",
            "time": "2026-01-01T00:00:00Z",
            "resources": [],
            "detail": {"orderId": order_id, "totalAmount": 10},
        }
    )


def _strings(values: dict[str, str]) -> dict[str, Any]:
    return {k: {"DataType": "String", "StringValue": v} for k, v in values.items()}


@pytest.fixture
def aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    monkeypatch.setattr(aws_dlq, "MOVE_POLL_SECONDS", 0.0)
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        events = boto3.client("events", region_name=REGION)
        events.create_event_bus(Name=f"{PREFIX}-bus")
        # The bus's catch-all rule delivers into a queue, so re-published events can be seen arriving.
        seen = sqs.create_queue(QueueName=f"{PREFIX}-seen")["QueueUrl"]
        seen_arn = sqs.get_queue_attributes(QueueUrl=seen, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(Name="all", EventBusName=f"{PREFIX}-bus", EventPattern='{"source": [{"prefix": ""}]}')
        events.put_targets(Rule="all", EventBusName=f"{PREFIX}-bus", Targets=[{"Id": "q", "Arn": seen_arn}])
        urls = {}
        for name in ("events", "batch-queue", "notifications", "processor"):
            urls[name] = sqs.create_queue(QueueName=f"{PREFIX}-{name}-dlq")["QueueUrl"]
        batch_dlq_arn = sqs.get_queue_attributes(QueueUrl=urls["batch-queue"], AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        policy = json.dumps({"deadLetterTargetArn": batch_dlq_arn, "maxReceiveCount": "5"})
        batch = sqs.create_queue(QueueName=f"{PREFIX}-batch", Attributes={"RedrivePolicy": policy})[
            "QueueUrl"
        ]
        outputs = {
            "region": REGION,
            "event_bus_name": f"{PREFIX}-bus",
            "event_bus_arn": f"arn:aws:events:{REGION}:123456789012:event-bus/{PREFIX}-bus",
            "archive_name": f"{PREFIX}-archive",
            "rule_arns": {"order-events": RULE_ARN},
            "batch_queue_url": batch,
            "batch_queue_arn": "arn",
            "dead_letter_queue_urls": urls,
            "notifications_topic_arn": f"arn:aws:sns:{REGION}:123456789012:{PREFIX}-notifications",
            "function_names": {"processor": f"{PREFIX}-processor"},
            "log_group_names": {"processor": f"/aws/lambda/{PREFIX}-processor"},
            "forwarding_rule_arn": "",
        }
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps(outputs))
        original = aws_dlq.client
        monkeypatch.setattr(aws_dlq, "client", lambda service, region: MoveTasks(original(service, region)))
        state = Aws(sqs, path, urls, batch)
        sqs.send_message(
            QueueUrl=urls["events"],
            MessageBody=_event("o-1"),
            MessageAttributes=_strings(
                {
                    "ERROR_CODE": "ResourceNotFoundException",
                    "ERROR_MESSAGE": "Function not found",
                    "RULE_ARN": RULE_ARN,
                    "TARGET_ARN": "arn:aws:lambda:us-east-1:123456789012:function:gone",
                    "RETRY_ATTEMPTS": "0",
                }
            ),
        )
        sqs.send_message(
            QueueUrl=urls["processor"],
            MessageBody=_event("o-2"),
            MessageAttributes=_strings(
                {"RequestID": "r-1", "ErrorCode": "200", "ErrorMessage": "bad amount"}
            ),
        )
        sqs.send_message(QueueUrl=urls["processor"], MessageBody='{"orderId": "transformed"}')
        for body in ("m-1", "m-2", "m-3"):
            sqs.send_message(QueueUrl=urls["batch-queue"], MessageBody=json.dumps({"id": body}))
        yield state


def test_list_reads_depths_and_the_redrive_each_dlq_gets(aws: Aws) -> None:
    code, listed, _ = aws.cli("dlq", "list", "--json")
    assert code == 0
    by_name = {d["name"]: d for d in listed}
    assert {n: d["depth"] for n, d in by_name.items()} == {
        "events": 1, "batch-queue": 3, "notifications": 0, "processor": 2,
    }  # fmt: skip
    assert by_name["batch-queue"]["redrive"] == "move" and by_name["events"]["redrive"] == "republish"
    assert "order-events" in by_name["events"]["fed_by"]


def test_peek_shows_eventbridge_and_lambda_error_attributes_and_leaves_the_messages(aws: Aws) -> None:
    _, peeked, _ = aws.cli("dlq", "peek", "events", "--json")
    [message] = peeked["messages"]
    assert message["attributes"]["ERROR_CODE"] == "ResourceNotFoundException"
    assert message["attributes"]["RULE_ARN"] == RULE_ARN and message["attributes"]["RETRY_ATTEMPTS"] == "0"
    _, peeked, _ = aws.cli("dlq", "peek", "processor", "-n", "5", "--json")
    attrs = [m["attributes"] for m in peeked["messages"]]
    assert {"RequestID": "r-1", "ErrorCode": "200", "ErrorMessage": "bad amount"} in attrs
    assert aws.depth(aws.urls["processor"]) == 2 and aws.depth(aws.urls["events"]) == 1


def test_redrive_of_the_batch_dlq_is_a_move_task_back_to_the_batch_queue(aws: Aws) -> None:
    code, result, _ = aws.cli("dlq", "redrive", "batch-queue", "--json")
    assert code == 0
    assert (result["mode"], result["moved"], result["failed"]) == ("move", 3, 0)
    assert aws.depth(aws.urls["batch-queue"]) == 0
    assert sorted(b["id"] for b in aws.bodies(aws.batch_url)) == ["m-1", "m-2", "m-3"]


def test_redrive_of_a_function_dlq_republishes_events_and_keeps_what_is_no_event(aws: Aws) -> None:
    code, result, _ = aws.cli("dlq", "redrive", "processor", "--json")
    assert code == 1  # one message holds no event
    assert (result["mode"], result["moved"], result["failed"]) == ("republish", 1, 1)
    assert aws.depth(aws.urls["processor"]) == 1
    seen = aws.bodies(aws.sqs.get_queue_url(QueueName=f"{PREFIX}-seen")["QueueUrl"])
    assert [e["detail"]["orderId"] for e in seen] == ["o-2"]


def test_purge_empties_the_dlq(aws: Aws) -> None:
    code, result, _ = aws.cli("dlq", "purge", "events", "-y", "--json")
    assert code == 0 and result["purged"] == 1
    assert aws.depth(aws.urls["events"]) == 0


def test_bad_names_and_empty_dlqs_are_usage_errors(aws: Aws) -> None:
    assert aws.cli("dlq", "peek", "nope")[0] == 2
    code, _, message = aws.cli("dlq", "purge", "notifications", "-y")
    assert code == 2 and "is empty" in message
