"""Logs (FilterLogEvents, every page, merged) and replay (StartReplay / DescribeReplay) against moto."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from tooling.errors import AwsError
from tooling.observe.aws_sources import AwsLogSource, AwsReplaySource
from tooling.observe.logs import collect_logs, log_groups
from tooling.observe.replay import build_request, start_replay, wait_for_replay
from tooling.outputs import DeploymentOutputs

REGION = "us-east-2"
PREFIX = "ecommerce-it-q1w2e3"


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        with mock_aws():
            yield


def outputs(**changes: object) -> DeploymentOutputs:
    base = DeploymentOutputs(
        region=REGION,
        event_bus_name=f"{PREFIX}-bus",
        event_bus_arn=f"arn:aws:events:{REGION}:123456789012:event-bus/{PREFIX}-bus",
        archive_name=f"{PREFIX}-archive",
        rule_arns={},
        batch_queue_url="",
        batch_queue_arn="",
        dead_letter_queue_urls={},
        notifications_topic_arn="",
        function_names={k: f"{PREFIX}-{k}" for k in ("processor", "notifier", "analytics")},
        log_group_names={k: f"/aws/lambda/{PREFIX}-{k}" for k in ("processor", "notifier", "analytics")},
    )
    return base.model_copy(update=changes)


def write_logs(group: str, stream: str, events: list[tuple[datetime, str]]) -> None:
    logs = boto3.client("logs", region_name=REGION)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": int(t.timestamp() * 1000), "message": m} for t, m in sorted(events)],
    )


def test_log_events_of_every_function_come_back_merged_in_time_order_across_pages() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    out = outputs()
    groups = out.log_group_names
    write_logs(
        groups["processor"],
        "2026/11/26/[$LATEST]a",
        [
            (
                now - timedelta(minutes=9),
                json.dumps({"level": "INFO", "message": "order accepted", "order_id": "o-1"}),
            ),
            (
                now - timedelta(minutes=5),
                json.dumps({"level": "ERROR", "message": "order failed", "order_id": "o-2"}),
            ),
            (now - timedelta(minutes=1), "END RequestId: r-3"),
        ],
    )
    write_logs(
        groups["processor"], "2026/11/26/[$LATEST]b", [(now - timedelta(minutes=7), "START RequestId: r-2")]
    )
    write_logs(
        groups["notifier"],
        "2026/11/26/[$LATEST]c",
        [
            (now - timedelta(minutes=8), json.dumps({"level": "INFO", "message": "notified"})),
            (now - timedelta(hours=2), "too old"),
        ],
    )
    # analytics was never invoked: no log group at all.
    source = AwsLogSource(REGION, page_size=2)

    events = collect_logs(source, log_groups(out), now - timedelta(minutes=15))

    assert [(e.function, e.message if e.data is None else e.data["message"]) for e in events] == [
        ("processor", "order accepted"),
        ("notifier", "notified"),
        ("processor", "START RequestId: r-2"),
        ("processor", "order failed"),
        ("processor", "END RequestId: r-3"),
    ]
    assert events[0].data == {"level": "INFO", "message": "order accepted", "order_id": "o-1"}
    assert events[0].log_stream == "2026/11/26/[$LATEST]a"
    assert source.calls["FilterLogEvents"] >= 4  # 4 processor events at 2 a page, plus notifier and analytics


def test_filter_text_keeps_only_matching_events() -> None:
    now = datetime.now(UTC)
    out = outputs()
    write_logs(
        out.log_group_names["processor"],
        "s",
        [
            (now - timedelta(minutes=3), '{"level": "ERROR", "message": "order o-2 failed"}'),
            (now - timedelta(minutes=2), '{"level": "INFO", "message": "order o-3 accepted"}'),
        ],
    )

    events = collect_logs(
        AwsLogSource(REGION), log_groups(out, ["processor"]), now - timedelta(minutes=10), None, "o-2 failed"
    )

    assert [e.data["message"] if e.data else None for e in events] == ["order o-2 failed"]


def deploy_archive_with_history() -> tuple[DeploymentOutputs, str]:
    """A bus with an archive holding 3 events, then a rule routing to a queue (so replays are observable)."""
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    bus_arn = events.create_event_bus(Name=f"{PREFIX}-bus")["EventBusArn"]
    events.create_archive(ArchiveName=f"{PREFIX}-archive", EventSourceArn=bus_arn)
    events.put_events(
        Entries=[
            {
                "Source": "ecommerce.orders",
                "DetailType": "Order Created",
                "Detail": json.dumps({"orderId": f"o-{i}"}),
                "EventBusName": f"{PREFIX}-bus",
            }
            for i in range(3)
        ]
    )
    queue_url = sqs.create_queue(QueueName=f"{PREFIX}-batch")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule_arn = events.put_rule(
        Name=f"{PREFIX}-all-events",
        EventBusName=f"{PREFIX}-bus",
        EventPattern='{"source": ["ecommerce.orders"]}',
    )["RuleArn"]
    events.put_targets(
        Rule=f"{PREFIX}-all-events", EventBusName=f"{PREFIX}-bus", Targets=[{"Id": "q", "Arn": queue_arn}]
    )
    return outputs(event_bus_arn=bus_arn, rule_arns={"all-events": rule_arn}), queue_url


def test_replay_starts_from_the_archive_and_is_followed_to_completion() -> None:
    out, queue_url = deploy_archive_with_history()
    now = datetime.now(UTC)
    source = AwsReplaySource(out)
    request = build_request(out, now - timedelta(hours=1), now, ["all-events"], now)

    started = start_replay(source, request)
    final = wait_for_replay(source, started.name, interval=0.01, sleep=lambda _s: None)

    assert started.state in ("STARTING", "RUNNING", "COMPLETED")
    assert (final.state, final.progress, final.name) == ("COMPLETED", 1.0, request.name)
    described = boto3.client("events", region_name=REGION).describe_replay(ReplayName=request.name)
    assert described["EventSourceArn"].endswith(f":archive/{PREFIX}-archive")
    assert described["Destination"] == {"Arn": out.event_bus_arn, "FilterArns": [out.rule_arns["all-events"]]}
    received = boto3.client("sqs", region_name=REGION).receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10
    )
    bodies = [json.loads(m["Body"]) for m in received.get("Messages", [])]
    assert sorted(b["detail"]["orderId"] for b in bodies) == ["o-0", "o-1", "o-2"]
    assert source.calls == {"DescribeArchive": 1, "StartReplay": 1, "DescribeReplay": 1}


def test_replay_without_an_archive_is_one_clear_error() -> None:
    out, _ = deploy_archive_with_history()
    out = out.model_copy(update={"archive_name": "gone"})
    now = datetime.now(UTC)

    with pytest.raises(AwsError) as raised:
        start_replay(AwsReplaySource(out), build_request(out, now - timedelta(hours=1), now, (), now))

    assert raised.value.message == f"archive gone not found in {REGION}"


EMF_LINE = json.dumps(
    {
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {"Namespace": "E", "Dimensions": [["service"]], "Metrics": [{"Name": "M"}]}
            ],
        },
        "service": "processor",
        "M": 1,
    }
)


def test_limit_keeps_the_newest_events_newest_last_and_emf_lines_are_hidden() -> None:
    now = datetime.now(UTC)
    out = outputs()
    lines = []
    for i in range(6):
        lines.append((now - timedelta(minutes=9 - i, seconds=30), f'{{"level": "INFO", "message": "m{i}"}}'))
        lines.append((now - timedelta(minutes=9 - i), EMF_LINE))
    write_logs(out.log_group_names["processor"], "s", lines)
    source = AwsLogSource(REGION, page_size=3)
    groups = log_groups(out, ["processor"])

    events = collect_logs(source, groups, now - timedelta(minutes=15), limit=3, metrics=False)
    with_metrics = collect_logs(source, groups, now - timedelta(minutes=15), limit=3)

    assert [e.data["message"] if e.data else None for e in events] == ["m3", "m4", "m5"]
    assert [e.message for e in with_metrics].count(EMF_LINE) == 2  # --metrics: EMF lines count as events
