"""The local target's CloudWatch alarms: the catalogue's (tooling/observe/alarm_catalogue.py), created at
apply for what the region provisioned, evaluated when read from the local metrics.

`provision_alarms` expands the catalogue over the members this region has (its rules, functions, queues,
workflow, stream), as terraform/modules/monitoring does over its inputs, and records the definitions; a
region without consumers has none (Terraform creates no monitoring module there). `evaluate` reads each
alarm's metric over its period times its evaluation periods and compares it with the threshold; missing
data is not breaching, as every catalogue alarm says.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tooling.config import BATCH_PROCESSOR, FORWARDING_ALARM_KEY, S3_ARCHIVE_TARGET
from tooling.local import firehose
from tooling.local.delivery import Queues
from tooling.local.forwarding import META_KEY as FORWARDING_KEY
from tooling.local.forwarding import ForwardingRule
from tooling.local.metrics import sums
from tooling.local.store import Store
from tooling.naming import queue_name_from_url
from tooling.observe.alarm_catalogue import AlarmDefinition, Family, breaches, expand
from tooling.observe.monitor import AlarmInfo
from tooling.outputs import DeploymentOutputs

DEFINITIONS_KEY = "alarm_definitions"
# The batch queue's member key (terraform/modules/monitoring/alarms.tf).
BATCH_QUEUE_MEMBER = "batch-queue"


def members(conn: sqlite3.Connection, outputs: DeploymentOutputs) -> dict[str, dict[str, str]]:
    """Collection -> member key -> AWS name (state machines: ARN), from what the region provisioned."""
    functions = {str(r["key"]): str(r["name"]) for r in conn.execute("SELECT key, name FROM functions")}
    forwarding = conn.execute("SELECT value FROM meta WHERE key = ?", (FORWARDING_KEY,)).fetchone()
    streams = firehose.streams(conn)
    consumers = {
        str(r["function_key"]): functions[str(r["function_key"])]
        for r in conn.execute("SELECT function_key FROM event_source_mappings")
        if str(r["function_key"]) in functions
    }
    return {
        "rules": {str(r["key"]): str(r["name"]) for r in conn.execute("SELECT key, name FROM rules")},
        "forwarding_rules": {}
        if forwarding is None
        else {FORWARDING_ALARM_KEY: ForwardingRule.from_json(str(forwarding[0])).name},
        "functions": functions,
        "async_functions": {key: name for key, name in functions.items() if key not in consumers},
        "dead_letter_queues": {
            key: queue_name_from_url(url) for key, url in outputs.dead_letter_queue_urls.items()
        },
        "batch_queue": {BATCH_QUEUE_MEMBER: queue_name_from_url(outputs.batch_queue_url)},
        "state_machines": {
            str(r["key"]): str(r["arn"]) for r in conn.execute("SELECT key, arn FROM state_machines")
        },
        # The S3 event archive's stream, the only one there is.
        "firehose_streams": {S3_ARCHIVE_TARGET: streams[0].name} if streams else {},
        "batch_consumer": {key: name for key, name in consumers.items() if key == BATCH_PROCESSOR},
    }


def provision_alarms(
    conn: sqlite3.Connection,
    families: Mapping[str, Family],
    prefix: str,
    settings: Mapping[str, float],
    outputs: DeploymentOutputs,
    *,
    consumers: bool,
) -> list[AlarmDefinition]:
    """Record the region's alarms (after its resources, in the same transaction)."""
    definitions = expand(families, prefix, members(conn, outputs), settings) if consumers else []
    text = json.dumps([d.model_dump(mode="json") for d in definitions], separators=(",", ":"))
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (DEFINITIONS_KEY, text),
    )
    return definitions


def definitions(store: Store) -> list[AlarmDefinition]:
    """The alarms recorded at the last apply (none before the alarm catalogue: the next apply adds them)."""
    return [AlarmDefinition.model_validate(d) for d in json.loads(store.meta(DEFINITIONS_KEY) or "[]")]


@dataclass(frozen=True)
class Window:
    store: Store
    start: float
    now: float


# How the local target measures a metric for one alarm: its value over the window, or None (no data).
Reader = Callable[[Window, AlarmDefinition], float | None]


def _counted(scope: str) -> Reader:
    """The sum of a counter the local target keeps per resource name (scope: rule, function, ...)."""

    def read(window: Window, alarm: AlarmDefinition) -> float | None:
        values = sums(window.store, scope, [alarm.target], window.start, window.now + 1)
        return values.get(alarm.target, {}).get(alarm.metric, 0.0)

    return read


def _state_machine(window: Window, alarm: AlarmDefinition) -> float | None:
    # Counted per state machine name (tooling/local/workflow_target.py); the alarm's member is its ARN.
    name = window.store.scalar("SELECT name FROM state_machines WHERE arn = ?", (alarm.target,))
    if name is None:
        return None
    return (
        sums(window.store, "state_machine", [str(name)], window.start, window.now + 1)
        .get(str(name), {})
        .get(alarm.metric, 0.0)
    )


def _queue_row(window: Window, alarm: AlarmDefinition) -> str | None:
    url = window.store.scalar("SELECT url FROM queues WHERE name = ?", (alarm.target,))
    return None if url is None else str(url)


def _visible_messages(window: Window, alarm: AlarmDefinition) -> float | None:
    url = _queue_row(window, alarm)
    counts = None if url is None else Queues(window.store).counts(url)
    return None if counts is None else float(counts.visible)


def _oldest_message_age(window: Window, alarm: AlarmDefinition) -> float | None:
    url = _queue_row(window, alarm)
    counts = None if url is None else Queues(window.store).counts(url)
    if counts is None:
        return None
    return 0.0 if counts.oldest_sent_at is None else window.now - float(counts.oldest_sent_at)


def _delivery_success(window: Window, alarm: AlarmDefinition) -> float | None:
    # AWS/Firehose DeliveryToS3.Success: the share of successful S3 writes; no write, no data point.
    values = sums(window.store, firehose.SCOPE, [alarm.target], window.start, window.now + 1)
    attempts = values.get(alarm.target, {}).get("DeliveryToS3.Attempts", 0.0)
    if not attempts:
        return None
    return values[alarm.target].get("DeliveryToS3.Success", 0.0) / attempts


def _failed_messages(window: Window, alarm: AlarmDefinition) -> float | None:
    # The batch consumer's MalformedMessages + UnstorableEvents + EventStoreWriteErrors on AWS: here, the
    # messages its batch responses listed as failed, counted per event source mapping.
    mappings = [str(row[0]) for row in window.store.query("SELECT uuid FROM event_source_mappings")]
    failed = sums(window.store, "mapping", mappings, window.start, window.now + 1)
    return sum(values.get("MessagesFailed", 0.0) for values in failed.values())


# (namespace, metric) -> how the local target measures it. A catalogue metric missing here shows its alarm
# as INSUFFICIENT_DATA (tests/robustness/test_alarms_one_catalogue.py requires every one to be here).
READERS: dict[tuple[str, str], Reader] = {
    ("AWS/Events", "FailedInvocations"): _counted("rule"),
    ("AWS/Events", "InvocationsFailedToBeSentToDlq"): _counted("rule"),
    ("AWS/Lambda", "Errors"): _counted("function"),
    ("AWS/Lambda", "Throttles"): _counted("function"),
    ("AWS/Lambda", "DeadLetterErrors"): _counted("function"),
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): _visible_messages,
    ("AWS/SQS", "ApproximateAgeOfOldestMessage"): _oldest_message_age,
    ("AWS/States", "ExecutionsFailed"): _state_machine,
    # Never counted: a local execution runs to completion at once (tooling/local/workflow_target.py).
    ("AWS/States", "ExecutionsTimedOut"): _state_machine,
    ("AWS/Firehose", "DeliveryToS3.Success"): _delivery_success,
    ("EcommerceEvents", "FailedMessages"): _failed_messages,
}


def evaluate(store: Store, now: float | None = None) -> list[AlarmInfo]:
    """Every recorded alarm's state now, over its period times its evaluation periods."""
    settings = json.loads(store.meta("alarms") or "{}")
    if not settings:
        return []
    now = time.time() if now is None else now
    window = Window(store, now - int(settings["period_seconds"]) * int(settings["evaluation_periods"]), now)
    found: list[AlarmInfo] = []
    for alarm in definitions(store):
        label = f"{alarm.namespace}/{alarm.metric}"
        reader = READERS.get((alarm.namespace, alarm.metric))
        if reader is None:
            found.append(
                AlarmInfo(
                    name=alarm.name,
                    state="INSUFFICIENT_DATA",
                    reason=f"the local target does not measure {label}",
                    metric=label,
                )
            )
            continue
        value = reader(window, alarm)
        firing = value is not None and breaches(alarm.comparison, value, alarm.threshold)
        found.append(
            AlarmInfo(
                name=alarm.name,
                state="ALARM" if firing else "OK",
                reason=f"{label} = {value:g} (threshold {alarm.threshold:g})" if firing else "",
                metric=label,
            )
        )
    return found
