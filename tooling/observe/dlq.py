"""Dead-letter queue operations (`tooling dlq list|peek|redrive|purge`), the same on both targets.

The DLQs are the outputs contract's `dead_letter_queue_urls`, by their logical names (events, batch-queue,
notifications, and one per function). A `DlqSource` gives the queue primitives (tooling/observe/aws_sources
with boto3, tooling/local for the emulator); this module decides what each operation does with them:

- peek reads without deleting (SQS: ReceiveMessage with VisibilityTimeout 0; each receive still counts
  towards a source queue's maxReceiveCount where one applies, which no DLQ of this stack has).
- redrive sends events back where they failed. A DLQ that is the redrive target of a source queue (the batch
  queue's) gets an SQS message move task back to that queue. Any other DLQ (EventBridge rule targets,
  Lambda's asynchronous failures, the SNS subscription's) holds the original event as its body, so the event
  is published onto the bus again (a new event id; every rule matching it sees it again, and consumers
  de-duplicate on `detail.idempotencyKey`). A message that holds no EventBridge event stays in the DLQ and
  is counted as failed.
- purge deletes every message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from tooling import strict_json
from tooling.errors import UsageError
from tooling.outputs import DeploymentOutputs

MAX_PEEK = 100
PUT_EVENTS_BATCH = 10
# While a redrive re-publishes, received messages stay hidden this long, so the loop never sees one twice.
REPUBLISH_VISIBILITY_SECONDS = 120
# The message attributes AWS puts on dead-lettered events: EventBridge's (rule targets) and Lambda's (async).
EVENTBRIDGE_ATTRIBUTES = ("ERROR_CODE", "ERROR_MESSAGE", "RULE_ARN", "TARGET_ARN", "RETRY_ATTEMPTS")
LAMBDA_ATTRIBUTES = ("RequestID", "ErrorCode", "ErrorMessage")

RedriveMode = Literal["move", "republish"]


@dataclass(frozen=True)
class DlqStats:
    arn: str
    visible: int
    in_flight: int
    oldest_sent_at: datetime | None


@dataclass(frozen=True)
class DlqMessage:
    message_id: str
    body: str
    attributes: dict[str, str]
    sent_at: datetime | None = None
    receive_count: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "receive_count": self.receive_count,
            "attributes": self.attributes,
            "body": self.body,
        }


@dataclass(frozen=True)
class Received:
    message_id: str
    receipt_handle: str
    body: str


@dataclass(frozen=True)
class MoveOutcome:
    moved: int
    failed: int
    reason: str = ""


class DlqSource(Protocol):
    """Queue primitives on one target."""

    def stats(self, url: str) -> DlqStats | None:
        """Counts of the queue, read without receiving; None when it does not exist."""
        ...

    def peek(self, url: str, limit: int) -> list[DlqMessage]:
        """Up to `limit` messages with their message attributes, left in the queue and visible."""
        ...

    def source_queues(self, url: str) -> list[str]:
        """URLs of the queues whose redrive policy sends to this one (SQS ListDeadLetterSourceQueues)."""
        ...

    def move(self, url: str, arn: str, to_url: str) -> MoveOutcome:
        """Move every message back to its source queue (SQS StartMessageMoveTask), waiting for the end."""
        ...

    def receive(self, url: str, limit: int, visibility_timeout: int) -> list[Received]: ...

    def delete(self, url: str, receipt_handle: str) -> None: ...

    def release(self, url: str, receipt_handle: str) -> None:
        """Make a received message visible again at once."""
        ...

    def purge(self, url: str) -> None: ...


class Republisher(Protocol):
    """The Bus seam (tooling/publish/bus.py), as far as a redrive needs it."""

    def put_events(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class DlqInfo:
    name: str
    url: str
    exists: bool
    visible: int = 0
    in_flight: int = 0
    oldest_age_seconds: int = 0
    feeds: str = ""
    redrive: RedriveMode = "republish"

    @property
    def depth(self) -> int:
        return self.visible + self.in_flight

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "exists": self.exists,
            "depth": self.depth,
            "visible": self.visible,
            "in_flight": self.in_flight,
            "oldest_age_seconds": self.oldest_age_seconds,
            "fed_by": self.feeds,
            "redrive": self.redrive,
        }


@dataclass(frozen=True)
class RedriveResult:
    name: str
    mode: RedriveMode
    moved: int
    failed: int
    destination: str
    depth_before: int
    depth_after: int
    failures: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mode": self.mode,
            "destination": self.destination,
            "moved": self.moved,
            "failed": self.failed,
            "depth_before": self.depth_before,
            "depth_after": self.depth_after,
            "failures": self.failures,
        }


@dataclass(frozen=True)
class PurgeResult:
    name: str
    purged: int
    depth_after: int

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "purged": self.purged, "depth_after": self.depth_after}


def feeds(outputs: DeploymentOutputs, name: str) -> str:
    """What sends messages to the DLQ of this logical name (the Terraform modules' wiring)."""
    if name in outputs.function_names:
        return f"function {outputs.function_names[name]} (asynchronous invocations that failed)"
    if name == "events":
        # The default bus's forwarding rule dead-letters here too ([forwarding]).
        rules = [*outputs.rule_arns, *(["forwarding (default bus)"] if outputs.forwarding_rule_arn else [])]
        return "rule targets: " + ", ".join(rules) + " (events EventBridge could not deliver)"
    if name == "batch-queue":
        return f"queue {outputs.batch_queue_url.rsplit('/', 1)[-1]} (messages past maxReceiveCount)"
    if name == "notifications":
        topic = outputs.notifications_topic_arn.rsplit(":", 1)[-1]
        return f"SNS subscriptions of {topic} (deliveries SNS gave up on)"
    return "unknown"


def resolve(outputs: DeploymentOutputs, name: str) -> str:
    """The URL of the DLQ with this logical name; an unknown name is a usage error."""
    url = outputs.dead_letter_queue_urls.get(name)
    if url is None:
        known = ", ".join(outputs.dead_letter_queue_urls) or "none"
        raise UsageError(
            f"no DLQ named {name!r} in {outputs.environment or 'this'} environment (known: {known})"
        )
    return url


def _age(oldest: datetime | None, now: datetime) -> int:
    return max(0, int((now - oldest).total_seconds())) if oldest else 0


def _mode(source: DlqSource, url: str) -> tuple[RedriveMode, str | None]:
    sources = source.source_queues(url)
    return ("move", sources[0]) if sources else ("republish", None)


def list_dlqs(source: DlqSource, outputs: DeploymentOutputs, now: datetime | None = None) -> list[DlqInfo]:
    now = now or datetime.now(UTC)
    infos: list[DlqInfo] = []
    for name, url in outputs.dead_letter_queue_urls.items():
        stats = source.stats(url)
        if stats is None:
            infos.append(DlqInfo(name=name, url=url, exists=False, feeds=feeds(outputs, name)))
            continue
        infos.append(
            DlqInfo(
                name=name,
                url=url,
                exists=True,
                visible=stats.visible,
                in_flight=stats.in_flight,
                oldest_age_seconds=_age(stats.oldest_sent_at, now),
                feeds=feeds(outputs, name),
                redrive=_mode(source, url)[0],
            )
        )
    return infos


def _existing(source: DlqSource, outputs: DeploymentOutputs, name: str) -> tuple[str, DlqStats]:
    url = resolve(outputs, name)
    stats = source.stats(url)
    if stats is None:
        raise UsageError(
            f"DLQ {name!r} does not exist ({url})", hint="was the environment applied? run `tooling apply`"
        )
    return url, stats


def _non_empty(source: DlqSource, outputs: DeploymentOutputs, name: str) -> tuple[str, DlqStats]:
    url, stats = _existing(source, outputs, name)
    if stats.visible + stats.in_flight == 0:
        raise UsageError(f"DLQ {name!r} is empty: nothing to do")
    return url, stats


def peek(source: DlqSource, outputs: DeploymentOutputs, name: str, limit: int) -> list[DlqMessage]:
    url, _ = _existing(source, outputs, name)
    return source.peek(url, max(1, min(limit, MAX_PEEK)))


def error_attributes(message: DlqMessage) -> dict[str, str]:
    """The error attributes AWS set on the message (EventBridge's or Lambda's), in their documented order."""
    keys = (*EVENTBRIDGE_ATTRIBUTES, *LAMBDA_ATTRIBUTES)
    return {key: message.attributes[key] for key in keys if key in message.attributes}


def event_entry(body: str) -> dict[str, Any] | None:
    """The PutEvents entry that re-publishes the EventBridge event a DLQ message holds (as its body, or as
    the `Message` of an SNS notification); None when it holds none (a transformed target input)."""
    try:
        # Strict (tooling.strict_json): a body holding NaN or duplicate keys would only be refused by
        # PutEvents as MalformedDetail; it stays in the queue as a message that holds no event.
        data = strict_json.loads(body, "the message")
    except (ValueError, strict_json.JSONRefused):
        return None
    if isinstance(data, dict) and data.get("Type") == "Notification" and isinstance(data.get("Message"), str):
        return event_entry(data["Message"])
    if not isinstance(data, dict):
        return None
    source, detail_type, detail = data.get("source"), data.get("detail-type"), data.get("detail")
    if not isinstance(source, str) or not isinstance(detail_type, str) or not isinstance(detail, dict):
        return None
    entry: dict[str, Any] = {
        "Source": source,
        "DetailType": detail_type,
        "Detail": json.dumps(detail, separators=(",", ":")),
    }
    resources = data.get("resources")
    if isinstance(resources, list) and resources and all(isinstance(r, str) for r in resources):
        entry["Resources"] = resources
    return entry


def redrive(source: DlqSource, outputs: DeploymentOutputs, name: str, bus: Republisher) -> RedriveResult:
    """Send the DLQ's messages back where they failed (see the module docstring)."""
    url, stats = _non_empty(source, outputs, name)
    before = stats.visible + stats.in_flight
    mode, to_url = _mode(source, url)
    if to_url is not None:
        outcome = source.move(url, stats.arn, to_url)
        after = _depth(source, url)
        failures = [outcome.reason] if outcome.reason else []
        return RedriveResult(name, mode, outcome.moved, outcome.failed, to_url, before, after, failures)
    moved, failures, held = 0, [], []
    while True:
        batch = source.receive(url, PUT_EVENTS_BATCH, REPUBLISH_VISIBILITY_SECONDS)
        if not batch:
            break
        sendable: list[tuple[Received, dict[str, Any]]] = []
        for message in batch:
            entry = event_entry(message.body)
            if entry is None:
                failures.append(f"{message.message_id}: holds no EventBridge event (left in the DLQ)")
                held.append(message)
            else:
                sendable.append((message, entry))
        if sendable:
            results = bus.put_events([entry for _, entry in sendable])
            for (message, _), result in zip(sendable, results, strict=True):
                if result.get("EventId"):
                    source.delete(url, message.receipt_handle)
                    moved += 1
                else:
                    code = result.get("ErrorCode", "Unknown")
                    failures.append(f"{message.message_id}: {code}: {result.get('ErrorMessage', '')}")
                    held.append(message)
    for message in held:
        source.release(url, message.receipt_handle)
    after = _depth(source, url)
    return RedriveResult(name, mode, moved, len(held), outputs.event_bus_name, before, after, failures)


def purge(source: DlqSource, outputs: DeploymentOutputs, name: str) -> PurgeResult:
    url, stats = _non_empty(source, outputs, name)
    source.purge(url)
    return PurgeResult(name, stats.visible + stats.in_flight, _depth(source, url))


def _depth(source: DlqSource, url: str) -> int:
    stats = source.stats(url)
    return stats.visible + stats.in_flight if stats else 0
