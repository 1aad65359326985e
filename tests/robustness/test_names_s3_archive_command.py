"""One word, one thing: the S3/Firehose archive's command is `tooling s3-archive` ("archive" alone is the
EventBridge archive that `tooling replay` reads). Before: the command was `tooling archive`, beside `replay`
and the `archive_name` output that name the other archive. The old name still runs (scripts keep working),
is left out of `tooling --help` and says on stderr that it is deprecated; stdout is the same, so a script
parsing `--json` sees no difference."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from tooling import clients
from tooling.cli.app import app
from tooling.outputs import DeploymentOutputs

REGION = "eu-west-1"
BUCKET = "ecommerce-test-abc123-events-archive"
KEY = "source=ecommerce.orders/year=2026/month=11/day=30/s-1-2026-11-30-10-00-00-0f0e.gz"


@pytest.fixture
def outputs_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    clients.reset()
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=gzip.compress(b'{"id": "1"}\n'))
        outputs = DeploymentOutputs.model_validate(
            {
                "target": "aws",
                "environment": "test",
                "region": REGION,
                "event_bus_name": "b",
                "event_bus_arn": f"arn:aws:events:{REGION}:123456789012:event-bus/b",
                "archive_name": "a",
                "rule_arns": {},
                "batch_queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/q",
                "batch_queue_arn": "arn:aws:sqs:eu-west-1:123456789012:q",
                "dead_letter_queue_urls": {},
                "notifications_topic_arn": "arn:aws:sns:eu-west-1:123456789012:t",
                "function_names": {},
                "log_group_names": {},
                "s3_archive_bucket_name": BUCKET,
                "s3_archive_stream_name": "s",
            }
        )
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps(outputs.to_cache()))
        yield path
    clients.reset()


def _run(*args: str, root: Path) -> Any:
    return CliRunner().invoke(app, list(args), env={"TOOLING_ROOT": str(root)})


def test_s3_archive_lists_the_firehose_bucket(outputs_file: Path) -> None:
    listed = _run("s3-archive", "ls", "--outputs", str(outputs_file), "--json", root=outputs_file.parent)

    assert listed.exit_code == 0, listed.output
    assert [o["key"] for o in json.loads(listed.stdout)["objects"]] == [KEY]
    assert "deprecated" not in listed.stderr


def test_the_old_name_still_runs_prints_the_same_and_says_it_is_deprecated(outputs_file: Path) -> None:
    new = _run("s3-archive", "cat", "--latest", "--outputs", str(outputs_file), root=outputs_file.parent)
    old = _run("archive", "cat", "--latest", "--outputs", str(outputs_file), root=outputs_file.parent)

    assert (old.exit_code, new.exit_code) == (0, 0), old.output
    assert old.stdout == new.stdout == '{"id": "1"}\n'
    assert "deprecated" in old.stderr


def test_help_lists_s3_archive_and_not_the_old_name() -> None:
    shown = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "120"}).stdout
    # The first word of each command row of the help's command panel.
    names = {match[1] for match in re.finditer(r"^│ ([a-z0-9-]+)\s", shown, re.MULTILINE)}

    assert "s3-archive" in names
    assert "replay" in names
    assert "archive" not in names
