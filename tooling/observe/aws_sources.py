"""The AWS side of the monitor, logs and replay seams: the only monitoring code that talks to boto3.

Cheap and harmless by construction:
- every metric of a snapshot comes from GetMetricData, batched (500 queries a call, the API's limit), so the
  default environment costs one call; a metric with no datapoints reads as 0;
- queue counts come from GetQueueAttributes; peeking receives with VisibilityTimeout 0, so consumers still
  see every message (each peek does count towards a redrive policy's maxReceiveCount);
- nothing is written, except StartReplay when asked for.

Each source counts the API calls it makes (`calls`), so the cost of a snapshot can be shown and tested.
"""

from __future__ import annotations

import json
import math
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from tooling.clients import client
from tooling.errors import AwsError
from tooling.observe import aws_forwarding
from tooling.observe.aws_failover import AwsEndpointReader
from tooling.observe.failover import EndpointStatus
from tooling.observe.forwarding import ForwardingMetrics, ForwardingRuleInfo
from tooling.observe.logs import LogRecord, is_emf
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
    alarm_prefix,
)
from tooling.observe.replay import ReplayRequest, ReplayStatus
from tooling.observe.s3_archive_monitor import FIREHOSE_METRICS, MAX_COUNTED_OBJECTS, S3ArchiveStats
from tooling.outputs import DeploymentOutputs, FailoverOutputs

MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit on MetricDataQueries
MAX_AGE_DATAPOINTS = 1440  # queue-age series resolution: enough to read the latest value, bounded in size
PEEK_BODY_CHARS = 4096
_MISSING_QUEUE_CODES = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})

# (field of RuleMetrics, metric name, statistic)
RULE_METRICS: tuple[tuple[str, str, str], ...] = (
    ("matched_events", "MatchedEvents", "Sum"),
    ("triggered_rules", "TriggeredRules", "Sum"),
    ("invocations", "Invocations", "Sum"),
    ("failed_invocations", "FailedInvocations", "Sum"),
    ("dead_letter_invocations", "DeadLetterInvocations", "Sum"),
    ("invocations_failed_to_be_sent_to_dlq", "InvocationsFailedToBeSentToDlq", "Sum"),
    ("throttled_rules", "ThrottledRules", "Sum"),
    ("latency_p50_ms", "IngestionToInvocationStartLatency", "p50"),
    ("latency_p99_ms", "IngestionToInvocationStartLatency", "p99"),
)
# (field of FunctionMetrics, metric name, statistic)
FUNCTION_METRICS: tuple[tuple[str, str, str], ...] = (
    ("invocations", "Invocations", "Sum"),
    ("errors", "Errors", "Sum"),
    ("throttles", "Throttles", "Sum"),
    ("duration_p50_ms", "Duration", "p50"),
    ("duration_p99_ms", "Duration", "p99"),
)


class _Counted:
    """boto3 clients that tally every API call (retries included) into one Counter."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.calls: Counter[str] = Counter()
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            made = client(service, self.region)
            made.meta.events.register("before-send", self._count)
            self._clients[service] = made
        return self._clients[service]

    def _count(self, event_name: str = "", **_: Any) -> None:
        # `before-send.<service>.<Operation>` fires once per HTTP request, so retries count as calls too.
        self.calls[event_name.rsplit(".", 1)[-1]] += 1


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


# ---------------------------------------------------------------------------------------------------------
# Monitor
# ---------------------------------------------------------------------------------------------------------


class _CountingSource:
    """Base of the three AWS sources: one client factory each, counting every API call (`.calls`), which the
    tests use to hold the monitor to its call budget."""

    def __init__(self, region: str) -> None:
        self._clients = _Counted(region)

    @property
    def calls(self) -> Counter[str]:
        return self._clients.calls


@dataclass(frozen=True)
class _Query:
    kind: str  # rule | function | queue
    name: str
    field: str
    stat: str


class AwsMonitorSource(_CountingSource):
    """MonitorSource over EventBridge, CloudWatch, SQS (read-only)."""

    def __init__(self, outputs: DeploymentOutputs) -> None:
        super().__init__(outputs.region)
        self.outputs = outputs

    def describe_bus(self) -> BusInfo:
        events = self._clients("events")
        name = self.outputs.event_bus_name
        try:
            bus = events.describe_event_bus(Name=name)
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise
            raise AwsError(
                f"event bus {name} not found in {self.outputs.region}",
                hint="was this environment applied (make apply) in this region and account? "
                "check the outputs (--outputs FILE) and your AWS profile",
            ) from None
        return BusInfo(
            name=bus["Name"], arn=bus["Arn"], policy_present=bool(bus.get("Policy")), archive=self._archive()
        )

    def _archive(self) -> ArchiveInfo | None:
        try:
            archive = self._clients("events").describe_archive(ArchiveName=self.outputs.archive_name)
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise
            return None
        retention = int(archive.get("RetentionDays") or 0)
        return ArchiveInfo(
            name=archive["ArchiveName"],
            state=archive.get("State", "UNKNOWN"),
            event_count=int(archive.get("EventCount", 0)),
            size_bytes=int(archive.get("SizeBytes", 0)),
            retention_days=retention or None,  # 0 means "keep forever"
        )

    def list_rules(self) -> list[RuleDefinition]:
        events = self._clients("events")
        bus = self.outputs.event_bus_name
        rules: list[RuleDefinition] = []
        for page in events.get_paginator("list_rules").paginate(EventBusName=bus):
            for rule in page.get("Rules", []):
                targets = [
                    _target(t)
                    for tpage in events.get_paginator("list_targets_by_rule").paginate(
                        Rule=rule["Name"], EventBusName=bus
                    )
                    for t in tpage.get("Targets", [])
                ]
                rules.append(
                    RuleDefinition(
                        name=rule["Name"],
                        arn=rule["Arn"],
                        state=rule.get("State", "UNKNOWN"),
                        description=rule.get("Description", ""),
                        event_pattern=rule.get("EventPattern"),
                        managed_by=rule.get("ManagedBy"),
                        targets=targets,
                    )
                )
        return rules

    def metrics(self, request: MetricsRequest) -> MetricsReport:
        queries, by_id = self._queries(request)
        values: dict[str, list[float]] = {}
        cloudwatch = self._clients("cloudwatch")
        for first in range(0, len(queries), MAX_QUERIES_PER_CALL):
            chunk = queries[first : first + MAX_QUERIES_PER_CALL]
            kwargs: dict[str, Any] = {
                "MetricDataQueries": chunk,
                "StartTime": request.window.start,
                "EndTime": request.window.end,
                "ScanBy": "TimestampDescending",
            }
            while True:
                page = cloudwatch.get_metric_data(**kwargs)
                for result in page.get("MetricDataResults", []):
                    values.setdefault(result["Id"], []).extend(float(v) for v in result.get("Values", []))
                token = page.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
        return _report(request, by_id, values)

    def _queries(self, request: MetricsRequest) -> tuple[list[dict[str, Any]], dict[str, _Query]]:
        period = _period(request.window)
        age_period = max(60, 60 * math.ceil(request.window.seconds / (60 * MAX_AGE_DATAPOINTS)))
        bus = self.outputs.event_bus_name
        specs: list[tuple[_Query, str, str, list[dict[str, str]], int]] = []
        for rule in request.rules:
            dims = [{"Name": "EventBusName", "Value": bus}, {"Name": "RuleName", "Value": rule}]
            for field, metric, stat in RULE_METRICS:
                specs.append((_Query("rule", rule, field, stat), "AWS/Events", metric, dims, period))
        for function in request.functions:
            dims = [{"Name": "FunctionName", "Value": function}]
            for field, metric, stat in FUNCTION_METRICS:
                specs.append((_Query("function", function, field, stat), "AWS/Lambda", metric, dims, period))
        for queue in request.queues:
            dims = [{"Name": "QueueName", "Value": queue}]
            query = _Query("queue", queue, "oldest_age_seconds", "Maximum")
            specs.append((query, "AWS/SQS", "ApproximateAgeOfOldestMessage", dims, age_period))
        queries: list[dict[str, Any]] = []
        by_id: dict[str, _Query] = {}
        for i, (query, namespace, metric, dims, query_period) in enumerate(specs):
            qid = f"m{i}"
            by_id[qid] = query
            queries.append(
                {
                    "Id": qid,
                    "MetricStat": {
                        "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dims},
                        "Period": query_period,
                        "Stat": query.stat,
                    },
                    "ReturnData": True,
                }
            )
        return queries, by_id

    def queue_stats(self, urls: Sequence[str]) -> dict[str, QueueStats | None]:
        sqs = self._clients("sqs")
        stats: dict[str, QueueStats | None] = {}
        for url in dict.fromkeys(urls):
            try:
                attrs = sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=[
                        "QueueArn",
                        "ApproximateNumberOfMessages",
                        "ApproximateNumberOfMessagesNotVisible",
                        "ApproximateNumberOfMessagesDelayed",
                        "RedrivePolicy",
                    ],
                )["Attributes"]
            except ClientError as exc:
                if _code(exc) not in _MISSING_QUEUE_CODES:
                    raise
                stats[url] = None
                continue
            redrive = json.loads(attrs["RedrivePolicy"]) if attrs.get("RedrivePolicy") else {}
            stats[url] = QueueStats(
                name=url.rstrip("/").rsplit("/", 1)[-1],
                arn=attrs.get("QueueArn", ""),
                visible=int(attrs.get("ApproximateNumberOfMessages", 0)),
                in_flight=int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
                delayed=int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
                max_receive_count=int(redrive["maxReceiveCount"]) if "maxReceiveCount" in redrive else None,
            )
        return stats

    def peek(self, url: str, limit: int) -> list[QueueMessage]:
        """ReceiveMessage with VisibilityTimeout 0: the messages stay visible to consumers throughout."""
        sqs = self._clients("sqs")
        seen: dict[str, QueueMessage] = {}
        attempts = math.ceil(limit / 10) + 2  # SQS samples servers: a few extra tries find more messages
        for _ in range(attempts):
            if len(seen) >= limit:
                break
            response = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, limit - len(seen)),
                VisibilityTimeout=0,
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
            )
            fresh = [m for m in response.get("Messages", []) if m["MessageId"] not in seen]
            if not fresh:
                break
            for message in fresh[: limit - len(seen)]:
                seen[message["MessageId"]] = _message(message)
        return sorted(
            seen.values(), key=lambda m: (m.sent_at or datetime.min.replace(tzinfo=UTC), m.message_id)
        )

    def describe_forwarding(self, rule_arn: str) -> ForwardingRuleInfo | None:
        """The default bus's forwarding rule and its target (tooling/observe/aws_forwarding.py)."""
        return aws_forwarding.describe_forwarding(self._clients("events"), rule_arn)

    def forwarding_metrics(self, rule_name: str, start: datetime, end: datetime) -> ForwardingMetrics:
        return aws_forwarding.forwarding_metrics(self._clients("cloudwatch"), rule_name, start, end)

    def async_queues(self) -> dict[str, AsyncQueue]:
        # Lambda does not expose its asynchronous queue (only the AsyncEvents* metrics).
        return {}

    def s3_archive(self, window: Window) -> S3ArchiveStats:
        """DescribeDeliveryStream, one GetMetricData for the AWS/Firehose metrics, and ListObjectsV2 pages
        (up to MAX_COUNTED_OBJECTS keys) for the bucket's object count."""
        stream, bucket = self.outputs.s3_archive_stream_name, self.outputs.s3_archive_bucket_name
        try:
            described = self._clients("firehose").describe_delivery_stream(DeliveryStreamName=stream)
            status, stream_exists = str(described["DeliveryStreamDescription"]["DeliveryStreamStatus"]), True
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise
            status, stream_exists = "", False
        values = self._firehose_metrics(stream, window) if stream_exists else {}
        objects, capped, bucket_exists = self._count_objects(bucket)
        successes = int(values.get("successful_deliveries", 0))
        return S3ArchiveStats(
            stream_name=stream,
            bucket_name=bucket,
            stream_exists=stream_exists,
            stream_status=status,
            bucket_exists=bucket_exists,
            incoming_records=int(values.get("incoming_records", 0)),
            delivered_records=int(values.get("delivered_records", 0)),
            successful_deliveries=successes,
            failed_deliveries=int(values.get("delivery_attempts", 0)) - successes,
            objects=objects,
            objects_capped=capped,
        )

    def _firehose_metrics(self, stream: str, window: Window) -> dict[str, float]:
        queries = [
            {
                "Id": f"f{index}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/Firehose",
                        "MetricName": metric,
                        "Dimensions": [{"Name": "DeliveryStreamName", "Value": stream}],
                    },
                    "Period": _period(window),
                    "Stat": stat,
                },
                "ReturnData": True,
            }
            for index, (_, metric, stat) in enumerate(FIREHOSE_METRICS)
        ]
        page = self._clients("cloudwatch").get_metric_data(
            MetricDataQueries=queries, StartTime=window.start, EndTime=window.end
        )
        series = {r["Id"]: r.get("Values", []) for r in page.get("MetricDataResults", [])}
        return {
            field: float(sum(series.get(f"f{i}", []))) for i, (field, _, _) in enumerate(FIREHOSE_METRICS)
        }

    def _count_objects(self, bucket: str) -> tuple[int, bool, bool]:
        """(objects, capped, bucket exists)."""
        s3 = self._clients("s3")
        count = 0
        try:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                count += int(page.get("KeyCount", len(page.get("Contents", []))))
                if count >= MAX_COUNTED_OBJECTS:
                    return count, True, True
        except ClientError as exc:
            if _code(exc) != "NoSuchBucket":
                raise
            return 0, False, False
        return count, False, True

    def alarms(self) -> list[AlarmInfo]:
        cloudwatch = self._clients("cloudwatch")
        found: list[AlarmInfo] = []
        pages = cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNamePrefix=alarm_prefix(self.outputs), AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        )
        for page in pages:
            for alarm in page.get("MetricAlarms", []):
                metric = (
                    f"{alarm.get('Namespace', '')}/{alarm['MetricName']}" if alarm.get("MetricName") else None
                )
                found.append(_alarm(alarm, metric))
            found.extend(_alarm(alarm, None) for alarm in page.get("CompositeAlarms", []))
        return found

    def endpoint_status(self, failover: FailoverOutputs) -> EndpointStatus:
        """[failover]'s endpoint (tooling.observe.failover.FailoverSource): it and its alarm are in the primary
        region, this source's."""
        reader = AwsEndpointReader(
            failover,
            events=self._clients("events"),
            cloudwatch=self._clients("cloudwatch"),
            route53=self._clients("route53"),
        )
        return reader.status()

    def region_source(self, outputs: DeploymentOutputs) -> AwsMonitorSource:
        """The secondary region's monitor source."""
        return AwsMonitorSource(outputs)


def _period(window: Window) -> int:
    """One datapoint per query: the whole window, in whole minutes (CloudWatch wants multiples of 60)."""
    return 60 * math.ceil(window.seconds / 60)


def _report(
    request: MetricsRequest, by_id: dict[str, _Query], values: dict[str, list[float]]
) -> MetricsReport:
    rules: dict[str, dict[str, float]] = {r: {} for r in request.rules}
    functions: dict[str, dict[str, float]] = {f: {} for f in request.functions}
    ages: dict[str, int] = {}
    for qid, query in by_id.items():
        series = values.get(qid, [])
        if not series:
            continue  # no datapoints: the model's default, 0
        if query.kind == "queue":
            ages[query.name] = int(series[0])  # newest first (TimestampDescending)
            continue
        # The window may straddle an aligned period boundary and come back as two datapoints: counts add up;
        # for a percentile the larger one is the honest upper bound.
        value = sum(series) if query.stat == "Sum" else max(series)
        (rules if query.kind == "rule" else functions)[query.name][query.field] = value
    return MetricsReport(
        rules={name: RuleMetrics.model_validate(_numbers(RuleMetrics, v)) for name, v in rules.items()},
        functions={
            name: FunctionMetrics.model_validate(_numbers(FunctionMetrics, v))
            for name, v in functions.items()
        },
        queue_oldest_age_seconds=ages,
    )


def _numbers(
    model: type[RuleMetrics] | type[FunctionMetrics], values: dict[str, float]
) -> dict[str, float | int]:
    """Counts to int, timings to 3 decimals (the fields' defaults say which is which)."""
    fields = model.model_fields
    return {k: round(v) if isinstance(fields[k].default, int) else round(v, 3) for k, v in values.items()}


def _target(target: dict[str, Any]) -> TargetInfo:
    retry = target.get("RetryPolicy")
    return TargetInfo(
        id=target["Id"],
        arn=target["Arn"],
        dead_letter_arn=(target.get("DeadLetterConfig") or {}).get("Arn"),
        retry_policy=RetryPolicy(
            maximum_retry_attempts=retry.get("MaximumRetryAttempts"),
            maximum_event_age_seconds=retry.get("MaximumEventAgeInSeconds"),
        )
        if retry
        else None,
        input_transformer="InputTransformer" in target,
    )


def _message(message: dict[str, Any]) -> QueueMessage:
    attrs = message.get("Attributes", {})
    sent = attrs.get("SentTimestamp")
    return QueueMessage(
        message_id=message["MessageId"],
        body=message.get("Body", "")[:PEEK_BODY_CHARS],
        sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
        receive_count=int(attrs.get("ApproximateReceiveCount", 0)),
    )


def _alarm(alarm: dict[str, Any], metric: str | None) -> AlarmInfo:
    return AlarmInfo(
        name=alarm["AlarmName"],
        state=alarm.get("StateValue", "INSUFFICIENT_DATA"),
        reason=alarm.get("StateReason", ""),
        metric=metric,
        updated_at=_utc(alarm.get("StateUpdatedTimestamp")),
    )


# ---------------------------------------------------------------------------------------------------------
# Logs
# ---------------------------------------------------------------------------------------------------------


def filter_pattern(text: str | None) -> str | None:
    """Plain text -> a CloudWatch Logs exact-phrase pattern (`"..."`): `-`, `:` and spaces mean themselves."""
    if not text:
        return None
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class AwsLogSource(_CountingSource):
    """LogSource over CloudWatch Logs FilterLogEvents (every page)."""

    def __init__(self, region: str, page_size: int | None = None) -> None:
        super().__init__(region)
        self._page_size = page_size  # None: the API's default (up to 10,000 events a page)

    def events(
        self,
        log_group: str,
        start: datetime,
        end: datetime | None = None,
        text: str | None = None,
        *,
        newest: int | None = None,
        metrics: bool = True,
    ) -> Iterator[LogRecord]:
        """FilterLogEvents reads oldest first: the newest N are the last N of the range (kept in a ring)."""
        records = self._events(log_group, start, end, text)
        if not metrics:
            records = (r for r in records if not is_emf(r.message))
        if newest is None:
            yield from records
        else:
            yield from deque(records, maxlen=newest)

    def _events(
        self, log_group: str, start: datetime, end: datetime | None, text: str | None
    ) -> Iterator[LogRecord]:
        kwargs: dict[str, Any] = {"logGroupName": log_group, "startTime": int(start.timestamp() * 1000)}
        if end is not None:
            kwargs["endTime"] = int(end.timestamp() * 1000) - 1  # endTime is inclusive; the range is not
        pattern = filter_pattern(text)
        if pattern:
            kwargs["filterPattern"] = pattern
        paginator = self._clients("logs").get_paginator("filter_log_events")
        try:
            pagination = {"PageSize": self._page_size} if self._page_size else {}
            for page in paginator.paginate(**kwargs, PaginationConfig=pagination):
                for event in page.get("events", []):
                    yield LogRecord(
                        timestamp=datetime.fromtimestamp(event["timestamp"] / 1000, UTC),
                        message=event.get("message", ""),
                        log_stream=event.get("logStreamName", ""),
                        event_id=event.get("eventId", ""),
                    )
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise
            return  # the group appears on the function's first invocation


# ---------------------------------------------------------------------------------------------------------
# Replay
# ---------------------------------------------------------------------------------------------------------


class AwsReplaySource(_CountingSource):
    """ReplaySource over EventBridge StartReplay / DescribeReplay, from the outputs' archive to its bus."""

    def __init__(self, outputs: DeploymentOutputs) -> None:
        super().__init__(outputs.region)
        self.outputs = outputs

    def start_replay(self, request: ReplayRequest) -> ReplayStatus:
        events = self._clients("events")
        try:
            archive = events.describe_archive(ArchiveName=self.outputs.archive_name)
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise
            raise AwsError(
                f"archive {self.outputs.archive_name} not found in {self.outputs.region}",
                hint="was this environment applied (make apply)? the archive holds the events to replay",
            ) from None
        destination: dict[str, Any] = {"Arn": self.outputs.event_bus_arn}
        if request.rule_arns:
            destination["FilterArns"] = list(request.rule_arns)
        started = events.start_replay(
            ReplayName=request.name,
            Description=request.description,
            EventSourceArn=archive["ArchiveArn"],
            EventStartTime=request.start,
            EventEndTime=request.end,
            Destination=destination,
        )
        return ReplayStatus(
            name=request.name,
            arn=started.get("ReplayArn", ""),
            state=started.get("State", "STARTING"),
            reason=started.get("StateReason", ""),
            event_start=request.start,
            event_end=request.end,
            started_at=_utc(started.get("ReplayStartTime")),
        )

    def describe_replay(self, name: str) -> ReplayStatus:
        replay = self._clients("events").describe_replay(ReplayName=name)
        return ReplayStatus(
            name=replay.get("ReplayName", name),
            arn=replay.get("ReplayArn", ""),
            state=replay.get("State", "UNKNOWN"),
            reason=replay.get("StateReason", ""),
            event_start=_utc(replay.get("EventStartTime")),
            event_end=_utc(replay.get("EventEndTime")),
            last_replayed=_utc(replay.get("EventLastReplayedTime")),
            started_at=_utc(replay.get("ReplayStartTime")),
            ended_at=_utc(replay.get("ReplayEndTime")),
        )
