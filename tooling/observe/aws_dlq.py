"""`DlqSource` on AWS: SQS through boto3 (tooling/observe/dlq.py decides what the operations do)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from tooling.clients import client
from tooling.errors import AwsError
from tooling.observe.dlq import DlqMessage, DlqStats, MoveOutcome, Received

_MISSING_QUEUE_CODES = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})
MOVE_POLL_SECONDS = 2.0
MOVE_TIMEOUT_SECONDS = 600.0
PEEK_ROUNDS_EXTRA = 2  # SQS samples its servers: a few more receives find more of the messages


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _string_attributes(message: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (message.get("MessageAttributes") or {}).items():
        if "StringValue" in value:
            out[key] = str(value["StringValue"])
    return out


class AwsDlqSource:
    def __init__(self, region: str, *, poll_seconds: float = MOVE_POLL_SECONDS) -> None:
        self.sqs = client("sqs", region)
        self.poll_seconds = poll_seconds

    def stats(self, url: str) -> DlqStats | None:
        try:
            attrs = self.sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "QueueArn",
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
        except ClientError as exc:
            if _code(exc) in _MISSING_QUEUE_CODES:
                return None
            raise
        visible = int(attrs.get("ApproximateNumberOfMessages", 0))
        # SQS keeps no "oldest message" attribute (CloudWatch's ApproximateAgeOfOldestMessage lags minutes):
        # the oldest SentTimestamp of a peek is close enough for a DLQ, whose messages are few.
        oldest = None
        if visible:
            sent = [m.sent_at for m in self.peek(url, 10) if m.sent_at is not None]
            oldest = min(sent) if sent else None
        return DlqStats(
            arn=attrs.get("QueueArn", ""),
            visible=visible,
            in_flight=int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
            oldest_sent_at=oldest,
        )

    def peek(self, url: str, limit: int) -> list[DlqMessage]:
        """ReceiveMessage with VisibilityTimeout 0: nothing deleted, the messages stay visible."""
        seen: dict[str, DlqMessage] = {}
        for _ in range(-(-limit // 10) + PEEK_ROUNDS_EXTRA):
            if len(seen) >= limit:
                break
            response = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, limit - len(seen)),
                VisibilityTimeout=0,
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
                MessageAttributeNames=["All"],
            )
            fresh = [m for m in response.get("Messages", []) if m["MessageId"] not in seen]
            if not fresh:
                break
            for message in fresh[: limit - len(seen)]:
                attrs = message.get("Attributes", {})
                sent = attrs.get("SentTimestamp")
                seen[message["MessageId"]] = DlqMessage(
                    message_id=message["MessageId"],
                    body=message.get("Body", ""),
                    attributes=_string_attributes(message),
                    sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
                    receive_count=int(attrs.get("ApproximateReceiveCount", 0)),
                )
        return sorted(seen.values(), key=lambda m: m.sent_at or datetime.min.replace(tzinfo=UTC))

    def source_queues(self, url: str) -> list[str]:
        response = self.sqs.list_dead_letter_source_queues(QueueUrl=url)
        return list(response.get("queueUrls", []))

    def move(self, url: str, arn: str, to_url: str) -> MoveOutcome:
        """StartMessageMoveTask without a destination: SQS returns each message to the queue it came from.
        Waits for the task to end (ListMessageMoveTasks)."""
        handle = self.sqs.start_message_move_task(SourceArn=arn)["TaskHandle"]
        deadline = time.monotonic() + MOVE_TIMEOUT_SECONDS
        while True:
            tasks = self.sqs.list_message_move_tasks(SourceArn=arn, MaxResults=10).get("Results", [])
            task = next((t for t in tasks if t.get("TaskHandle") == handle), tasks[0] if tasks else None)
            status = task.get("Status") if task else None
            if task is not None and status in ("COMPLETED", "FAILED", "CANCELLED"):
                moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
                to_move = int(task.get("ApproximateNumberOfMessagesToMove", moved))
                reason = (
                    "" if status == "COMPLETED" else f"move task {status}: {task.get('FailureReason', '')}"
                )
                return MoveOutcome(moved=moved, failed=max(0, to_move - moved), reason=reason)
            if time.monotonic() > deadline:
                raise AwsError(
                    f"the message move task from {arn} is still running after {MOVE_TIMEOUT_SECONDS:.0f} s",
                    hint="it goes on in SQS; `tooling dlq list` shows the depth as it drains",
                )
            time.sleep(self.poll_seconds)

    def receive(self, url: str, limit: int, visibility_timeout: int) -> list[Received]:
        response = self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=limit, VisibilityTimeout=visibility_timeout, WaitTimeSeconds=0
        )
        return [
            Received(m["MessageId"], m["ReceiptHandle"], m.get("Body", ""))
            for m in response.get("Messages", [])
        ]

    def delete(self, url: str, receipt_handle: str) -> None:
        self.sqs.delete_message(QueueUrl=url, ReceiptHandle=receipt_handle)

    def release(self, url: str, receipt_handle: str) -> None:
        self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt_handle, VisibilityTimeout=0)

    def purge(self, url: str) -> None:
        # PurgeQueue takes up to 60 s on AWS; the depth read right after may still count some messages.
        self.sqs.purge_queue(QueueUrl=url)
