"""`tooling tail` on AWS: a temporary rule on the bus, with the tail's pattern, targeting a temporary SQS
queue that the tail long-polls; both removed on exit, on Ctrl-C and on error.

Names: `<bus name without -bus>-tail-<8 hex>` for both (`PREFIX`), so they are told apart from the stack's
own resources at a glance and a sweep finds them by prefix. Both carry `tooling:tail-expires` (an ISO time)
and `tooling:tail-owner` (user@host pid). A running tail pushes its expiry forward every RENEW_EVERY; a
killed one leaves resources that expire LEASE later, and `tooling tail --clean` (and every tail's start)
removes those whose expiry passed, never a running tail's.

Authorization: the queue policy lets only events.amazonaws.com send, and only for this tail's rule
(aws:SourceArn), plus the project's TLS-only deny (terraform/modules/tls_only_policy). The bus is
encrypted with the stack's customer-managed key (Config refuses anything else): EventBridge encrypts the
events it holds and the rule's pattern and target with it, under the key policy's grant to
events.amazonaws.com pinned by the encryption context `aws:events:event-bus:arn` = the bus (module
region_stack, kms.tf). That context is the same for every rule of the bus, so the temporary rule is covered
without touching the key policy, and EventBridge hands targets the event decrypted. The queue itself uses
SSE-SQS, as the stack's dead-letter queues do, not the stack's key: a queue under the customer-managed key
would need a key-policy grant to events.amazonaws.com for this queue's `aws:sqs:arn` context (the stack
grants it for the batch queue only, by name), and a tail must not rewrite the key policy at run time. SSE-SQS
still encrypts at rest, and neither EventBridge nor the reader needs a KMS permission for it.
"""

from __future__ import annotations

import getpass
import json
import math
import os
import re
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tooling.clients import client
from tooling.errors import AwsError, UsageError
from tooling.outputs import DeploymentOutputs

EXPIRES_TAG = "tooling:tail-expires"
OWNER_TAG = "tooling:tail-owner"
# A leftover of a killed tail lives at most this long; a running tail renews well before.
LEASE = timedelta(minutes=15)
RENEW_EVERY = timedelta(minutes=5)
TARGET_ID = "tail"
# Events wait in the queue only until printed; a leftover queue keeps nothing longer than its lease.
RETENTION_SECONDS = 900
LONG_POLL_SECONDS = 20  # SQS's maximum WaitTimeSeconds
RULE_NAME_LIMIT = 64  # EventBridge rule names; queue names allow 80
TOKEN_HEX = 8
_NOT_FOUND = {"ResourceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}


def tail_prefix(outputs: DeploymentOutputs) -> str:
    """`<project>-<env>-<suffix>-tail-`: what every temporary rule and queue of this environment starts with
    (cut so a rule name stays within 64 characters, whatever the bus is called)."""
    bus = outputs.event_bus_name
    base = bus[: -len("-bus")] if bus.endswith("-bus") else bus
    room = RULE_NAME_LIMIT - len("-tail-") - TOKEN_HEX
    return f"{base[:room]}-tail-"


def _minutes(span: timedelta) -> str:
    return f"{int(span.total_seconds() // 60)} minutes"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _expiry(tags: dict[str, str]) -> datetime | None:
    value = tags.get(EXPIRES_TAG)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def owner() -> str:
    """user@host pid N, in the characters AWS allows in a tag value."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a container): the pid still tells runs apart
        user = "unknown"
    text = f"{user}@{socket.gethostname()} pid {os.getpid()}"
    return re.sub(r"[^\w .:/=+\-@]", "-", text)[:256]


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    error = response.get("Error") or {}
    return str(error.get("Code", ""))


def _arn_parts(outputs: DeploymentOutputs) -> tuple[str, str]:
    """(partition, account) of the bus."""
    parts = outputs.event_bus_arn.split(":")
    if len(parts) < 6 or not parts[4]:
        raise UsageError(
            f"the outputs' event_bus_arn {outputs.event_bus_arn!r} is not an EventBridge bus ARN",
            hint="apply again, or pass the file `terraform output -json` wrote with --outputs",
        )
    return parts[1], parts[4]


def queue_policy(queue_arn: str, rule_arn: str) -> dict[str, Any]:
    """Only EventBridge, and only for this rule, may send; nothing over plain HTTP."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TailRuleSendsEvents",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


@contextmanager
def interrupt_deferred(note: str) -> Iterator[None]:
    """Run the body with a first Ctrl-C only noted (`note` on stderr) so cleanup is not cut short; a
    second one interrupts. Outside the main thread signals cannot be handled: the body just runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = 0

    def handler(signum: int, frame: object) -> None:
        nonlocal pressed
        pressed += 1
        if pressed > 1:
            raise KeyboardInterrupt
        sys.stderr.write(note + "\n")
        sys.stderr.flush()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass
class Sweep:
    """What a sweep found: removed (expired) and kept (not expired yet: a running tail's)."""

    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


class AwsTail:
    """The TailSource of an AWS deployment (tooling/observe/tail.py)."""

    def __init__(
        self,
        outputs: DeploymentOutputs,
        pattern: dict[str, Any],
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        clock: Callable[[], float] = time.monotonic,
        token: str | None = None,
    ) -> None:
        self.outputs = outputs
        self.pattern = pattern
        self._now = now
        self._clock = clock
        self.events = client("events", outputs.region)
        self.sqs = client("sqs", outputs.region)
        partition, account = _arn_parts(outputs)
        self.name = tail_prefix(outputs) + (token or secrets.token_hex(TOKEN_HEX // 2))
        self.bus = outputs.event_bus_name
        self.rule_arn = f"arn:{partition}:events:{outputs.region}:{account}:rule/{self.bus}/{self.name}"
        self.queue_arn = f"arn:{partition}:sqs:{outputs.region}:{account}:{self.name}"
        self.queue_url: str | None = None
        self.owner = owner()
        self._renewed_at = 0.0
        self._pending: list[str] = []  # receipt handles of events returned, deleted once printed
        # What open() asked AWS to create (set before each call: an interrupted call may have created it).
        self._queue_asked = self._rule_asked = False

    def describe(self) -> str:
        return f"bus {self.bus}: rule {self.name} -> queue {self.name}"

    def _tags(self) -> dict[str, str]:
        return {EXPIRES_TAG: _iso(self._now() + LEASE), OWNER_TAG: self.owner}

    def open(self) -> list[str]:
        """Sweep expired leftovers, then create the queue (its policy already naming the rule), the rule and
        its target. Anything made is removed again if this fails or is interrupted part way."""
        try:
            swept = sweep(self.outputs, self._now(), events=self.events, sqs=self.sqs)
            tags = self._tags()
            self._queue_asked = True
            self.queue_url = self.sqs.create_queue(
                QueueName=self.name,
                Attributes={
                    "Policy": json.dumps(queue_policy(self.queue_arn, self.rule_arn)),
                    "SqsManagedSseEnabled": "true",
                    "MessageRetentionPeriod": str(RETENTION_SECONDS),
                    "ReceiveMessageWaitTimeSeconds": str(LONG_POLL_SECONDS),
                },
                tags=tags,
            )["QueueUrl"]
            self._rule_asked = True
            self.events.put_rule(
                Name=self.name,
                EventBusName=self.bus,
                EventPattern=json.dumps(self.pattern),
                State="ENABLED",
                Description=f"tooling tail ({self.owner}): temporary, removed when the tail ends",
                Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
            )
            answer = self.events.put_targets(
                Rule=self.name, EventBusName=self.bus, Targets=[{"Id": TARGET_ID, "Arn": self.queue_arn}]
            )
            if answer.get("FailedEntryCount"):
                failed = answer["FailedEntries"][0]
                raise AwsError(
                    f"EventBridge refused the tail's target: {failed.get('ErrorCode')}: "
                    f"{failed.get('ErrorMessage')}",
                    hint="check that your role may call events:PutTargets on the bus",
                )
            self._renewed_at = self._clock()
        except BaseException:
            self.close()
            raise
        return [f"removed expired {what}" for what in swept.removed]

    def receive(self, wait: float) -> list[dict[str, Any]]:
        """Delete what the last call returned (it has been printed), renew the expiry when due, then
        long-poll for up to `wait` seconds (whole seconds, at most 20)."""
        assert self.queue_url is not None, "open() first"
        self._delete_pending()
        if self._clock() - self._renewed_at >= RENEW_EVERY.total_seconds():
            self._renew()
        seconds = max(0, min(LONG_POLL_SECONDS, math.ceil(wait)))
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=seconds
        )
        events: list[dict[str, Any]] = []
        for message in answer.get("Messages", []):
            self._pending.append(message["ReceiptHandle"])
            try:
                body = json.loads(message["Body"])
            except (TypeError, ValueError):
                continue  # not an event: nothing but EventBridge may send here, so never expected
            if isinstance(body, dict):
                events.append(body)
        return events

    def _delete_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:10], self._pending[10:]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate(batch)],
            )

    def _renew(self) -> None:
        tags = self._tags()
        self.events.tag_resource(
            ResourceARN=self.rule_arn, Tags=[{"Key": key, "Value": value} for key, value in tags.items()]
        )
        self.sqs.tag_queue(QueueUrl=self.queue_url, Tags=tags)
        self._renewed_at = self._clock()

    def close(self) -> list[str]:
        """Remove the rule (its target first) and the queue, by name: also what a create interrupted before
        its answer arrived may have made. A first Ctrl-C meanwhile is only noted."""
        note = (
            f"removing the tail's rule and queue {self.name}; Ctrl-C again to leave them "
            f"(`tooling tail --clean` removes them once expired, {_minutes(LEASE)} from now)"
        )
        removed: list[str] = []
        if not (self._rule_asked or self._queue_asked):
            return removed
        with interrupt_deferred(note):
            if self._rule_asked and remove_rule(self.events, self.bus, self.name):
                removed.append(f"rule {self.name}")
            self._rule_asked = False
            if self._queue_asked and remove_queue(self.sqs, self.name):
                removed.append(f"queue {self.name}")
            self._queue_asked = False
            self.queue_url = None
            self._pending = []
        return removed


def remove_rule(events: Any, bus: str, name: str) -> bool:
    """Remove a rule's targets, then the rule; False when it does not exist."""
    try:
        ids = [
            target["Id"]
            for page in events.get_paginator("list_targets_by_rule").paginate(Rule=name, EventBusName=bus)
            for target in page.get("Targets", [])
        ]
        if ids:
            events.remove_targets(Rule=name, EventBusName=bus, Ids=ids)
        events.delete_rule(Name=name, EventBusName=bus)
    except Exception as exc:
        if _code(exc) in _NOT_FOUND:
            return False
        raise
    return True


def remove_queue(sqs: Any, name: str) -> bool:
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.delete_queue(QueueUrl=url)
    except Exception as exc:
        if _code(exc) in _NOT_FOUND:
            return False
        raise
    return True


def sweep(outputs: DeploymentOutputs, now: datetime, *, events: Any = None, sqs: Any = None) -> Sweep:
    """Remove the environment's tail rules and queues whose expiry passed; report those kept (running)."""
    events = events or client("events", outputs.region)
    sqs = sqs or client("sqs", outputs.region)
    prefix = tail_prefix(outputs)
    found = Sweep()
    rules = [
        rule
        for page in events.get_paginator("list_rules").paginate(
            NamePrefix=prefix, EventBusName=outputs.event_bus_name
        )
        for rule in page.get("Rules", [])
    ]
    for rule in rules:
        try:
            listed = events.list_tags_for_resource(ResourceARN=rule["Arn"]).get("Tags", [])
        except Exception as exc:
            if _code(exc) in _NOT_FOUND:  # removed meanwhile (its tail ended, or another sweep)
                continue
            raise
        expires = _expiry({tag["Key"]: tag["Value"] for tag in listed})
        if expires is None:
            continue  # not a tail's (no expiry tag): never touched
        if expires > now:
            found.kept.append(f"rule {rule['Name']} (expires {_iso(expires)})")
        elif remove_rule(events, outputs.event_bus_name, rule["Name"]):
            found.removed.append(f"rule {rule['Name']} (expired {_iso(expires)})")
    urls = [
        url
        for page in sqs.get_paginator("list_queues").paginate(QueueNamePrefix=prefix)
        for url in page.get("QueueUrls", [])
    ]
    for url in urls:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        try:
            expires = _expiry(sqs.list_queue_tags(QueueUrl=url).get("Tags", {}))
        except Exception as exc:
            if _code(exc) in _NOT_FOUND:  # removed meanwhile
                continue
            raise
        if expires is None:
            continue
        if expires > now:
            found.kept.append(f"queue {name} (expires {_iso(expires)})")
        elif remove_queue(sqs, name):
            found.removed.append(f"queue {name} (expired {_iso(expires)})")
    return found


def deployed_pattern(outputs: DeploymentOutputs, rule_name: str) -> dict[str, Any]:
    """The event pattern of a deployed rule of the bus, as EventBridge holds it."""
    described = client("events", outputs.region).describe_rule(
        Name=rule_name, EventBusName=outputs.event_bus_name
    )
    text = described.get("EventPattern")
    if not text:
        raise UsageError(f"rule {rule_name} has no event pattern", hint="pass --pattern instead")
    pattern = json.loads(text)
    if not isinstance(pattern, dict):
        raise UsageError(f"rule {rule_name}'s pattern is not a JSON object", hint="pass --pattern instead")
    return pattern
