"""`tooling routes diff` on the AWS path, with moto: the S3 event archive read through boto3 (objects per
source and day, gzip JSON lines, a date range) and the routing table as deployed (ListRules,
ListTargetsByRule, input transformers included)."""

from __future__ import annotations

import gzip
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest
from moto import mock_aws
from typer.testing import CliRunner, Result

from tooling import clients
from tooling.cli.app import app
from tooling.config import parse_config
from tooling.naming import Names
from tooling.outputs import DeploymentOutputs
from tooling.routes.sample_events import archived_events

REGION = "us-east-1"
ACCOUNT = "123456789012"
SUFFIX = "abc123"
REPO = Path(__file__).resolve().parents[2]
DEV = (REPO / "environments" / "dev.toml").read_text()
WIDE = DEV.replace('totalAmount = [{ numeric = [">", 1000] }]', 'totalAmount = [{ numeric = [">", 500] }]')
CONFIG = parse_config(tomllib.loads(DEV))
NAMES = Names.of(CONFIG, SUFFIX)
BUCKET = NAMES.s3_archive_bucket
EVENTS = list(archived_events(1500, seed=31, days=3))  # 2026-11-01 .. 2026-11-03


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def _outputs() -> DeploymentOutputs:
    functions = {key: NAMES.function(key) for key in ("processor", "notifier", "analytics")}
    return DeploymentOutputs(
        target="aws",
        environment="dev",
        region=REGION,
        event_bus_name=NAMES.bus,
        event_bus_arn=_arn("events", f"event-bus/{NAMES.bus}"),
        archive_name=NAMES.archive,
        rule_arns={r.name: _arn("events", f"rule/{NAMES.bus}/{NAMES.rule(r.name)}") for r in CONFIG.rules},
        batch_queue_url=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{NAMES.batch_queue}",
        batch_queue_arn=_arn("sqs", NAMES.batch_queue),
        dead_letter_queue_urls={},
        notifications_topic_arn=_arn("sns", NAMES.topic),
        function_names=functions,
        log_group_names={},
        s3_archive_bucket_name=BUCKET,
        s3_archive_stream_name=NAMES.s3_archive_stream,
    )


def _target_arn(target: str, outputs: DeploymentOutputs) -> str:
    if target in outputs.function_names:
        return _arn("lambda", f"function:{outputs.function_names[target]}")
    return {
        "notifications": outputs.notifications_topic_arn,
        "batch-queue": outputs.batch_queue_arn,
        "s3-archive": _arn("firehose", f"deliverystream/{outputs.s3_archive_stream_name}"),
    }[target]


def _day_key(day: str, source: str, part: int) -> str:
    y, m, d = day.split("-")
    stream = NAMES.s3_archive_stream
    return f"source={source}/year={y}/month={m}/day={d}/{stream}-1-{y}-{m}-{d}-10-00-0{part}-{part:08x}.gz"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project folder with dev.toml, the suffix the deployment has, and its outputs; AWS mocked with the
    archive's objects (per source and day, two objects a day for orders) and the rules deployed."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    clients.reset()
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.toml").write_text(DEV)
    (tmp_path / "wide.toml").write_text(WIDE)
    (tmp_path / ".tooling" / "dev").mkdir(parents=True)
    (tmp_path / ".tooling" / "dev" / "suffix").write_text(SUFFIX + "\n")
    outputs = _outputs()
    (tmp_path / "outputs.json").write_text(json.dumps(outputs.to_cache()))
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        groups: dict[tuple[str, str, int], list[bytes]] = {}
        for number, event in enumerate(EVENTS):
            part = number % 2 if event["source"] == "ecommerce.orders" else 0
            groups.setdefault((event["time"][:10], event["source"], part), []).append(orjson.dumps(event))
        for (day, source, part), lines in groups.items():
            body = gzip.compress(b"\n".join(lines) + b"\n")
            s3.put_object(Bucket=BUCKET, Key=_day_key(day, source, part), Body=body)
        # Firehose's failed deliveries: not events, and never read as such.
        s3.put_object(Bucket=BUCKET, Key="errors/2026/11/02/failed.gz", Body=b"not gzip")
        events = boto3.client("events", region_name=REGION)
        events.create_event_bus(Name=NAMES.bus)
        for rule in CONFIG.rules:
            events.put_rule(
                Name=NAMES.rule(rule.name),
                EventBusName=NAMES.bus,
                EventPattern=rule.pattern_json,
                State="ENABLED",
            )
            targets = []
            for target in rule.targets:
                spec: dict[str, Any] = {"Id": target.target_id, "Arn": _target_arn(target.target, outputs)}
                if target.input_transformer is not None:
                    spec["InputTransformer"] = {
                        "InputPathsMap": target.input_transformer.input_paths,
                        "InputTemplate": target.input_transformer.input_template,
                    }
                targets.append(spec)
            events.put_targets(Rule=NAMES.rule(rule.name), EventBusName=NAMES.bus, Targets=targets)
        yield tmp_path
    clients.reset()


def diff(project: Path, *args: str) -> Result:
    return CliRunner().invoke(
        app,
        ["routes", "diff", "--outputs", str(project / "outputs.json"), *args],
        env={"TOOLING_ROOT": str(project)},
    )


def _widened(days: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        e
        for e in EVENTS
        if e["time"][:10] in days
        and e["detail-type"] == "Order Created"
        and 500 < e["detail"]["totalAmount"] <= 1000
    ]


def test_the_s3_archive_is_read_through_boto3_over_the_days_asked(project: Path) -> None:
    days = ("2026-11-02", "2026-11-03")
    expected = _widened(days)

    result = diff(
        project, "--before", str(project / "environments" / "dev.toml"), "--after", str(project / "wide.toml"),
        "--s3-archive", "--since", days[0], "--until", days[1], "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["events"]["evaluated"] == sum(e["time"][:10] in days for e in EVENTS)
    assert report["events"]["source"] == f"s3://{BUCKET} (10 object(s), days 2026-11-02 to 2026-11-03)"
    assert report["events"]["first_time"] >= "2026-11-02T00:00:00Z"
    [rule] = [r for r in report["rules"] if r["name"] == "high-value-orders"]
    assert (rule["gained"], rule["lost"]) == (len(expected), 0) and len(expected) > 5
    assert {e["id"] for e in rule["gained_examples"]} <= {e["id"] for e in expected}
    span = report["events"]["span_days"]
    assert 1.9 < span <= 2 and rule["gained_per_day"] == pytest.approx(len(expected) / span, rel=0.01)


def test_the_deployed_rules_and_transformers_are_read_from_eventbridge(project: Path) -> None:
    same = diff(project, "--deployed", "--target", "aws", "--s3-archive", "--fail-on", "any", "--json")
    wider = diff(project, "--deployed", "--after", str(project / "wide.toml"), "--s3-archive", "--json")

    assert same.exit_code == 0, same.output
    report = json.loads(same.stdout)
    assert report["before"] == f"deployed on AWS (bus {NAMES.bus}, {REGION})"
    assert {r["name"]: r["status"] for r in report["rules"]} == {r.name: "unchanged" for r in CONFIG.rules}
    assert {t["target"] for t in report["targets"]} == {
        "processor",
        "notifications",
        "batch-queue",
        "s3-archive",
        "analytics",
    }
    assert json.loads(wider.stdout)["gained"] == len(_widened(("2026-11-01", "2026-11-02", "2026-11-03")))


def test_a_deployed_transformer_that_differs_shows_the_payloads_that_change(project: Path) -> None:
    events = boto3.client("events", region_name=REGION)
    events.put_targets(
        Rule=NAMES.rule("high-value-orders"),
        EventBusName=NAMES.bus,
        Targets=[
            {
                "Id": "notifications",
                "Arn": _outputs().notifications_topic_arn,
                "InputTransformer": {
                    "InputPathsMap": {"orderId": "$.detail.orderId"},
                    "InputTemplate": '"<orderId>"',
                },
            }
        ],
    )

    result = diff(project, "--deployed", "--s3-archive", "--json", "--fail-on", "any")

    assert result.exit_code == 1, result.output
    [rule] = [r for r in json.loads(result.stdout)["rules"] if r["name"] == "high-value-orders"]
    assert rule["status"] == "changed" and (rule["gained"], rule["lost"]) == (0, 0)
    [change] = rule["payload_changes"]
    assert change["changed"] == change["compared"] == rule["matched_after"] > 0
    sample = change["samples"][0]
    assert sample["before"].count('"') == 2 and sample["after"].startswith('"High-value order ')


def test_an_archive_object_that_is_not_gzip_is_named_by_its_key(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = _day_key("2026-11-02", "ecommerce.users", 7)
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=b"plain text")
    from tooling.cli import errors

    result = diff(project, "--before", str(project / "environments" / "dev.toml"), "--s3-archive")

    assert result.exception is not None and errors.handle(result.exception, debug=False) == 2
    assert capsys.readouterr().err.startswith(f"error: {key}: not gzip JSON lines")
