"""`MonitorSource` for the local target: the same Snapshot pieces the AWS side reads from EventBridge,
CloudWatch and SQS, read from the local database. Read-only: peeking leaves messages untouched."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from tooling.errors import ToolingError
from tooling.local import alarms as local_alarms
from tooling.local import firehose, health
from tooling.local.bucket import iter_objects
from tooling.local.delivery import Queues
from tooling.local.failover_source import endpoint_status
from tooling.local.forwarding import load_forwarding
from tooling.local.metrics import percentiles, sums
from tooling.local.regions import load_failover, secondary_db_name
from tooling.local.store import Store
from tooling.naming import queue_name_from_url
from tooling.observe.failover import EndpointStatus
from tooling.observe.forwarding import ForwardingMetrics, ForwardingRuleInfo
from tooling.observe.monitor import (
    AlarmInfo,
    ArchiveInfo,
    AsyncQueue,
    BusInfo,
    FunctionMetrics,
    MetricsReport,
    MetricsRequest,
    QueueMessage,
    QueueStats,
    RetryPolicy,
    RuleDefinition,
    RuleMetrics,
    TargetInfo,
    Window,
)
from tooling.observe.s3_archive_monitor import S3ArchiveStats
from tooling.outputs import DeploymentOutputs, FailoverOutputs

RULE_METRICS = {
    "MatchedEvents": "matched_events",
    "TriggeredRules": "triggered_rules",
    "Invocations": "invocations",
    "FailedInvocations": "failed_invocations",
    "DeadLetterInvocations": "dead_letter_invocations",
    "InvocationsFailedToBeSentToDlq": "invocations_failed_to_be_sent_to_dlq",
    "ThrottledRules": "throttled_rules",
}


def _queue_arn(store: Store, url: str | None) -> str | None:
    if not url:
        return None
    value = store.scalar("SELECT arn FROM queues WHERE url = ?", (url,))
    return None if value is None else str(value)


class LocalMonitorSource:
    def __init__(self, store: Store, outputs: DeploymentOutputs) -> None:
        self.store = store
        self.outputs = outputs
        self.queues = Queues(store)

    def close(self) -> None:
        self.store.close()

    def describe_bus(self) -> BusInfo:
        stored = json.loads(self.store.meta("outputs") or "{}")
        if stored.get("event_bus_name") != self.outputs.event_bus_name:
            raise ToolingError(
                f"event bus {self.outputs.event_bus_name} does not exist on the local target",
                hint="apply again: tooling apply --target local",
            )
        row = self.store.query("SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(body)), 0) AS size FROM archive")[0]
        retention = int(self.store.meta("archive_retention_days") or "0")
        archive = ArchiveInfo(
            name=stored.get("archive_name", self.outputs.archive_name),
            state="ENABLED",
            event_count=int(row["n"]),
            size_bytes=int(row["size"]),
            retention_days=retention or None,
        )
        return BusInfo(
            name=self.outputs.event_bus_name,
            arn=self.outputs.event_bus_arn,
            policy_present=False,
            archive=archive,
        )

    def list_rules(self) -> list[RuleDefinition]:
        targets: dict[str, list[TargetInfo]] = {}
        for row in self.store.query("SELECT * FROM targets ORDER BY rule_key, position"):
            targets.setdefault(row["rule_key"], []).append(
                TargetInfo(
                    id=row["target_id"],
                    arn=row["arn"],
                    dead_letter_arn=_queue_arn(self.store, row["dlq_url"]),
                    retry_policy=RetryPolicy(
                        maximum_retry_attempts=row["max_retry_attempts"],
                        maximum_event_age_seconds=row["max_event_age_seconds"],
                    ),
                    input_transformer=row["input_transformer"] is not None,
                )
            )
        return [
            RuleDefinition(
                name=row["name"],
                arn=row["arn"],
                state=row["state"],
                description=row["description"],
                event_pattern=row["pattern"],
                targets=targets.get(row["key"], []),
            )
            for row in self.store.query("SELECT * FROM rules ORDER BY position")
        ]

    def s3_archive(self, window: Window) -> S3ArchiveStats:
        return s3_archive_stats(self.store, self.outputs, window)

    def metrics(self, request: MetricsRequest) -> MetricsReport:
        start, end = request.window.start.timestamp(), request.window.end.timestamp()
        rule_sums = sums(self.store, "rule", request.rules, start, end)
        rules: dict[str, RuleMetrics] = {}
        for name in request.rules:
            values = rule_sums.get(name, {})
            p50, p99 = percentiles(
                self.store, "rule", name, "IngestionToInvocationStartLatency", start, end, (50, 99)
            )
            fields = {attr: int(values.get(metric, 0)) for metric, attr in RULE_METRICS.items()}
            rules[name] = RuleMetrics(**fields, latency_p50_ms=p50, latency_p99_ms=p99)
        fn_sums = sums(self.store, "function", request.functions, start, end)
        functions: dict[str, FunctionMetrics] = {}
        for name in request.functions:
            values = fn_sums.get(name, {})
            p50, p99 = percentiles(self.store, "function", name, "Duration", start, end, (50, 99))
            functions[name] = FunctionMetrics(
                invocations=int(values.get("Invocations", 0)),
                errors=int(values.get("Errors", 0)),
                throttles=int(values.get("Throttles", 0)),
                duration_p50_ms=p50,
                duration_p99_ms=p99,
            )
        ages: dict[str, int] = {}
        now = time.time()
        for name in request.queues:
            oldest = self.store.scalar(
                "SELECT MIN(m.sent_at) FROM messages m JOIN queues q ON q.url = m.queue_url WHERE q.name = ?",
                (name,),
            )
            if oldest is not None:
                ages[name] = max(0, int(now - float(oldest)))
        return MetricsReport(rules=rules, functions=functions, queue_oldest_age_seconds=ages)

    def queue_stats(self, urls: Sequence[str]) -> dict[str, QueueStats | None]:
        out: dict[str, QueueStats | None] = {}
        for url in urls:
            counts = self.queues.counts(url)
            out[url] = (
                None
                if counts is None
                else QueueStats(
                    name=counts.name,
                    arn=counts.arn,
                    visible=counts.visible,
                    in_flight=counts.in_flight,
                    max_receive_count=counts.max_receive_count,
                )
            )
        return out

    def peek(self, url: str, limit: int) -> list[QueueMessage]:
        return [
            QueueMessage(
                message_id=row["id"],
                body=row["body"],
                sent_at=datetime.fromtimestamp(row["sent_at"], UTC),
                receive_count=row["receive_count"],
            )
            for row in self.queues.peek(url, limit)
        ]

    def async_queues(self) -> dict[str, AsyncQueue]:
        """Deliveries Lambda accepted and has not finished: due (or running) now, or waiting for a retry
        (`attempts` > 0) until their due time."""
        now = time.time()
        rows = self.store.query(
            "SELECT f.name AS name, SUM(d.attempts = 0 OR d.not_before <= ? OR d.claimed = 1) AS queued, "
            "SUM(d.attempts > 0 AND d.not_before > ? AND d.claimed = 0) AS retrying, "
            "MIN(CASE WHEN d.attempts > 0 AND d.claimed = 0 THEN d.not_before END) AS next_retry "
            # Batches of the SQS mapping are synchronous invocations, not Lambda's asynchronous queue.
            "FROM deliveries d JOIN functions f ON f.key = d.function_key WHERE d.source != 'sqs' "
            "GROUP BY f.name",
            (now, now),
        )
        return {
            str(row["name"]): AsyncQueue(
                queued=int(row["queued"] or 0),
                retrying=int(row["retrying"] or 0),
                next_retry_at=None
                if row["next_retry"] is None
                else datetime.fromtimestamp(float(row["next_retry"]), UTC),
            )
            for row in rows
        }

    def describe_forwarding(self, rule_arn: str) -> ForwardingRuleInfo | None:
        """The default bus's forwarding rule as provisioned (tooling.local.forwarding)."""
        rule = load_forwarding(self.store)
        if rule is None or rule.arn != rule_arn:
            return None
        return ForwardingRuleInfo(
            name=rule.name,
            state=rule.state,
            event_pattern=json.dumps(rule.pattern, separators=(",", ":")),
            target_arn=rule.target_arn,
            dead_letter_arn=_queue_arn(self.store, rule.dlq_url),
        )

    def forwarding_metrics(self, rule_name: str, start: datetime, end: datetime) -> ForwardingMetrics:
        values = sums(self.store, "rule", [rule_name], start.timestamp(), end.timestamp()).get(rule_name, {})
        return ForwardingMetrics(
            matched_events=int(values.get("MatchedEvents", 0)),
            invocations=int(values.get("Invocations", 0)),
            failed_invocations=int(values.get("FailedInvocations", 0)),
            dead_letter_invocations=int(values.get("DeadLetterInvocations", 0)),
            invocations_failed_to_be_sent_to_dlq=int(values.get("InvocationsFailedToBeSentToDlq", 0)),
        )

    def alarms(self) -> list[AlarmInfo]:
        """The alarms Terraform creates (the catalogue's, tooling/local/alarms.py) and, with [failover], the
        health alarm of the global endpoint, evaluated now from the local metrics."""
        now = time.time()
        alarms = local_alarms.evaluate(self.store, now)
        failover = load_failover(self.store)
        if failover is not None:
            # [failover]'s health alarm in the primary region (tooling/local/health.py; periods scaled).
            health_alarm = health.alarm_state(self.store, failover, now)
            alarms.append(
                AlarmInfo(
                    name=health_alarm.name,
                    state=health_alarm.state,
                    reason=health_alarm.reason if health_alarm.state != "OK" else "",
                    metric=f"AWS/Events/{failover.alarm.metric}",
                )
            )
        return self._with_state_changes(alarms, now)

    def endpoint_status(self, failover: FailoverOutputs) -> EndpointStatus:
        """[failover]'s endpoint (tooling.observe.failover.FailoverSource)."""
        secondary = self._secondary_store(failover.secondary_region)
        try:
            return endpoint_status(self.store, secondary, failover)
        finally:
            if secondary is not None:
                secondary.close()

    def region_source(self, outputs: DeploymentOutputs) -> LocalMonitorSource:
        """The secondary region's monitor source (its own store)."""
        store = self._secondary_store(outputs.region)
        if store is None:
            raise ToolingError(
                f"the local target has no {outputs.region} region (the secondary of [failover])",
                hint="apply again: tooling apply --target local",
            )
        return LocalMonitorSource(store, outputs)

    def _secondary_store(self, region: str) -> Store | None:
        # The store sits in .tooling/<env>/, next to the secondary region's.
        path = self.store.path.parent / secondary_db_name(region)
        return Store(path) if path.is_file() else None

    def _with_state_changes(self, alarms: list[AlarmInfo], now: float) -> list[AlarmInfo]:
        """Each alarm with the time of its last state change (CloudWatch's StateUpdatedTimestamp).

        Local alarms are evaluated when read, so a change is recorded at the evaluation that sees it; the
        first state an alarm is seen in dates from the environment's provisioning (AWS: alarm creation)."""
        created = float(self.store.meta("created_at") or now)
        with self.store.transaction() as conn:
            known = {
                str(row["name"]): (str(row["state"]), float(row["since"]))
                for row in conn.execute("SELECT name, state, since FROM alarm_states")
            }
            changed = []
            for alarm in alarms:
                previous = known.get(alarm.name)
                if previous is None or previous[0] != alarm.state:
                    since = now if previous is not None or alarm.state != "OK" else min(created, now)
                    known[alarm.name] = (alarm.state, since)
                    changed.append((alarm.name, alarm.state, since))
            conn.executemany(
                "INSERT INTO alarm_states (name, state, since) VALUES (?, ?, ?) ON CONFLICT(name) "
                "DO UPDATE SET state = excluded.state, since = excluded.since",
                changed,
            )
        return [
            alarm.model_copy(update={"updated_at": datetime.fromtimestamp(known[alarm.name][1], UTC)})
            for alarm in alarms
        ]


__all__ = ["LocalMonitorSource", "queue_name_from_url"]


def s3_archive_stats(store: Store, outputs: DeploymentOutputs, window: Window) -> S3ArchiveStats:
    """The local stream's counters over the window (AWS/Firehose's metric names), the bucket folder's
    object count, and what the stream still buffers (the monitor delivers nothing: it only reads)."""
    start, end = window.start.timestamp(), window.end.timestamp()
    stream = outputs.s3_archive_stream_name
    counts = sums(store, firehose.SCOPE, [stream], start, end).get(stream, {})
    exists = any(s.name == stream for s in firehose.streams(store))
    # The store sits in .tooling/<env>/, next to the s3/ folder of the buckets.
    folder = store.path.parent / "s3" / outputs.s3_archive_bucket_name
    # A link in place of the bucket folder is not the bucket: nothing outside .tooling/<env>/s3/ is counted.
    bucket_exists = folder.is_dir() and not folder.is_symlink()
    objects = sum(1 for _ in iter_objects(folder)) if bucket_exists else 0
    attempts = int(counts.get("DeliveryToS3.Attempts", 0))
    successes = int(counts.get("DeliveryToS3.Success", 0))
    return S3ArchiveStats(
        stream_name=stream,
        bucket_name=outputs.s3_archive_bucket_name,
        stream_exists=exists,
        stream_status="ACTIVE" if exists else "",
        bucket_exists=bucket_exists,
        incoming_records=int(counts.get("IncomingRecords", 0)),
        delivered_records=int(counts.get("DeliveryToS3.Records", 0)),
        successful_deliveries=successes,
        failed_deliveries=attempts - successes,
        objects=objects,
        buffered_records=firehose.buffered_count(store),
    )
