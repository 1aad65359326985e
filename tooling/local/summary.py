"""What happened on the local target, all time: the figures `make demo` prints after a run."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from tooling.local import firehose
from tooling.local.bucket import iter_objects
from tooling.local.delivery import Queues
from tooling.local.event_store_source import EVENT_STORE_FILE, LocalEventStore
from tooling.local.metrics import percentiles, sums
from tooling.local.store import Store
from tooling.outputs import DeploymentOutputs


@dataclass(frozen=True)
class RuleLine:
    key: str
    matched: int
    invocations: int
    failed: int
    dead_lettered: int


@dataclass(frozen=True)
class TargetLine:
    rule: str
    target_id: str
    kind: str
    delivered: int
    failed: int


@dataclass(frozen=True)
class FunctionLine:
    key: str
    invocations: int
    errors: int
    duration_p50_ms: float
    duration_p99_ms: float


@dataclass(frozen=True)
class WorkflowLine:
    """One state machine: AWS/States execution counts and what its succeeded executions published."""

    key: str
    name: str
    started: int
    succeeded: int
    failed: int
    # detail-type published -> executions that published it (from the execution outputs)
    published: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class QueueLine:
    key: str
    name: str
    visible: int
    in_flight: int


@dataclass(frozen=True)
class S3ArchiveLine:
    """The S3 event archive: records the stream took, what it wrote to the bucket, what it still buffers."""

    stream: str
    bucket: str
    incoming_records: int
    delivered_records: int
    objects: int
    sources: int
    buffered_records: int
    failed_deliveries: int


@dataclass(frozen=True)
class ConsumerLine:
    """The batch queue's SQS event source mapping and the event store it fills."""

    function: str
    batches: int
    messages_deleted: int
    messages_failed: int
    # Items in the event store; None when [event_store] is disabled.
    stored_events: int | None


@dataclass(frozen=True)
class LocalSummary:
    archived_events: int
    pending_deliveries: int
    rules: list[RuleLine] = field(default_factory=list)
    targets: list[TargetLine] = field(default_factory=list)
    functions: list[FunctionLine] = field(default_factory=list)
    # SNS message texts, oldest first (a JSON-string message, as an input template in quotes makes, unquoted)
    notifications: list[str] = field(default_factory=list)
    email_deliveries: int = 0
    queues: list[QueueLine] = field(default_factory=list)
    # Only state machines that exist (a rule targets order-workflow); empty otherwise.
    workflows: list[WorkflowLine] = field(default_factory=list)
    # None when [s3_archive] is disabled.
    s3_archive: S3ArchiveLine | None = None
    # The batch consumer, when [batch_processor] is enabled.
    consumer: ConsumerLine | None = None

    def as_json(self) -> dict[str, object]:
        return asdict(self)

    def lines(self, max_notifications: int = 5) -> list[str]:
        """A plain-text report within 80 columns: per-rule matches, per-target deliveries, functions,
        notifications (the last `max_notifications`), the archive, the consumer and queue depths."""
        out = [
            f"archive: {self.archived_events} event(s); pending deliveries: {self.pending_deliveries}",
            "rules:",
        ]
        out += [
            f"  {r.key:<22} matched {r.matched:>6}  invoked {r.invocations:>6}  failed {r.failed:>4}  "
            f"DLQ {r.dead_lettered:>4}"
            for r in self.rules
        ]
        out.append("targets:")
        out += [
            f"  {_target_label(t):<38} delivered {t.delivered:>6}  failed {t.failed:>4}" for t in self.targets
        ]
        out.append("functions:")
        out += [
            f"  {f.key:<16} invoked {f.invocations:>6}  errors {f.errors:>4}  "
            f"p50 {f.duration_p50_ms:>6.1f} ms  p99 {f.duration_p99_ms:>6.1f} ms"
            for f in self.functions
        ]
        out.append(f"notifications ({len(self.notifications)}; email deliveries {self.email_deliveries}):")
        shown = self.notifications[-max_notifications:] if max_notifications > 0 else []
        if len(shown) < len(self.notifications):
            out.append(f"  ... {len(self.notifications) - len(shown)} earlier ones not shown")
        out += [f"  {text}" for text in shown]
        if self.workflows:
            out.append("workflows:")
            for w in self.workflows:
                out.append(
                    f"  {w.key:<16} executions started {w.started:>5}  succeeded {w.succeeded:>5}  "
                    f"failed {w.failed:>3}"
                )
                published = ", ".join(f"{t} {n}" for t, n in sorted(w.published.items())) or "nothing"
                out.append(f"    published {published}")
        if self.s3_archive is not None:
            a = self.s3_archive
            out.append(f"S3 archive (Firehose {a.stream}):")
            out.append(f"  s3://{a.bucket}/source=<source>/year=/month=/day=/")
            out.append(
                f"  records in {a.incoming_records:>5}  written {a.delivered_records:>5} in {a.objects} "
                f"object(s) across {a.sources} source(s)"
            )
            out.append(f"  buffered {a.buffered_records}  failed deliveries {a.failed_deliveries}")
        if self.consumer is not None:
            c = self.consumer
            out.append(
                f"batch consumer: {c.batches} batch(es), {c.messages_deleted} message(s) consumed, "
                f"{c.messages_failed} failed"
            )
            out.append(
                "event store: disabled"
                if c.stored_events is None
                else f"event store: {c.stored_events} event(s) stored"
            )
        out.append("queues:")
        out += [f"  {q.key:<22} visible {q.visible:>6}  in flight {q.in_flight:>4}" for q in self.queues]
        return [fit(line) for line in out]


def _target_label(t: TargetLine) -> str:
    label = f"{t.rule} -> {t.target_id}"
    return label if t.kind == t.target_id else f"{label} ({t.kind})"


# What the demo prints must not wrap in an 80-column terminal.
WIDTH = 80
_UUID = re.compile(r"\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def fit(line: str, width: int = WIDTH) -> str:
    """The line within `width` columns: uuids shortened to their first 8 digits, then the end cut."""
    if len(line) <= width:
        return line
    line = _UUID.sub(r"\1...", line)
    return line if len(line) <= width else line[: width - 3] + "..."


def summarize(store: Store, outputs: DeploymentOutputs) -> LocalSummary:
    end = float("inf")
    rules = store.query("SELECT key, name FROM rules ORDER BY position")
    rule_sums = sums(store, "rule", [r["name"] for r in rules], 0, end)
    targets = store.query(
        "SELECT t.* FROM targets t JOIN rules r ON r.key = t.rule_key ORDER BY r.position, t.position"
    )
    target_names = [f"{t['rule_key']}/{t['target_id']}" for t in targets]
    target_sums = sums(store, "target", target_names, 0, end)
    fn_names = dict(outputs.function_names)
    fn_sums = sums(store, "function", list(fn_names.values()), 0, end)
    queues = Queues(store)
    queue_lines = []
    for key, url in [("batch-queue", outputs.batch_queue_url)] + [
        (f"dlq:{k}", u) for k, u in outputs.dead_letter_queue_urls.items()
    ]:
        counts = queues.counts(url)
        if counts is not None:
            queue_lines.append(QueueLine(key, counts.name, counts.visible, counts.in_flight))
    return LocalSummary(
        archived_events=int(store.scalar("SELECT COUNT(*) FROM archive") or 0),
        pending_deliveries=int(store.scalar("SELECT COUNT(*) FROM deliveries") or 0),
        rules=[
            RuleLine(
                key=r["key"],
                matched=int(rule_sums.get(r["name"], {}).get("MatchedEvents", 0)),
                invocations=int(rule_sums.get(r["name"], {}).get("Invocations", 0)),
                failed=int(rule_sums.get(r["name"], {}).get("FailedInvocations", 0)),
                dead_lettered=int(rule_sums.get(r["name"], {}).get("DeadLetterInvocations", 0)),
            )
            for r in rules
        ],
        targets=[
            TargetLine(
                rule=t["rule_key"],
                target_id=t["target_id"],
                kind=t["kind"],
                delivered=int(target_sums.get(name, {}).get("Delivered", 0)),
                failed=int(target_sums.get(name, {}).get("Failed", 0)),
            )
            for t, name in zip(targets, target_names, strict=True)
        ],
        functions=[
            FunctionLine(
                key=key,
                invocations=int(fn_sums.get(name, {}).get("Invocations", 0)),
                errors=int(fn_sums.get(name, {}).get("Errors", 0)),
                duration_p50_ms=percentiles(store, "function", name, "Duration", 0, end, (50,))[0],
                duration_p99_ms=percentiles(store, "function", name, "Duration", 0, end, (99,))[0],
            )
            for key, name in fn_names.items()
        ],
        notifications=[
            _readable(str(row[0]))
            for row in store.query("SELECT message FROM notifications ORDER BY published_at")
        ],
        email_deliveries=int(
            store.scalar("SELECT COUNT(*) FROM notification_deliveries WHERE protocol = 'email'") or 0
        ),
        queues=queue_lines,
        workflows=_workflows(store, end),
        consumer=_consumer(store, outputs, end),
        s3_archive=_s3_archive(store, end),
    )


def _s3_archive(store: Store, end: float) -> S3ArchiveLine | None:
    stream = next(iter(firehose.streams(store)), None)
    if stream is None:
        return None
    counts = sums(store, firehose.SCOPE, [stream.name], 0, end).get(stream.name, {})
    # The store sits in .tooling/<env>/, next to the s3/ folder of the buckets.
    folder = store.path.parent / "s3" / stream.bucket
    keys = [key for key, _ in iter_objects(folder) if key.endswith(".gz")] if not folder.is_symlink() else []
    sources = {key.split("/")[0] for key in keys if not key.startswith("errors/")}
    return S3ArchiveLine(
        stream=stream.name,
        bucket=stream.bucket,
        incoming_records=int(counts.get("IncomingRecords", 0)),
        delivered_records=int(counts.get("DeliveryToS3.Records", 0)),
        objects=len(keys),
        sources=len(sources),
        buffered_records=firehose.buffered_count(store),
        failed_deliveries=int(counts.get("DeliveryToS3.Attempts", 0) - counts.get("DeliveryToS3.Success", 0)),
    )


def _consumer(store: Store, outputs: DeploymentOutputs, end: float) -> ConsumerLine | None:
    mapping = store.query("SELECT uuid, function_key FROM event_source_mappings")
    if not mapping:
        return None
    totals = sums(store, "mapping", [str(mapping[0]["uuid"])], 0, end).get(str(mapping[0]["uuid"]), {})
    stored = None
    if outputs.event_store_table_name:
        stored = LocalEventStore(store.path.parent / EVENT_STORE_FILE).item_count()
    return ConsumerLine(
        function=str(mapping[0]["function_key"]),
        batches=int(totals.get("Batches", 0)),
        messages_deleted=int(totals.get("MessagesDeleted", 0)),
        messages_failed=int(totals.get("MessagesFailed", 0)),
        stored_events=stored,
    )


def _workflows(store: Store, end: float) -> list[WorkflowLine]:
    machines = store.query("SELECT key, name, arn FROM state_machines ORDER BY key")
    totals = sums(store, "state_machine", [m["name"] for m in machines], 0, end)
    lines = []
    for machine in machines:
        published: dict[str, int] = {}
        for (output,) in store.query(
            "SELECT output FROM executions WHERE state_machine_arn = ? AND status = 'SUCCEEDED'",
            (machine["arn"],),
        ):
            detail_type = str(json.loads(output).get("detailType", "?"))
            published[detail_type] = published.get(detail_type, 0) + 1
        counts = totals.get(machine["name"], {})
        lines.append(
            WorkflowLine(
                key=machine["key"],
                name=machine["name"],
                started=int(counts.get("ExecutionsStarted", 0)),
                succeeded=int(counts.get("ExecutionsSucceeded", 0)),
                failed=int(counts.get("ExecutionsFailed", 0)),
                published=published,
            )
        )
    return lines


def _readable(message: str) -> str:
    """A message that is a JSON string (an input template in quotes) shown as its text."""
    try:
        value = json.loads(message)
    except ValueError:
        return message
    return value if isinstance(value, str) else message
