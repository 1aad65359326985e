"""The AWS monitor against moto: a deployed-like environment built from the outputs contract, one snapshot,
asserted field by field, plus what the snapshot costs in API calls."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cloudwatch.models import Statistics

from tooling.errors import AwsError
from tooling.observe.aws_sources import AwsMonitorSource
from tooling.observe.monitor import MetricsRequest, Snapshot, Window, build_snapshot
from tooling.outputs import DeploymentOutputs

REGION = "eu-west-1"
PREFIX = "ecommerce-test-abc123"
ACCOUNT = "123456789012"


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def percentiles(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto computes Sum/Average/Min/Max/SampleCount only (a pNN statistic crashes its serializer); teach it
    nearest-rank percentiles so the latency and duration fields can be asserted."""
    original = Statistics.get_statistics_for_type

    def with_percentiles(self: Statistics, stat: str) -> Any:
        if stat.startswith("p") and stat[1:].replace(".", "").isdigit():
            values = sorted(self.metric_single_values_list)
            return values[max(0, math.ceil(float(stat[1:]) / 100 * len(values)) - 1)] if values else None
        return original(self, stat)

    monkeypatch.setattr(Statistics, "get_statistics_for_type", with_percentiles)


@dataclass
class Env:
    outputs: DeploymentOutputs
    now: datetime


def _metric(
    cw: Any, namespace: str, name: str, dims: dict[str, str], values: list[float], when: datetime
) -> None:
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                "Value": value,
                "Timestamp": when,
            }
            for value in values
        ],
    )


_RETRY = {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}


def _queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _create_bus(events: Any, bus_name: str) -> str:
    """The bus, its policy and archive, and two archived events (sent before any rule exists, so nothing is
    routed to the queues)."""
    bus_arn = str(events.create_event_bus(Name=bus_name)["EventBusArn"])
    events.put_permission(
        EventBusName=bus_name, Action="events:PutEvents", Principal=ACCOUNT, StatementId="same"
    )
    events.create_archive(ArchiveName=f"{PREFIX}-archive", EventSourceArn=bus_arn, RetentionDays=30)
    events.put_events(
        Entries=[
            {
                "Source": "ecommerce.orders",
                "DetailType": "Order Created",
                "Detail": '{"orderId": "o-1"}',
                "EventBusName": bus_name,
            },
            {
                "Source": "ecommerce.users",
                "DetailType": "User Registered",
                "Detail": '{"userId": "u-1"}',
                "EventBusName": bus_name,
            },
        ]
    )
    return bus_arn


def _create_queues(sqs: Any) -> tuple[dict[str, str], str]:
    """The dead-letter queues by key, and the batch queue (redriving to its DLQ)."""
    dlq_urls = {
        key: sqs.create_queue(QueueName=f"{PREFIX}-{key}-dlq")["QueueUrl"]
        for key in ("events", "batch-queue", "processor", "notifier", "analytics")
    }
    redrive = {"deadLetterTargetArn": _queue_arn(sqs, dlq_urls["batch-queue"]), "maxReceiveCount": "5"}
    batch_url = sqs.create_queue(
        QueueName=f"{PREFIX}-batch", Attributes={"RedrivePolicy": json.dumps(redrive)}
    )["QueueUrl"]
    return dlq_urls, str(batch_url)


def _routing_table(
    fn_arn: dict[str, str], topic_arn: str, batch_arn: str, events_dlq: str
) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]], str]]:
    """Rule key -> (pattern, targets, state), as the routing table would create them."""
    dead_letter = {"DeadLetterConfig": {"Arn": events_dlq}}
    return {
        "order-events": (
            {"source": ["ecommerce.orders"], "detail-type": ["Order Created"]},
            [{"Id": "processor", "Arn": fn_arn["processor"], "RetryPolicy": _RETRY, **dead_letter}],
            "ENABLED",
        ),
        "high-value-orders": (
            {"source": ["ecommerce.orders"], "detail": {"totalAmount": [{"numeric": [">", 1000]}]}},
            [
                {
                    "Id": "notifications",
                    "Arn": topic_arn,
                    "RetryPolicy": _RETRY,
                    **dead_letter,
                    "InputTransformer": {
                        "InputPathsMap": {"id": "$.detail.orderId"},
                        "InputTemplate": '"order <id>"',
                    },
                }
            ],
            "ENABLED",
        ),
        "user-registration": (
            {"source": ["ecommerce.users"]},
            [{"Id": "processor", "Arn": fn_arn["processor"]}],
            "DISABLED",
        ),
        "all-events": (
            {"source": ["ecommerce.orders", "ecommerce.users"]},
            [
                {"Id": "batch-queue", "Arn": batch_arn},
                {
                    "Id": "analytics",
                    "Arn": fn_arn["analytics"],
                    "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
                },
            ],
            "ENABLED",
        ),
    }


def _create_rules(
    events: Any, bus_name: str, table: dict[str, tuple[dict[str, Any], list[dict[str, Any]], str]]
) -> dict[str, str]:
    rule_arns = {}
    for key, (pattern, targets, state) in table.items():
        name = f"{PREFIX}-{key}"
        rule_arns[key] = str(
            events.put_rule(
                Name=name,
                EventBusName=bus_name,
                EventPattern=json.dumps(pattern),
                State=state,
                Description=f"{key} rule",
            )["RuleArn"]
        )
        events.put_targets(Rule=name, EventBusName=bus_name, Targets=targets)
    # Someone's hand-made rule on the bus: shown, but not part of the routing table.
    events.put_rule(
        Name="debug-everything", EventBusName=bus_name, EventPattern='{"source": [{"prefix": ""}]}'
    )
    return rule_arns


def _create_alarms(cw: Any, processor: str) -> None:
    """Two alarms of this environment and one of another (same name after the prefix)."""
    common = {"Period": 300, "EvaluationPeriods": 1, "Threshold": 1}
    cw.put_metric_alarm(
        AlarmName=f"{PREFIX}-processor-errors",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Statistic="Sum",
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Dimensions=[{"Name": "FunctionName", "Value": processor}],
        **common,
    )
    cw.put_metric_alarm(
        AlarmName=f"{PREFIX}-events-dlq-messages",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Statistic="Maximum",
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Dimensions=[{"Name": "QueueName", "Value": f"{PREFIX}-events-dlq"}],
        **common,
    )
    cw.put_metric_alarm(
        AlarmName="ecommerce-prod-zzz999-processor-errors",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Statistic="Sum",
        ComparisonOperator="GreaterThanThreshold",
        **common,
    )


def _send_traffic(
    sqs: Any, cw: Any, now: datetime, bus_name: str, batch_url: str, dlq_urls: dict[str, str], processor: str
) -> None:
    """Messages in the queues, an hour of metrics (and one point outside it), alarm states."""
    for i in range(3):
        sqs.send_message(QueueUrl=batch_url, MessageBody=json.dumps({"n": i}))
    sqs.send_message(QueueUrl=dlq_urls["processor"], MessageBody='{"failed": "o-9"}')
    recent, old = now - timedelta(minutes=5), now - timedelta(hours=3)
    rule_dims = {"EventBusName": bus_name, "RuleName": f"{PREFIX}-order-events"}
    _metric(cw, "AWS/Events", "MatchedEvents", rule_dims, [4, 6], recent)
    _metric(cw, "AWS/Events", "MatchedEvents", rule_dims, [100], old)  # outside the 1h window
    _metric(cw, "AWS/Events", "Invocations", rule_dims, [10], recent)
    _metric(cw, "AWS/Events", "FailedInvocations", rule_dims, [1], recent)
    _metric(cw, "AWS/Events", "DeadLetterInvocations", rule_dims, [1], recent)
    latencies = [float(v) for v in range(10, 110, 10)]
    _metric(cw, "AWS/Events", "IngestionToInvocationStartLatency", rule_dims, latencies, recent)
    fn_dims = {"FunctionName": processor}
    _metric(cw, "AWS/Lambda", "Invocations", fn_dims, [9], recent)
    _metric(cw, "AWS/Lambda", "Errors", fn_dims, [1], recent)
    _metric(cw, "AWS/Lambda", "Duration", fn_dims, [float(v) for v in range(1, 101)], recent)
    dlq_dims = {"QueueName": f"{PREFIX}-processor-dlq"}
    _metric(cw, "AWS/SQS", "ApproximateAgeOfOldestMessage", dlq_dims, [600], now - timedelta(minutes=20))
    _metric(cw, "AWS/SQS", "ApproximateAgeOfOldestMessage", dlq_dims, [840], recent)
    cw.set_alarm_state(AlarmName=f"{PREFIX}-processor-errors", StateValue="ALARM", StateReason="1 error")
    cw.set_alarm_state(AlarmName=f"{PREFIX}-events-dlq-messages", StateValue="OK", StateReason="empty")


def deploy(now: datetime, with_traffic: bool = True) -> DeploymentOutputs:
    """Create what `terraform apply` would, named as the outputs contract says, plus some traffic."""
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    cw = boto3.client("cloudwatch", region_name=REGION)

    bus_name = f"{PREFIX}-bus"
    bus_arn = _create_bus(events, bus_name)
    dlq_urls, batch_url = _create_queues(sqs)
    topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name=f"{PREFIX}-notifications")[
        "TopicArn"
    ]
    functions = {key: f"{PREFIX}-{key}" for key in ("processor", "notifier", "analytics")}
    fn_arn = {key: f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}" for key, name in functions.items()}
    table = _routing_table(fn_arn, topic_arn, _queue_arn(sqs, batch_url), _queue_arn(sqs, dlq_urls["events"]))
    rule_arns = _create_rules(events, bus_name, table)
    log_groups = {key: f"/aws/lambda/{name}" for key, name in functions.items()}
    logs = boto3.client("logs", region_name=REGION)
    for group in log_groups.values():
        logs.create_log_group(logGroupName=group)
    _create_alarms(cw, functions["processor"])
    if with_traffic:
        _send_traffic(sqs, cw, now, bus_name, batch_url, dlq_urls, functions["processor"])

    return DeploymentOutputs(
        target="aws",
        environment="test",
        region=REGION,
        event_bus_name=bus_name,
        event_bus_arn=bus_arn,
        archive_name=f"{PREFIX}-archive",
        rule_arns=rule_arns,
        batch_queue_url=batch_url,
        batch_queue_arn=_queue_arn(sqs, batch_url),
        dead_letter_queue_urls=dlq_urls,
        notifications_topic_arn=topic_arn,
        function_names=functions,
        log_group_names=log_groups,
    )


@pytest.fixture
def env(percentiles: None) -> Iterator[Env]:
    with mock_aws():
        now = datetime.now(UTC)
        yield Env(outputs=deploy(now), now=now)


def snapshot_of(env: Env, peek: int = 0) -> tuple[Snapshot, AwsMonitorSource]:
    source = AwsMonitorSource(env.outputs)
    return build_snapshot(source, env.outputs, timedelta(hours=1), peek=peek, now=env.now), source


def test_bus_shows_name_arn_policy_and_archive_counts(env: Env) -> None:
    snapshot, _ = snapshot_of(env)

    bus = snapshot.model_dump(mode="json")["bus"]
    assert bus == {
        "name": f"{PREFIX}-bus",
        "arn": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{PREFIX}-bus",
        "policy_present": True,
        "archive": {
            "name": f"{PREFIX}-archive",
            "state": "ENABLED",
            "event_count": 2,
            "size_bytes": bus["archive"]["size_bytes"],
            "retention_days": 30,
        },
    }


def test_every_rule_on_the_bus_is_listed_in_routing_table_order_then_extras(env: Env) -> None:
    snapshot, _ = snapshot_of(env)

    assert [(r.key, r.name, r.state) for r in snapshot.rules] == [
        ("order-events", f"{PREFIX}-order-events", "ENABLED"),
        ("high-value-orders", f"{PREFIX}-high-value-orders", "ENABLED"),
        ("user-registration", f"{PREFIX}-user-registration", "DISABLED"),
        ("all-events", f"{PREFIX}-all-events", "ENABLED"),
        (None, "debug-everything", "ENABLED"),
        (None, f"Events-Archive-{PREFIX}-archive", "ENABLED"),  # EventBridge's own rule feeding the archive
    ]
    assert snapshot.rules[-1].managed_by is not None and snapshot.rules[0].managed_by is None


def test_rule_shows_pattern_targets_dlq_and_retry_policy(env: Env) -> None:
    snapshot, _ = snapshot_of(env)
    rules = {r["key"]: r for r in snapshot.model_dump(mode="json")["rules"]}

    order = rules["order-events"]
    assert order["arn"] == env.outputs.rule_arns["order-events"]
    assert order["description"] == "order-events rule"
    assert order["pattern"] == {"source": ["ecommerce.orders"], "detail-type": ["Order Created"]}
    assert order["targets"] == [
        {
            "id": "processor",
            "arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}-processor",
            "dead_letter_arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{PREFIX}-events-dlq",
            "retry_policy": {"maximum_retry_attempts": 3, "maximum_event_age_seconds": 3600},
            "input_transformer": False,
        }
    ]
    assert rules["high-value-orders"]["targets"][0]["input_transformer"] is True
    assert [t["id"] for t in rules["all-events"]["targets"]] == ["batch-queue", "analytics"]
    assert rules["all-events"]["targets"][0]["retry_policy"] is None


def test_rule_metrics_cover_the_window_and_missing_data_reads_as_zero(env: Env) -> None:
    snapshot, _ = snapshot_of(env)
    metrics = {r.key: r.metrics.model_dump() for r in snapshot.rules}

    assert metrics["order-events"] == {
        "matched_events": 10,  # the 100 matched three hours ago are outside --since 1h
        "triggered_rules": 0,
        "invocations": 10,
        "failed_invocations": 1,
        "dead_letter_invocations": 1,
        "invocations_failed_to_be_sent_to_dlq": 0,
        "throttled_rules": 0,
        "latency_p50_ms": 50.0,
        "latency_p99_ms": 100.0,
    }
    assert set(metrics["all-events"].values()) == {0}


def test_functions_show_metrics_and_their_dlq_depth(env: Env) -> None:
    snapshot, _ = snapshot_of(env)
    functions = {f["key"]: f for f in snapshot.model_dump(mode="json")["functions"]}

    assert functions["processor"] == {
        "key": "processor",
        "name": f"{PREFIX}-processor",
        "log_group": f"/aws/lambda/{PREFIX}-processor",
        "metrics": {
            "invocations": 9,
            "errors": 1,
            "throttles": 0,
            "duration_p50_ms": 50.0,
            "duration_p99_ms": 99.0,
        },
        "dlq_key": "dlq:processor",
        "dlq_depth": 1,
        "pending": {"queued": 0, "retrying": 0, "next_retry_at": None},  # Lambda does not expose its queue
    }
    assert functions["analytics"]["dlq_depth"] == 0
    assert functions["analytics"]["metrics"]["invocations"] == 0


def test_queues_show_visible_in_flight_and_age_of_the_oldest_message(env: Env) -> None:
    snapshot, _ = snapshot_of(env)
    queues = {q.key: q for q in snapshot.queues}

    assert list(queues) == [
        "batch-queue",
        "dlq:events",
        "dlq:batch-queue",
        "dlq:processor",
        "dlq:notifier",
        "dlq:analytics",
    ]
    batch = queues["batch-queue"]
    assert (batch.role, batch.exists, batch.visible, batch.in_flight, batch.max_receive_count) == (
        "batch",
        True,
        3,
        0,
        5,
    )
    assert batch.oldest_age_seconds == 0  # no CloudWatch datapoint yet: shown as 0
    processor = queues["dlq:processor"]
    assert (processor.role, processor.visible, processor.oldest_age_seconds) == (
        "dlq",
        1,
        840,
    )  # the newest reading
    assert queues["dlq:events"].visible == 0
    assert all(q.sample == [] for q in queues.values())  # nothing is read unless asked


def test_alarms_are_those_of_this_environment_with_their_state(env: Env) -> None:
    snapshot, _ = snapshot_of(env)

    assert [(a.name, a.state, a.metric) for a in snapshot.alarms] == [
        (f"{PREFIX}-events-dlq-messages", "OK", "AWS/SQS/ApproximateNumberOfMessagesVisible"),
        (f"{PREFIX}-processor-errors", "ALARM", "AWS/Lambda/Errors"),
    ]
    assert snapshot.alarms[1].reason == "1 error"


def test_health_names_every_problem_critical_first(env: Env) -> None:
    snapshot, _ = snapshot_of(env)

    assert snapshot.health.status == "CRITICAL"
    assert [(p.severity, p.subject, p.message) for p in snapshot.health.problems] == [
        ("critical", "rule order-events", "1 failed invocation(s)"),
        ("critical", "rule order-events", "1 event(s) sent to the DLQ"),
        ("critical", "queue dlq:processor", "DLQ not empty: 1 message(s)"),
        ("critical", f"alarm {PREFIX}-processor-errors", "in ALARM (1 error)"),
        ("warning", "rule user-registration", "disabled"),
        ("warning", "function processor", "1 error(s)"),
    ]
    assert snapshot.health.verdict.startswith("CRITICAL: rule order-events: 1 failed invocation(s); ")


def test_peeking_leaves_the_messages_visible_to_consumers(env: Env) -> None:
    snapshot, _ = snapshot_of(env, peek=2)
    sqs = boto3.client("sqs", region_name=REGION)

    batch = next(q for q in snapshot.queues if q.key == "batch-queue")
    assert len(batch.sample) == 2
    assert {json.loads(m.body)["n"] for m in batch.sample} <= {0, 1, 2}
    assert all(m.sent_at is not None and m.receive_count >= 1 for m in batch.sample)
    dlq = next(q for q in snapshot.queues if q.key == "dlq:processor")
    assert [m.body for m in dlq.sample] == ['{"failed": "o-9"}']
    for url, visible in (
        (env.outputs.batch_queue_url, "3"),
        (env.outputs.dead_letter_queue_urls["processor"], "1"),
    ):
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
        assert attrs["ApproximateNumberOfMessages"] == visible


def test_one_snapshot_reads_all_metrics_with_one_get_metric_data_call(env: Env) -> None:
    _, source = snapshot_of(env)

    assert dict(source.calls) == {
        "DescribeEventBus": 1,
        "DescribeArchive": 1,
        "ListRules": 1,
        "ListTargetsByRule": 6,
        "GetQueueAttributes": 6,
        "GetMetricData": 1,
        "DescribeAlarms": 1,
    }


def test_more_than_500_metric_queries_are_split_into_batches_of_500(env: Env) -> None:
    source = AwsMonitorSource(env.outputs)
    names = [f"rule-{i}" for i in range(60)]  # 60 rules x 9 queries = 540
    window = Window(start=env.now - timedelta(hours=1), end=env.now)

    report = source.metrics(MetricsRequest(window=window, rules=names, functions=["f"]))

    assert source.calls["GetMetricData"] == 2
    assert sorted(report.rules) == sorted(names)
    assert report.rules["rule-59"].matched_events == 0


def test_a_missing_queue_is_reported_not_fatal(env: Env) -> None:
    boto3.client("sqs", region_name=REGION).delete_queue(
        QueueUrl=env.outputs.dead_letter_queue_urls["notifier"]
    )

    snapshot, _ = snapshot_of(env)

    notifier = next(q for q in snapshot.queues if q.key == "dlq:notifier")
    assert (notifier.exists, notifier.visible) == (False, 0)
    assert ("critical", "queue dlq:notifier") in [(p.severity, p.subject) for p in snapshot.health.problems]
    assert next(f for f in snapshot.functions if f.key == "notifier").dlq_depth is None


def test_a_missing_archive_is_a_warning(env: Env) -> None:
    boto3.client("events", region_name=REGION).delete_archive(ArchiveName=env.outputs.archive_name)

    snapshot, _ = snapshot_of(env)

    assert snapshot.bus.archive is None
    assert ("warning", f"archive {PREFIX}-archive") in [
        (p.severity, p.subject) for p in snapshot.health.problems
    ]


def test_a_missing_bus_is_one_clear_error(env: Env) -> None:
    outputs = env.outputs.model_copy(update={"event_bus_name": "nope-bus"})

    with pytest.raises(AwsError) as raised:
        build_snapshot(AwsMonitorSource(outputs), outputs, timedelta(hours=1))

    assert raised.value.message == f"event bus nope-bus not found in {REGION}"
    assert raised.value.hint is not None and "applied" in raised.value.hint


def test_a_quiet_healthy_environment_is_ok(percentiles: None) -> None:
    with mock_aws():
        outputs = deploy(datetime.now(UTC), with_traffic=False)
        boto3.client("events", region_name=REGION).delete_rule(
            Name="debug-everything", EventBusName=outputs.event_bus_name
        )
        boto3.client("events", region_name=REGION).enable_rule(
            Name=f"{PREFIX}-user-registration", EventBusName=outputs.event_bus_name
        )

        snapshot = build_snapshot(AwsMonitorSource(outputs), outputs, timedelta(minutes=15))

    assert (snapshot.health.status, snapshot.health.verdict, snapshot.health.problems) == ("OK", "OK", [])
    assert all(f.metrics.invocations == 0 for f in snapshot.functions)


def test_alarm_since_is_its_state_change_time_not_the_time_of_the_call(env: Env) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    changed = {
        alarm["AlarmName"]: alarm["StateUpdatedTimestamp"]
        for alarm in cloudwatch.describe_alarms()["MetricAlarms"]
    }

    snapshot, _ = snapshot_of(env)

    assert snapshot.alarms
    for alarm in snapshot.alarms:
        assert alarm.updated_at == changed[alarm.name].astimezone(UTC)
        assert alarm.updated_at != snapshot.meta.taken_at
