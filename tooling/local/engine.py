"""The local bus: PutEvents validated as AWS does, then accept -> archive -> match -> deliver, in one
SQLite transaction per call.

SQS and SNS targets are delivered inside that transaction (the message or notification is stored with the
event). EventBridge and SNS invoke Lambda asynchronously, as here: the hand-off to Lambda happens inside the
transaction too (it fails only when the function does not exist: the rule's FailedInvocations and DLQ, or
SNS's failed delivery and the subscription's DLQ), and what Lambda accepted is queued as a delivery with the
function's own async config (retries, event age), which the dispatcher (`tooling.local.dispatch`) runs on
the function's worker. A function error is Lambda's to retry and dead-letter (tooling.local.delivery); the
rule never sees it. So an accepted event is never lost: it is either delivered or waiting in `deliveries`
when the process dies.

The order-workflow target (a Step Functions state machine in AWS) runs tooling.local.workflows, a
restatement of that one definition, to completion inside the same transaction: the execution is recorded, and the events
it publishes are accepted, archived and routed like any PutEvents (in AWS they follow asynchronously).
"""

from __future__ import annotations

import importlib
import json
import sqlite3
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tooling import aws_limits, strict_json
from tooling.config import S3_ARCHIVE_TARGET, partition_of
from tooling.errors import ToolingError
from tooling.local import firehose, payload_limits, workflows
from tooling.local.delivery import dead_letter_attributes, iso_millis, send_message
from tooling.local.forwarding import Forwarder, is_default_bus, load_forwarding
from tooling.local.regions import REPLICATION_KEY
from tooling.local.store import Counters, Store
from tooling.local.workflow_target import run_execution
from tooling.patterns import RuleSet
from tooling.patterns.transform import apply_input_transformer
from tooling.publish.events import entry_size

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = aws_limits.PUT_EVENTS_REQUEST_BYTES
# Rounds of workflow-published events routed within one call. Config validation refuses a rule that would
# send the workflow's events back to it, so one round is all a valid config makes; past this, something
# loops and the call fails (rolled back) instead of spinning.
MAX_WORKFLOW_ROUNDS = 8

Entry = dict[str, Any]
Result = dict[str, Any]


def iso_seconds(epoch: float) -> str:
    """EventBridge's `time` format: `2026-11-26T20:00:00Z`."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_event_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def client_error(code: str, message: str, status: int = 400) -> Exception:
    """botocore's ClientError, so callers handle local and AWS whole-call failures alike."""
    # importlib: botocore ships no type information.
    client_error_class: type[Exception] = importlib.import_module("botocore.exceptions").ClientError
    return client_error_class(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "PutEvents",
    )


def _entry_time(value: Any) -> float | None:
    """A PutEvents Time: datetime, epoch seconds or ISO 8601 text; None when absent, ValueError when bad."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    raise ValueError(value)


def _invalid(parameter: str, reason: str) -> Result:
    return {
        "ErrorCode": "InvalidArgument",
        "ErrorMessage": f"Parameter {parameter} is not valid. Reason: {reason}",
    }


def validate_entry(
    entry: Mapping[str, Any], *, service_source: bool = False
) -> tuple[dict[str, Any] | None, Result | None]:
    """(parsed pieces, None) for a valid entry, else (None, the per-entry error result AWS returns).
    `service_source`: the entry stands in for an AWS service's event on the default bus, so an `aws.*`
    source is accepted (tooling.local.forwarding)."""
    for key in ("Source", "DetailType", "Detail"):
        value = entry.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None, _invalid(key, f"{key} is a required argument.")
        if not isinstance(value, str):
            return None, _invalid(key, f"{key} must be a string.")
    source = str(entry["Source"])
    if source.startswith("aws.") and not service_source:
        return None, {
            "ErrorCode": "NotAuthorizedForSourceException",
            "ErrorMessage": "Not authorized for the source.",
        }
    try:
        # Strict: NaN, Infinity, lone surrogates, duplicate keys, numbers beyond a double and nesting past
        # the limit are refused per entry, never published (tooling.strict_json says why each).
        detail = strict_json.loads(entry["Detail"], "Detail")
    except (ValueError, strict_json.JSONRefused):
        return None, {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    if not isinstance(detail, dict):
        return None, {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    resources = entry.get("Resources") or []
    if not isinstance(resources, list | tuple) or not all(isinstance(r, str) for r in resources):
        return None, _invalid("Resources", "Resources must be a list of strings.")
    try:
        when = _entry_time(entry.get("Time"))
    except ValueError:
        return None, _invalid("Time", "Time must be a timestamp.")
    return {
        "source": source,
        "detail_type": str(entry["DetailType"]),
        "detail": detail,
        "resources": list(resources),
        "time": when,
    }, None


@dataclass(frozen=True)
class TargetRow:
    rule_key: str
    target_id: str
    kind: str  # processor | notifier | analytics | notifications | batch-queue | order-workflow | s3-archive
    arn: str
    input_paths: dict[str, str] | None
    input_template: str | None
    max_retry_attempts: int
    max_event_age_seconds: int
    dlq_url: str | None


@dataclass(frozen=True)
class RuleRow:
    key: str
    name: str
    arn: str
    state: str
    pattern: str
    targets: tuple[TargetRow, ...]


@dataclass
class PutStats:
    """What one publish did, for the benchmark and the demo."""

    accepted: int = 0
    matched: int = 0
    queued_invocations: int = 0
    messages: int = 0
    notifications: int = 0
    executions: int = 0
    archived_records: int = 0


class Engine:
    """Routes events with the provisioned rules. Thread-safe: callers share one Store under its lock."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.region = store.meta("region") or "us-east-1"
        self.account = store.meta("account") or "000000000000"
        outputs = json.loads(store.meta("outputs") or "{}")
        self.bus_name: str = outputs.get("event_bus_name", "")
        self.bus_arn: str = outputs.get("event_bus_arn", "")
        self.topic_arn: str = outputs.get("notifications_topic_arn", "")
        self.topic_name = self.topic_arn.rsplit(":", 1)[-1]
        self.notifications_dlq_url: str | None = (outputs.get("dead_letter_queue_urls") or {}).get(
            "notifications"
        )
        # The account's default bus (AWS service events) and its forwarding rule to this bus.
        partition = partition_of(self.region)
        self.default_bus_arn = f"arn:{partition}:events:{self.region}:{self.account}:event-bus/default"
        self.forwarder = Forwarder(None, self.bus_arn)
        self._generation: str | None = None
        self.rules: dict[str, RuleRow] = {}
        self.ruleset = RuleSet({})
        self.subscriptions: list[tuple[str, str, str]] = []
        self.state_machines: dict[str, sqlite3.Row] = {}
        # [failover] with replication: what this bus accepts is copied to the other region's bus
        # (tooling/local/replication.py takes it from the outbox).
        self.replicates = False
        self.reload()

    # -- state --------------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Load rules, targets and subscriptions when a provision changed them (cheap when it did not)."""
        generation = self.store.meta("generation")
        if generation == self._generation:
            return
        targets: dict[str, list[TargetRow]] = {}
        for row in self.store.query("SELECT * FROM targets ORDER BY rule_key, position"):
            transformer = json.loads(row["input_transformer"]) if row["input_transformer"] else None
            targets.setdefault(row["rule_key"], []).append(
                TargetRow(
                    rule_key=row["rule_key"],
                    target_id=row["target_id"],
                    kind=row["kind"],
                    arn=row["arn"],
                    input_paths=None if transformer is None else dict(transformer.get("input_paths") or {}),
                    input_template=None if transformer is None else str(transformer["input_template"]),
                    max_retry_attempts=int(row["max_retry_attempts"]),
                    max_event_age_seconds=int(row["max_event_age_seconds"]),
                    dlq_url=row["dlq_url"],
                )
            )
        rules = {
            row["key"]: RuleRow(
                key=row["key"],
                name=row["name"],
                arn=row["arn"],
                state=row["state"],
                pattern=row["pattern"],
                targets=tuple(targets.get(row["key"], [])),
            )
            for row in self.store.query("SELECT * FROM rules ORDER BY position")
        }
        self.rules = rules
        self.ruleset = RuleSet(
            {key: json.loads(r.pattern) for key, r in rules.items() if r.state == "ENABLED"}
        )
        self.state_machines = {
            str(row["arn"]): row for row in self.store.query("SELECT * FROM state_machines")
        }
        self.forwarder = Forwarder(load_forwarding(self.store), self.bus_arn)
        self.replicates = self.store.meta(REPLICATION_KEY) == "true"
        self.subscriptions = [
            (row["arn"], row["protocol"], row["endpoint"])
            for row in self.store.query("SELECT * FROM subscriptions WHERE topic_arn = ?", (self.topic_arn,))
        ]
        self._generation = generation

    # -- PutEvents ----------------------------------------------------------------------------------------
    def put_events(self, entries: Sequence[Entry]) -> list[Result]:
        """AWS's PutEvents: whole-call checks raise ClientError; per-entry problems come back in order."""
        if not entries:
            raise client_error(
                "ValidationException",
                "1 validation error detected: Value '[]' at 'entries' "
                "failed to satisfy constraint: Member must have length greater than or equal to 1",
            )
        if len(entries) > MAX_ENTRIES:
            raise client_error(
                "ValidationException",
                f"1 validation error detected: Value at 'entries' failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_ENTRIES}",
            )
        if sum(entry_size(e) for e in entries) > MAX_REQUEST_BYTES:
            raise client_error(
                "ValidationException", "Total size of the entries in the request is over the limit."
            )
        for entry in entries:
            bus = entry.get("EventBusName")
            if bus not in (None, "", self.bus_name, self.bus_arn) and not is_default_bus(
                bus, self.default_bus_arn
            ):
                raise client_error("ResourceNotFoundException", f"Event bus {bus} does not exist.")
        self.reload()
        results: list[Result] = []
        events: list[dict[str, Any]] = []
        on_default_bus: list[dict[str, Any]] = []
        now = time.time()
        for entry in entries:
            default = is_default_bus(entry.get("EventBusName"), self.default_bus_arn)
            parsed, error = validate_entry(entry, service_source=default)
            if error is not None:
                results.append(error)
                continue
            assert parsed is not None
            event = self._event(parsed, now)
            (on_default_bus if default else events).append(event)
            results.append({"EventId": event["id"]})
        if events or on_default_bus:
            self.publish(events, now=now, default_bus=on_default_bus)
        return results

    def _event(self, parsed: dict[str, Any], now: float) -> dict[str, Any]:
        """The event EventBridge makes of a validated PutEvents entry."""
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": parsed["detail_type"],
            "source": parsed["source"],
            "account": self.account,
            "time": iso_seconds(parsed["time"] if parsed["time"] is not None else now),
            "region": self.region,
            "resources": parsed["resources"],
            "detail": parsed["detail"],
        }

    def publish(
        self,
        events: Iterable[dict[str, Any]],
        *,
        now: float | None = None,
        archive: bool = True,
        only_rules: Sequence[str] | None = None,
        default_bus: Sequence[dict[str, Any]] = (),
        replicate: bool = True,
    ) -> PutStats:
        """Archive (unless replaying) and route the events, all in one transaction; then the events the
        workflow executions they started published (new events: archived, routed over every rule).
        `default_bus` events were put on the account's default bus: those the forwarding rule forwards
        arrive on this bus unchanged and are archived and routed with the others.

        With [failover] replication, the custom events this bus accepts are queued for the other region's
        bus in the same transaction; not those that are themselves copies (`replicate=False`, so nothing
        goes back and forth), nor replayed ones (`archive=False`), nor AWS service events."""
        now = time.time() if now is None else now
        counters = Counters()
        stats = PutStats()
        with self.store.transaction() as conn:
            batch = list(events)
            for event in default_bus:
                self.forwarder.forward(conn, event, now, counters, batch.append)
            rounds = 0
            while batch:
                if rounds > MAX_WORKFLOW_ROUNDS:
                    raise ToolingError(
                        "the order workflow's events keep starting new executions (a routing loop)",
                        hint="narrow the pattern of the rules that target order-workflow, then apply again",
                    )
                published: list[dict[str, Any]] = []
                copy = replicate and archive and self.replicates
                for event in batch:
                    self._accept(conn, event, now, archive, only_rules, counters, stats, published)
                    if copy and not str(event.get("source", "")).startswith("aws."):
                        conn.execute(
                            "INSERT INTO replication_outbox (body, accepted_at) VALUES (?, ?)",
                            (json.dumps(event, separators=(",", ":")), now),
                        )
                # What the workflow published next is new on this bus: replicated like any event.
                batch, archive, only_rules, rounds = published, True, None, rounds + 1
                replicate = True
            counters.flush(conn)
        return stats

    def _accept(
        self,
        conn: sqlite3.Connection,
        event: dict[str, Any],
        now: float,
        archive: bool,
        only_rules: Sequence[str] | None,
        counters: Counters,
        stats: PutStats,
        published: list[dict[str, Any]],
    ) -> None:
        stats.accepted += 1
        # Serialized once: the archive copy and every target without a transformer get these bytes.
        whole = json.dumps(event, separators=(",", ":"))
        if archive:
            conn.execute(
                "INSERT INTO archive (event_id, event_time, ingested_at, body) VALUES (?, ?, ?, ?)",
                (event["id"], parse_event_time(event["time"]), now, whole),
            )
        for rule_key in self.ruleset.match(event):
            if only_rules is not None and rule_key not in only_rules:
                continue
            stats.matched += 1
            self._route(conn, self.rules[rule_key], event, whole, now, counters, stats, published)

    def _route(
        self,
        conn: sqlite3.Connection,
        rule: RuleRow,
        event: dict[str, Any],
        whole: str,
        now: float,
        counters: Counters,
        stats: PutStats,
        published: list[dict[str, Any]],
    ) -> None:
        counters.add("rule", rule.name, "MatchedEvents", at=now)
        counters.add("rule", rule.name, "TriggeredRules", at=now)
        for target in rule.targets:
            try:
                payload = whole if target.input_template is None else self._payload(rule, target, event, now)
            except Exception as exc:  # a transformer that cannot render is a failed invocation, as in AWS
                self._failed_hand_off(
                    conn, rule, target, whole, "INPUT_TRANSFORMER_ERROR", str(exc), counters, now
                )
                continue
            too_large = payload_limits.target_refusal(target.kind, payload)
            if too_large is not None:  # SNS, Step Functions and Firehose take less than EventBridge's 1 MiB
                self._failed_hand_off(
                    conn, rule, target, whole, payload_limits.CODE, too_large, counters, now
                )
                continue
            if target.kind == "batch-queue":
                send_message(conn, _queue_url(target.arn), payload, now=now)
                stats.messages += 1
                self._invoked(rule, target, counters, now, now)
            elif target.kind == "notifications":
                self._sns_publish(conn, rule, event, payload, now, stats, counters)
                self._invoked(rule, target, counters, now, now)
            elif target.kind == S3_ARCHIVE_TARGET:
                self._put_record(conn, rule, target, whole, payload, now, counters, stats)
            elif target.kind == workflows.WORKFLOW_TARGET:
                self._start_execution(
                    conn, rule, target, event, whole, payload, now, counters, stats, published
                )
            else:
                self._invoke_async(conn, rule, target, whole, payload, event, now, counters, stats)

    def _failed_hand_off(
        self, conn: sqlite3.Connection, rule: RuleRow, target: TargetRow, whole: str, code: str, message: str,
        counters: Counters, now: float,
    ) -> None:  # fmt: skip
        """A delivery EventBridge gives up on at once (not retried): counted as the rule's failed invocation,
        the event dead-lettered with the error."""
        counters.add("rule", rule.name, "Invocations", at=now)
        counters.add("rule", rule.name, "FailedInvocations", at=now)
        counters.add("target", f"{rule.key}/{target.target_id}", "Failed", at=now)
        self._dead_letter(
            conn, rule, target, whole, code, message, 1, "MaximumRetryAttemptsExhausted", counters, now
        )

    def _invoke_async(
        self,
        conn: sqlite3.Connection,
        rule: RuleRow,
        target: TargetRow,
        whole: str,
        payload: str,
        event: dict[str, Any],
        now: float,
        counters: Counters,
        stats: PutStats,
    ) -> None:
        """EventBridge's asynchronous Invoke of a Lambda target. Only a failed hand-off is the rule's failure:
        a function that does not exist answers ResourceNotFoundException, a client error EventBridge does
        not retry, so the event goes to the target's DLQ at once and FailedInvocations counts it. What
        Lambda accepted is Lambda's from then on (retries and DLQ by the function's async config)."""
        function = _function(conn, target.arn)
        if function is None:
            self._failed_hand_off(
                conn, rule, target, whole, "ResourceNotFoundException", f"Function not found: {target.arn}",
                counters, now,
            )  # fmt: skip
            return
        _queue_delivery(conn, function, payload, "eventbridge", rule.key, target.target_id, event["id"], now)
        stats.queued_invocations += 1
        self._invoked(rule, target, counters, now, now)

    def _put_record(
        self, conn: sqlite3.Connection, rule: RuleRow, target: TargetRow, whole: str, payload: str, now: float,
        counters: Counters, stats: PutStats,
    ) -> None:  # fmt: skip
        """Firehose PutRecord with the target's role: buffered by tooling.local.firehose. A stream that does
        not exist is a client error EventBridge does not retry (FailedInvocations, the target's DLQ)."""
        if not firehose.put_record(conn, target.arn, payload, now, counters):
            self._failed_hand_off(
                conn, rule, target, whole, "ResourceNotFoundException",
                f"Firehose {target.arn} not found.", counters, now,
            )  # fmt: skip
            return
        stats.archived_records += 1
        self._invoked(rule, target, counters, now, now)

    def _payload(self, rule: RuleRow, target: TargetRow, event: dict[str, Any], now: float) -> str:
        if target.input_template is None:
            return json.dumps(event, separators=(",", ":"))
        return apply_input_transformer(
            event,
            target.input_paths or {},
            target.input_template,
            rule_arn=rule.arn,
            rule_name=rule.name,
            ingestion_time=iso_seconds(now),
        )

    @staticmethod
    def _invoked(
        rule: RuleRow, target: TargetRow, counters: Counters, ingested_at: float, now: float
    ) -> None:
        counters.add("rule", rule.name, "Invocations", at=now)
        counters.add("target", f"{rule.key}/{target.target_id}", "Delivered", at=now)
        counters.sample(
            "rule", rule.name, "IngestionToInvocationStartLatency", (now - ingested_at) * 1000, at=now
        )

    def _sns_publish(
        self,
        conn: sqlite3.Connection,
        rule: RuleRow,
        event: dict[str, Any],
        message: str,
        now: float,
        stats: PutStats,
        counters: Counters,
    ) -> None:
        message_id = str(uuid.uuid4())
        stats.notifications += 1
        conn.execute(
            "INSERT INTO notifications (message_id, topic_arn, message, published_at, rule_key, event_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (message_id, self.topic_arn, message, now, rule.key, event["id"]),
        )
        for sub_arn, protocol, endpoint in self.subscriptions:
            status = "sent" if protocol != "lambda" else "invoked"
            conn.execute(
                "INSERT INTO notification_deliveries (message_id, subscription_arn, protocol, endpoint, status, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (message_id, sub_arn, protocol, endpoint, status, now),
            )
            if protocol != "lambda":
                continue
            record = {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": sub_arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": self.topic_arn,
                    "Subject": None,
                    "Message": message,
                    "Timestamp": iso_millis(now),
                    "SignatureVersion": "1",
                    "Signature": "LOCAL",
                    "SigningCertUrl": f"https://sns.{self.region}.amazonaws.com/SimpleNotificationService-local.pem",
                    "UnsubscribeUrl": f"https://sns.{self.region}.amazonaws.com/?Action=Unsubscribe"
                    f"&SubscriptionArn={sub_arn}",
                    "MessageAttributes": {},
                },
            }
            function = _function(conn, endpoint)
            if function is None:
                # SNS's asynchronous Invoke fails (no such function): a failed delivery of the subscription,
                # which SNS retries by its delivery policy and then sends to the subscription's redrive DLQ.
                # Locally the retry schedule (days, for Lambda endpoints) is not waited out.
                self._sns_delivery_failed(conn, message_id, sub_arn, record, now, counters)
                continue
            payload = json.dumps({"Records": [record]}, separators=(",", ":"))
            _queue_delivery(conn, function, payload, "sns", None, None, event["id"], now)
            counters.add("topic", self.topic_name, "NumberOfNotificationsDelivered", at=now)
            stats.queued_invocations += 1

    def _sns_delivery_failed(
        self,
        conn: sqlite3.Connection,
        message_id: str,
        sub_arn: str,
        record: dict[str, Any],
        now: float,
        counters: Counters,
    ) -> None:
        conn.execute(
            "UPDATE notification_deliveries SET status = 'failed' WHERE message_id = ? AND subscription_arn = ?",
            (message_id, sub_arn),
        )
        counters.add("topic", self.topic_name, "NumberOfNotificationsFailed", at=now)
        if self.notifications_dlq_url is None:
            return
        sns = record["Sns"]
        body = {k: sns[k] for k in ("Type", "MessageId", "TopicArn", "Message", "Timestamp") if k in sns}
        send_message(conn, self.notifications_dlq_url, json.dumps(body, separators=(",", ":")), now=now)
        counters.add("topic", self.topic_name, "NumberOfNotificationsRedrivenToDlq", at=now)

    def _start_execution(
        self,
        conn: sqlite3.Connection,
        rule: RuleRow,
        target: TargetRow,
        event: dict[str, Any],
        whole: str,
        payload: str,
        now: float,
        counters: Counters,
        stats: PutStats,
        published: list[dict[str, Any]],
    ) -> None:
        """StartExecution, then the execution itself (tooling.local.workflows), recorded in `executions`."""
        machine = self.state_machines.get(target.arn)
        try:
            execution_input, valid_input = json.loads(payload), True
        except ValueError:
            execution_input, valid_input = None, False
        if machine is None or not valid_input:
            # StartExecution refuses it (no such state machine, or input that is not JSON): a client
            # error, which EventBridge does not retry.
            counters.add("rule", rule.name, "Invocations", at=now)
            counters.add("rule", rule.name, "FailedInvocations", at=now)
            counters.add("target", f"{rule.key}/{target.target_id}", "Failed", at=now)
            reason = "StateMachineDoesNotExist" if machine is None else "InvalidExecutionInput"
            self._dead_letter(
                conn,
                rule,
                target,
                whole,
                "SDK_CLIENT_ERROR",
                reason,
                1,
                "MaximumRetryAttemptsExhausted",
                counters,
                now,
            )
            return
        run_execution(
            conn,
            machine,
            execution_input,
            payload,
            rule_key=rule.key,
            event_id=event["id"],
            event_bus_name=self.bus_name,
            put_events=lambda entries: [self._workflow_put(entry, now, published) for entry in entries],
            counters=counters,
            now=now,
        )
        stats.executions += 1
        self._invoked(rule, target, counters, now, now)

    def _workflow_put(self, entry: Entry, now: float, published: list[dict[str, Any]]) -> Result:
        """One entry of a workflow's PutEvents: validated as any; accepted events join `published`."""
        if entry.get("EventBusName") not in (self.bus_name, self.bus_arn):
            return {"ErrorCode": "ResourceNotFoundException", "ErrorMessage": "Event bus does not exist."}
        parsed, error = validate_entry(entry)
        if error is not None:
            return error
        assert parsed is not None
        event = self._event(parsed, now)
        published.append(event)
        return {"EventId": event["id"]}

    def _dead_letter(
        self,
        conn: sqlite3.Connection,
        rule: RuleRow,
        target: TargetRow,
        payload: str,
        code: str,
        message: str,
        attempts: int,
        condition: str,
        counters: Counters,
        now: float,
    ) -> None:
        if target.dlq_url is None:
            return
        attributes = dead_letter_attributes(rule.arn, target.arn, code, message, attempts, condition)
        send_message(conn, target.dlq_url, payload, attributes=attributes, now=now)
        counters.add("rule", rule.name, "DeadLetterInvocations", at=now)


def _function(conn: sqlite3.Connection, arn: str) -> sqlite3.Row | None:
    """The function behind a target or subscription ARN as it is now, with its async config; None when it
    does not exist."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT key, async_max_retry_attempts, async_max_event_age_seconds FROM functions WHERE arn = ?",
        (arn,),
    ).fetchone()
    return row


def _queue_delivery(
    conn: sqlite3.Connection,
    function: sqlite3.Row,
    payload: str,
    source: str,
    rule_key: str | None,
    target_id: str | None,
    event_id: str,
    now: float,
) -> None:
    """Lambda accepted an asynchronous invocation: it is queued with the function's retries and event age."""
    conn.execute(
        "INSERT INTO deliveries (function_key, payload, source, rule_key, target_id, event_id, ingested_at, "
        "max_attempts, deadline, not_before, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            function["key"],
            payload,
            source,
            rule_key,
            target_id,
            event_id,
            now,
            1 + int(function["async_max_retry_attempts"]),
            now + int(function["async_max_event_age_seconds"]),
            now,
            str(uuid.uuid4()),
        ),
    )


def _queue_url(arn: str) -> str:
    """`arn:aws:sqs:<region>:<account>:<name>` -> its queue URL."""
    parts = arn.split(":")
    region, account, name = parts[3], parts[4], parts[5]
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://sqs.{region}.{domain}/{account}/{name}"
