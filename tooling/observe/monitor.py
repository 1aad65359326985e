"""The operator's view of a deployed environment: one typed Snapshot, gathered through a MonitorSource.

Gathering is separate from rendering. A target (AWS in `tooling/observe/aws_sources.py`, the embedded
emulator in `tooling/local/`) implements the small `MonitorSource` protocol below; `build_snapshot` asks it
for the pieces, joins them with the deployment outputs and computes the health verdict.
`tooling/observe/render.py` draws a Snapshot; `snapshot.model_dump(mode="json")` is the machine form.

Nothing here talks to AWS: the protocol methods return the models defined in this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, cast

from pydantic import BaseModel, ConfigDict, Field

from tooling.errors import UsageError
from tooling.observe.consumer import CONSUMER_KEY, ConsumerView, consumer_view
from tooling.observe.event_store import EventStoreSource
from tooling.observe.failover import (
    EndpointStatus,
    FailoverSource,
    FailoverView,
    RegionSummary,
    endpoint_problems,
    secondary_deployment,
)
from tooling.observe.forwarding import ForwardingView, forwarding_problems, forwarding_view
from tooling.observe.s3_archive_monitor import S3ArchiveStats
from tooling.observe.s3_archive_monitor import problems as s3_archive_problems
from tooling.outputs import DeploymentOutputs

# ---------------------------------------------------------------------------------------------------------
# Pieces a MonitorSource returns
# ---------------------------------------------------------------------------------------------------------


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Window(Model):
    """The metrics window [start, end), both timezone-aware UTC."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        return max(1, int((self.end - self.start).total_seconds()))

    @classmethod
    def last(cls, since: timedelta, now: datetime | None = None) -> Window:
        end = (now or datetime.now(UTC)).astimezone(UTC)
        return cls(start=end - since, end=end)


class ArchiveInfo(Model):
    name: str
    state: str
    event_count: int = 0
    size_bytes: int = 0
    retention_days: int | None = None  # None: kept indefinitely


class BusInfo(Model):
    name: str
    arn: str
    policy_present: bool
    archive: ArchiveInfo | None = None  # None: the archive named in the outputs does not exist


class RetryPolicy(Model):
    maximum_retry_attempts: int | None = None
    maximum_event_age_seconds: int | None = None


class TargetInfo(Model):
    id: str
    arn: str
    dead_letter_arn: str | None = None
    retry_policy: RetryPolicy | None = None
    input_transformer: bool = False


class RuleDefinition(Model):
    """A rule as it exists on the bus (not as configured): what `list_rules` returns."""

    name: str  # the rule's real name on the bus
    arn: str
    state: str  # ENABLED | DISABLED | ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
    description: str = ""
    event_pattern: str | None = None  # the JSON text as stored; None for scheduled rules
    managed_by: str | None = None  # a service's own rule (the archive's), not one the user deploys
    targets: list[TargetInfo] = Field(default_factory=list)


class RuleMetrics(Model):
    """AWS/Events metrics for one rule over the window (Sum; latency in ms). Missing data is 0."""

    matched_events: int = 0
    triggered_rules: int = 0
    invocations: int = 0
    failed_invocations: int = 0
    dead_letter_invocations: int = 0
    invocations_failed_to_be_sent_to_dlq: int = 0
    throttled_rules: int = 0
    latency_p50_ms: float = 0.0
    latency_p99_ms: float = 0.0


class FunctionMetrics(Model):
    """AWS/Lambda metrics for one function over the window (Sum; duration in ms). Missing data is 0."""

    invocations: int = 0
    errors: int = 0
    throttles: int = 0
    duration_p50_ms: float = 0.0
    duration_p99_ms: float = 0.0


class MetricsRequest(Model):
    """Everything one snapshot needs from the metrics store, asked for at once (one GetMetricData on AWS)."""

    window: Window
    rules: list[str] = Field(default_factory=list)  # rule names on the bus
    functions: list[str] = Field(default_factory=list)  # function names
    queues: list[str] = Field(default_factory=list)  # queue names (for the age of the oldest message)


class MetricsReport(Model):
    """Keyed like the request. A name the store has no data for may be absent: it reads as zeros."""

    rules: dict[str, RuleMetrics] = Field(default_factory=dict)
    functions: dict[str, FunctionMetrics] = Field(default_factory=dict)
    queue_oldest_age_seconds: dict[str, int] = Field(default_factory=dict)


class QueueStats(Model):
    """Approximate counts of one queue, read without receiving anything."""

    name: str
    arn: str
    visible: int
    in_flight: int
    delayed: int = 0
    max_receive_count: int | None = None  # from the queue's redrive policy: peeking counts towards it


class QueueMessage(Model):
    """A message seen by peeking (left visible to its consumers)."""

    message_id: str
    body: str
    sent_at: datetime | None = None
    receive_count: int = 0


class AlarmInfo(Model):
    name: str
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str = ""
    metric: str | None = None  # "<namespace>/<metric name>"; None for composite alarms
    updated_at: datetime | None = None


class AsyncQueue(Model):
    """A function's asynchronous invocations waiting in Lambda's queue: due now, or waiting for a retry."""

    queued: int = 0
    retrying: int = 0
    next_retry_at: datetime | None = None


class MonitorSource(Protocol):
    """What a target implements so `build_snapshot` can see it. Read-only: no method may change state
    that a consumer would notice (peek leaves messages visible). Raise ToolingError subclasses (or let
    botocore errors through on AWS) for failures the user must act on; report absent optional pieces as
    documented per method."""

    def describe_bus(self) -> BusInfo:
        """The bus of the outputs with its archive. Raise ToolingError when the bus itself is missing;
        return `archive=None` when only the archive is."""
        ...

    def list_rules(self) -> list[RuleDefinition]:
        """Every rule on the bus (all pages), each with all its targets."""
        ...

    def metrics(self, request: MetricsRequest) -> MetricsReport:
        """Rule, function and queue-age metrics for the window, in as few calls as the store allows."""
        ...

    def queue_stats(self, urls: Sequence[str]) -> dict[str, QueueStats | None]:
        """Counts per queue URL; None for a queue that does not exist."""
        ...

    def peek(self, url: str, limit: int) -> list[QueueMessage]:
        """Up to `limit` messages of the queue, without hiding them from consumers."""
        ...

    def async_queues(self) -> dict[str, AsyncQueue]:
        """Per function name, its queued asynchronous invocations (the local target's; AWS exposes no such
        view, only the AsyncEvents* metrics, so its source returns none)."""
        ...

    def alarms(self) -> list[AlarmInfo]:
        """The alarms of this environment (names starting with `alarm_prefix(outputs)`), all pages."""
        ...

    def s3_archive(self, window: Window) -> S3ArchiveStats:
        """The S3 event archive of the outputs (asked only when they name one): stream, bucket, metrics."""
        ...


# ---------------------------------------------------------------------------------------------------------
# The Snapshot
# ---------------------------------------------------------------------------------------------------------


class RuleView(Model):
    name: str
    key: str | None  # the routing-table name from the outputs' rule_arns; None for a rule not in the outputs
    arn: str
    state: str
    description: str
    pattern: Any  # the parsed event pattern (None for a scheduled rule)
    managed_by: str | None
    targets: list[TargetInfo]
    metrics: RuleMetrics


class FunctionView(Model):
    key: str  # processor | notifier | analytics
    name: str
    log_group: str | None
    metrics: FunctionMetrics
    dlq_key: str | None  # the `queues[].key` of its on-failure DLQ
    dlq_depth: int | None  # visible + in flight in that DLQ; None when it has none or it is missing
    pending: AsyncQueue = AsyncQueue()  # asynchronous invocations waiting, and retries with their due time


class QueueView(Model):
    key: str  # "batch-queue" or "dlq:<name>" (<name> as in dead_letter_queue_urls)
    role: Literal["batch", "dlq"]
    url: str
    exists: bool
    name: str | None = None
    visible: int = 0
    in_flight: int = 0
    delayed: int = 0
    oldest_age_seconds: int = 0
    max_receive_count: int | None = None
    sample: list[QueueMessage] = Field(default_factory=list)  # only with peek


Severity = Literal["warning", "critical"]


class Problem(Model):
    severity: Severity
    subject: str  # "rule order-events", "queue dlq:processor", "alarm x", ...
    message: str


class Health(Model):
    status: Literal["OK", "WARNING", "CRITICAL"]
    verdict: str  # the one line: "OK", or the status and every problem
    problems: list[Problem]


class SnapshotMeta(Model):
    environment: str
    target: str
    region: str
    taken_at: datetime
    window_start: datetime
    window_end: datetime


class Snapshot(Model):
    meta: SnapshotMeta
    bus: BusInfo
    rules: list[RuleView]
    functions: list[FunctionView]
    queues: list[QueueView]
    alarms: list[AlarmInfo]
    health: Health
    # The default bus's forwarding rule ([forwarding]); None when forwarding is off.
    forwarding: ForwardingView | None = None
    # None when the deployment has no S3 event archive ([s3_archive] disabled).
    s3_archive: S3ArchiveStats | None = None
    # The batch queue's consumer and the event store; None when [batch_processor] is disabled.
    consumer: ConsumerView | None = None
    # The global endpoint and both regions; None without [failover].
    failover: FailoverView | None = None


# ---------------------------------------------------------------------------------------------------------
# Building it
# ---------------------------------------------------------------------------------------------------------

BATCH_QUEUE_KEY = "batch-queue"
DLQ_PREFIX = "dlq:"
MAX_PEEK = 100


def alarm_prefix(outputs: DeploymentOutputs) -> str:
    """Alarms of an environment are named `<project>-<environment>-<suffix>-...`; the bus is `<that>-bus`."""
    name = outputs.event_bus_name
    return (name[: -len("-bus")] if name.endswith("-bus") else name) + "-"


def rule_name_from_arn(arn: str) -> str:
    """`arn:...:rule/<bus>/<name>` (custom bus) or `arn:...:rule/<name>` (default bus) -> `<name>`."""
    return arn.rsplit("/", 1)[-1]


# The longest duration accepted: ten years covers every retention involved (CloudWatch metrics 15 months,
# logs and archives up to 10 years) and keeps `now - duration` a valid date.
MAX_DURATION_DAYS = 3650
DURATION_RANGE = f"1s to {MAX_DURATION_DAYS}d"


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `1h`, `2d`, `1w` or combinations (`1h30m`) -> timedelta, from 1s to MAX_DURATION_DAYS."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    cleaned = text.strip().lower().replace(" ", "")
    parts = re.fullmatch(r"(?:\d+[smhdw])+", cleaned)
    if not parts:
        raise UsageError(
            f"bad duration {text!r}", hint="use a number and a unit: 90s, 15m, 1h, 2d, 1w, 1h30m"
        )
    longest = MAX_DURATION_DAYS * units["d"]
    seconds = 0
    for number, unit in re.findall(r"(\d+)([smhdw])", cleaned):
        # Checked by length before int(): a 5,000-digit number would exceed Python's int conversion limit.
        digits = number.lstrip("0")
        if (
            len(digits) > len(str(longest))
            or (seconds := seconds + int(digits or "0") * units[unit]) > longest
        ):
            raise UsageError(
                f"duration {_shown(text)} is longer than {MAX_DURATION_DAYS}d (10 years)",
                hint=f"use a duration from {DURATION_RANGE}",
            )
    if seconds <= 0:
        raise UsageError(
            f"duration {_shown(text)} must be longer than zero", hint=f"use a duration from {DURATION_RANGE}"
        )
    return timedelta(seconds=seconds)


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:30] + "...")


def _pattern(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _rule_views(
    outputs: DeploymentOutputs, rules: Sequence[RuleDefinition], metrics: MetricsReport
) -> list[RuleView]:
    key_by_arn = {arn: key for key, arn in outputs.rule_arns.items()}
    order = {key: i for i, key in enumerate(outputs.rule_arns)}
    views = [
        RuleView(
            name=rule.name,
            key=key_by_arn.get(rule.arn),
            arn=rule.arn,
            state=rule.state,
            description=rule.description,
            pattern=_pattern(rule.event_pattern),
            managed_by=rule.managed_by,
            targets=rule.targets,
            metrics=metrics.rules.get(rule.name, RuleMetrics()),
        )
        for rule in rules
    ]
    # Rules of the routing table first, in its order; then others found on the bus, managed ones last.
    return sorted(
        views, key=lambda v: (v.key is None, v.managed_by is not None, order.get(v.key or "", 0), v.name)
    )


def _queue_views(
    source: MonitorSource,
    outputs: DeploymentOutputs,
    metrics: MetricsReport,
    stats: Mapping[str, QueueStats | None],
    peek: int,
) -> list[QueueView]:
    views: list[QueueView] = []
    for key, role, url in _queues(outputs):
        found = stats.get(url)
        if found is None:
            views.append(QueueView(key=key, role=role, url=url, exists=False))
            continue
        depth = found.visible + found.in_flight
        sample = source.peek(url, min(peek, MAX_PEEK)) if peek > 0 and found.visible > 0 else []
        age = metrics.queue_oldest_age_seconds.get(found.name, 0) if depth else 0
        views.append(
            QueueView(
                key=key,
                role=role,
                url=url,
                exists=True,
                name=found.name,
                visible=found.visible,
                in_flight=found.in_flight,
                delayed=found.delayed,
                oldest_age_seconds=age,
                max_receive_count=found.max_receive_count,
                sample=sample,
            )
        )
    return views


def _queues(outputs: DeploymentOutputs) -> list[tuple[str, Literal["batch", "dlq"], str]]:
    queues: list[tuple[str, Literal["batch", "dlq"], str]] = [
        (BATCH_QUEUE_KEY, "batch", outputs.batch_queue_url)
    ]
    queues += [(DLQ_PREFIX + name, "dlq", url) for name, url in outputs.dead_letter_queue_urls.items()]
    return queues


def _function_views(
    outputs: DeploymentOutputs,
    metrics: MetricsReport,
    queues: Sequence[QueueView],
    pending: dict[str, AsyncQueue],
) -> list[FunctionView]:
    by_key = {q.key: q for q in queues}
    views = []
    for key, name in outputs.function_names.items():
        dlq = by_key.get(DLQ_PREFIX + key)
        views.append(
            FunctionView(
                key=key,
                name=name,
                log_group=outputs.log_group_names.get(key),
                metrics=metrics.functions.get(name, FunctionMetrics()),
                dlq_key=dlq.key if dlq else None,
                dlq_depth=dlq.visible + dlq.in_flight if dlq and dlq.exists else None,
                pending=pending.get(name, AsyncQueue()),
            )
        )
    return views


def assess(
    outputs: DeploymentOutputs,
    bus: BusInfo,
    rules: Sequence[RuleView],
    functions: Sequence[FunctionView],
    queues: Sequence[QueueView],
    alarms: Sequence[AlarmInfo],
    forwarding: ForwardingView | None = None,
    s3_archive: S3ArchiveStats | None = None,
    others: Sequence[Problem] = (),
) -> Health:
    """The health verdict: critical for lost or parked events and alarms firing, warning for the rest.
    `others`: problems found elsewhere (the endpoint, the secondary region)."""
    problems: list[Problem] = [
        Problem(severity=severity, subject=subject, message=message)
        for severity, subject, message in forwarding_problems(forwarding, outputs)
    ]
    problems += others

    def add(severity: Severity, subject: str, message: str) -> None:
        problems.append(Problem(severity=severity, subject=subject, message=message))

    if bus.archive is None:
        add("warning", f"archive {outputs.archive_name}", "not found: events are not being archived")
    found = {r.key for r in rules}
    for key in outputs.rule_arns:
        if key not in found:
            add("critical", f"rule {key}", "in the outputs but not on the bus")
    for rule in rules:
        subject, m = f"rule {rule.key or rule.name}", rule.metrics
        if rule.key is not None and rule.state == "DISABLED":
            add("warning", subject, "disabled")
        if m.failed_invocations:
            add("critical", subject, f"{m.failed_invocations} failed invocation(s)")
        if m.invocations_failed_to_be_sent_to_dlq:
            add(
                "critical",
                subject,
                f"{m.invocations_failed_to_be_sent_to_dlq} event(s) lost: could not reach the DLQ",
            )
        if m.dead_letter_invocations:
            add("critical", subject, f"{m.dead_letter_invocations} event(s) sent to the DLQ")
        if m.throttled_rules:
            add("warning", subject, f"throttled {m.throttled_rules} time(s)")
    for fn in functions:
        if fn.metrics.errors:
            add("warning", f"function {fn.key}", f"{fn.metrics.errors} error(s)")
        if fn.metrics.throttles:
            add("warning", f"function {fn.key}", f"{fn.metrics.throttles} throttle(s)")
    for queue in queues:
        if not queue.exists:
            add("critical", f"queue {queue.key}", f"missing ({queue.url})")
        elif queue.role == "dlq" and queue.visible + queue.in_flight:
            add(
                "critical",
                f"queue {queue.key}",
                f"DLQ not empty: {queue.visible + queue.in_flight} message(s)",
            )
    for severity, subject, message in [] if s3_archive is None else s3_archive_problems(s3_archive):
        add("critical" if severity == "critical" else "warning", subject, message)
    for alarm in alarms:
        if alarm.state == "ALARM":
            add(
                "critical", f"alarm {alarm.name}", "in ALARM" + (f" ({alarm.reason})" if alarm.reason else "")
            )
    status: Literal["OK", "WARNING", "CRITICAL"] = "OK"
    if problems:
        status = "CRITICAL" if any(p.severity == "critical" for p in problems) else "WARNING"
    problems.sort(key=lambda p: p.severity != "critical")
    verdict = (
        "OK" if not problems else f"{status}: " + "; ".join(f"{p.subject}: {p.message}" for p in problems)
    )
    return Health(status=status, verdict=verdict, problems=problems)


def _consumer(
    outputs: DeploymentOutputs,
    functions: Sequence[FunctionView],
    queues: Sequence[QueueView],
    event_store: EventStoreSource | None,
) -> ConsumerView | None:
    fn = next((f for f in functions if f.key == CONSUMER_KEY), None)
    batch = next((q for q in queues if q.key == BATCH_QUEUE_KEY), None)
    items = event_store.item_count() if event_store is not None and outputs.event_store_table_name else None
    return consumer_view(
        outputs.function_names,
        errors=fn.metrics.errors if fn else 0,
        invocations=fn.metrics.invocations if fn else 0,
        queue_depth=batch.visible + batch.in_flight if batch and batch.exists else 0,
        lag_seconds=batch.oldest_age_seconds if batch else 0,
        table=outputs.event_store_table_name,
        items=items,
    )


def build_snapshot(
    source: MonitorSource,
    outputs: DeploymentOutputs,
    since: timedelta,
    peek: int = 0,
    now: datetime | None = None,
    event_store: EventStoreSource | None = None,
) -> Snapshot:
    """Gather one Snapshot of the environment through `source`; `peek` > 0 samples that many messages
    from each non-empty queue (left visible); `event_store` gives the stored-events count."""
    if peek < 0:
        raise UsageError("--peek must be 0 or more")
    window = Window.last(since, now)
    bus = source.describe_bus()
    rules = source.list_rules()
    urls = [url for _, _, url in _queues(outputs)]
    stats = source.queue_stats(urls)
    request = MetricsRequest(
        window=window,
        rules=[r.name for r in rules],
        functions=list(outputs.function_names.values()),
        queues=[s.name for s in stats.values() if s is not None and s.visible + s.in_flight > 0],
    )
    metrics = source.metrics(request)
    alarms = sorted(source.alarms(), key=lambda a: a.name)
    rule_views = _rule_views(outputs, rules, metrics)
    queue_views = _queue_views(source, outputs, metrics, stats, peek)
    function_views = _function_views(outputs, metrics, queue_views, source.async_queues())
    forwarding = forwarding_view(source, outputs, window.start, window.end)
    s3_archive = source.s3_archive(window) if outputs.s3_archive_stream_name else None
    endpoint, secondary = _failover(source, outputs, since, window.end)
    others: list[Problem] = []
    if endpoint is not None:
        others += [Problem(severity=sv, subject=sj, message=m) for sv, sj, m in endpoint_problems(endpoint)]
    if secondary is not None:
        others += [
            problem.model_copy(update={"subject": f"{secondary.meta.region} {problem.subject}"})
            for problem in secondary.health.problems
        ]
    health = assess(
        outputs,
        bus,
        rule_views,
        function_views,
        queue_views,
        alarms,
        forwarding=forwarding,
        s3_archive=s3_archive,
        others=others,
    )
    failover = None
    if endpoint is not None:
        regions = [_region_summary(outputs.region, "primary", bus, rule_views, function_views, queue_views,
                                   health, endpoint.receiving_region)]  # fmt: skip
        if secondary is not None:
            regions.append(
                _region_summary(secondary.meta.region, "secondary", secondary.bus, secondary.rules,
                                secondary.functions, secondary.queues, secondary.health,
                                endpoint.receiving_region)
            )  # fmt: skip
        failover = FailoverView(endpoint=endpoint, regions=regions)
    return Snapshot(
        meta=SnapshotMeta(
            environment=outputs.environment,
            target=outputs.target,
            region=outputs.region,
            taken_at=window.end,
            window_start=window.start,
            window_end=window.end,
        ),
        bus=bus,
        rules=rule_views,
        functions=function_views,
        queues=queue_views,
        alarms=alarms,
        health=health,
        forwarding=forwarding,
        s3_archive=s3_archive,
        consumer=_consumer(outputs, function_views, queue_views, event_store),
        failover=failover,
    )


def _failover(
    source: MonitorSource, outputs: DeploymentOutputs, since: timedelta, now: datetime
) -> tuple[EndpointStatus | None, Snapshot | None]:
    """The endpoint's status and the secondary region's own snapshot (None, None without [failover] or
    from a source that cannot show them). The secondary is read through the same target's source."""
    if outputs.failover is None or not isinstance(source, FailoverSource):
        return None, None
    status = source.endpoint_status(outputs.failover)
    second_outputs = secondary_deployment(outputs)
    second = source.region_source(second_outputs)
    try:
        snapshot = build_snapshot(cast(MonitorSource, second), second_outputs, since, now=now)
    finally:
        close = getattr(second, "close", None)
        if callable(close):
            close()
    return status, snapshot


def _region_summary(
    region: str,
    role: Literal["primary", "secondary"],
    bus: BusInfo,
    rules: Sequence[RuleView],
    functions: Sequence[FunctionView],
    queues: Sequence[QueueView],
    health: Health,
    receiving: str,
) -> RegionSummary:
    return RegionSummary(
        region=region,
        role=role,
        bus_name=bus.name,
        receiving=receiving == region,
        archived_events=None if bus.archive is None else bus.archive.event_count,
        matched_events=sum(r.metrics.matched_events for r in rules if r.managed_by is None),
        invocations=sum(f.metrics.invocations for f in functions),
        errors=sum(f.metrics.errors for f in functions),
        dlq_messages=sum(q.visible + q.in_flight for q in queues if q.role == "dlq"),
        status=health.status,
    )
