"""The S3 event archive on AWS (moto): `tooling s3-archive` lists and reads the bucket Firehose writes, and the
monitor reads the stream, its AWS/Firehose metrics and the bucket's object count."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from tooling import clients
from tooling.cli.app import app
from tooling.errors import ToolingError
from tooling.observe import s3_archive
from tooling.observe.aws_s3_archive import AwsS3ArchiveSource
from tooling.observe.aws_sources import AwsMonitorSource
from tooling.observe.monitor import Window
from tooling.outputs import DeploymentOutputs

REGION = "eu-west-1"
BUCKET = "ecommerce-test-abc123-events-archive"
STREAM = "ecommerce-test-abc123-events-archive"
ORDERS_KEY = f"source=ecommerce.orders/year=2026/month=11/day=30/{STREAM}-1-2026-11-30-10-00-00-0f0e.gz"
USERS_KEY = f"source=ecommerce.users/year=2026/month=11/day=29/{STREAM}-1-2026-11-29-10-00-00-0f0f.gz"


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    clients.reset()
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield s3
    clients.reset()


def _lines(*records: dict[str, Any]) -> bytes:
    return gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode())


def _outputs(**overrides: Any) -> DeploymentOutputs:
    values: dict[str, Any] = {
        "target": "aws",
        "environment": "test",
        "region": REGION,
        "event_bus_name": "ecommerce-test-abc123-bus",
        "event_bus_arn": f"arn:aws:events:{REGION}:123456789012:event-bus/ecommerce-test-abc123-bus",
        "archive_name": "ecommerce-test-abc123-archive",
        "rule_arns": {},
        "batch_queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/q",
        "batch_queue_arn": "arn:aws:sqs:eu-west-1:123456789012:q",
        "dead_letter_queue_urls": {},
        "notifications_topic_arn": "arn:aws:sns:eu-west-1:123456789012:t",
        "function_names": {},
        "log_group_names": {},
        "s3_archive_bucket_name": BUCKET,
        "s3_archive_stream_name": STREAM,
    }
    return DeploymentOutputs.model_validate({**values, **overrides})


def test_ls_filters_by_source_and_day_and_cat_gunzips_json_lines(aws: Any) -> None:
    aws.put_object(Bucket=BUCKET, Key=ORDERS_KEY, Body=_lines({"source": "ecommerce.orders", "id": "1"}))
    aws.put_object(Bucket=BUCKET, Key=USERS_KEY, Body=_lines({"source": "ecommerce.users", "id": "2"}))
    source = AwsS3ArchiveSource(BUCKET, REGION)

    everything = s3_archive.list_s3_archive(source, None, None)
    orders = s3_archive.list_s3_archive(source, "ecommerce.orders", None)
    on_29th = s3_archive.list_s3_archive(source, None, datetime(2026, 11, 29).date())

    assert [o.key for o in everything.objects] == [ORDERS_KEY, USERS_KEY]
    assert ([o.key for o in orders.objects], orders.prefix) == ([ORDERS_KEY], "source=ecommerce.orders/")
    assert [o.key for o in on_29th.objects] == [USERS_KEY]
    assert s3_archive.read_object(source, ORDERS_KEY) == ['{"source": "ecommerce.orders", "id": "1"}']


def test_cat_of_a_missing_key_is_one_clear_error(aws: Any) -> None:
    with pytest.raises(ToolingError, match=r"no object nope\.gz in"):
        AwsS3ArchiveSource(BUCKET, REGION).get_object("nope.gz")


def test_the_cli_reads_the_aws_bucket_named_by_the_outputs(aws: Any, tmp_path: Path) -> None:
    aws.put_object(Bucket=BUCKET, Key=ORDERS_KEY, Body=_lines({"source": "ecommerce.orders", "id": "1"}))
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(_outputs().to_cache()))

    listed = CliRunner().invoke(
        app,
        ["s3-archive", "ls", "--outputs", str(outputs_file), "--json"],
        env={"TOOLING_ROOT": str(tmp_path)},
    )
    latest = CliRunner().invoke(
        app,
        ["s3-archive", "cat", "--latest", "--outputs", str(outputs_file)],
        env={"TOOLING_ROOT": str(tmp_path)},
    )

    assert listed.exit_code == 0, listed.output
    assert [o["key"] for o in json.loads(listed.stdout)["objects"]] == [ORDERS_KEY]
    assert json.loads(listed.stdout)["buffered_records"] is None  # AWS does not say what Firehose buffers
    assert latest.exit_code == 0, latest.output
    assert json.loads(latest.stdout) == {"source": "ecommerce.orders", "id": "1"}


def test_the_monitor_reads_stream_metrics_and_counts_objects(aws: Any) -> None:
    aws.put_object(Bucket=BUCKET, Key=ORDERS_KEY, Body=_lines({"source": "ecommerce.orders"}))
    aws.put_object(Bucket=BUCKET, Key=USERS_KEY, Body=_lines({"source": "ecommerce.users"}))
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="firehose", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("firehose", region_name=REGION).create_delivery_stream(
        DeliveryStreamName=STREAM,
        ExtendedS3DestinationConfiguration={"RoleARN": role, "BucketARN": f"arn:aws:s3:::{BUCKET}"},
    )
    now = datetime.now(UTC) - timedelta(minutes=2)
    dimensions = [{"Name": "DeliveryStreamName", "Value": STREAM}]
    boto3.client("cloudwatch", region_name=REGION).put_metric_data(
        Namespace="AWS/Firehose",
        MetricData=[
            {"MetricName": "IncomingRecords", "Dimensions": dimensions, "Value": 7, "Timestamp": now},
            {"MetricName": "DeliveryToS3.Records", "Dimensions": dimensions, "Value": 5, "Timestamp": now},
            *[
                {"MetricName": "DeliveryToS3.Success", "Dimensions": dimensions, "Value": v, "Timestamp": now}
                for v in (1, 1, 0)
            ],
        ],
    )

    stats = AwsMonitorSource(_outputs()).s3_archive(Window.last(timedelta(hours=1)))

    assert (stats.stream_exists, stats.bucket_exists, stats.objects) == (True, True, 2)
    assert (stats.incoming_records, stats.delivered_records) == (7, 5)
    assert (stats.successful_deliveries, stats.failed_deliveries) == (2, 1)


def test_the_monitor_reports_a_missing_stream_and_bucket(aws: Any) -> None:
    stats = AwsMonitorSource(_outputs(s3_archive_bucket_name="gone-bucket")).s3_archive(
        Window.last(timedelta(hours=1))
    )

    assert (stats.stream_exists, stats.bucket_exists) == (False, False)
