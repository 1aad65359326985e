"""`tooling publish ...` through typer's CliRunner against moto (bus -> rule -> SQS), outputs from a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner, Result

from tooling.cli import errors
from tooling.cli.app import app
from tooling.errors import OutputsMissingError, UsageError
from tooling.publish.events import SOURCES

REGION = "us-east-1"


@dataclass(frozen=True)
class Deployment:
    outputs_file: Path
    root: Path
    queue_url: str
    sqs: Any

    def received(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return events
            events += [json.loads(m["Body"]) for m in messages]

    def run(self, *args: str) -> Result:
        # moto's in-process mock intercepts botocore's sender, which only the boto3 engine goes through (the
        # http engine is tested against real sockets: test_http_bus.py, test_publish_faults.py).
        argv = ["publish", *args, "--outputs", str(self.outputs_file), "--engine", "boto3"]
        return CliRunner().invoke(app, argv, env={"TOOLING_ROOT": str(self.root)})


@pytest.fixture
def deployment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Deployment]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "TOOLING_ENV"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        bus = events.create_event_bus(Name="shop-dev-abc123")
        queue_url = sqs.create_queue(QueueName="shop-dev-abc123-batch")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
        pattern = json.dumps({"source": sorted(SOURCES.values())})
        rule = events.put_rule(Name="all-events", EventBusName="shop-dev-abc123", EventPattern=pattern)
        events.put_targets(
            Rule="all-events",
            EventBusName="shop-dev-abc123",
            Targets=[{"Id": "batch-queue", "Arn": attributes["QueueArn"]}],
        )
        # The shape `terraform output -json` writes, built from the moto resources.
        outputs = {
            "region": REGION,
            "event_bus_name": "shop-dev-abc123",
            "event_bus_arn": bus["EventBusArn"],
            "archive_name": "shop-dev-abc123-archive",
            "rule_arns": {"all-events": rule["RuleArn"]},
            "batch_queue_url": queue_url,
            "batch_queue_arn": attributes["QueueArn"],
            "dead_letter_queue_urls": {},
            "notifications_topic_arn": f"arn:aws:sns:{REGION}:123456789012:shop-dev-abc123-notifications",
            "function_names": {},
            "log_group_names": {},
            "forwarding_rule_arn": "",
        }
        outputs_file = tmp_path / "outputs.json"
        outputs_file.write_text(json.dumps({k: {"sensitive": False, "value": v} for k, v in outputs.items()}))
        yield Deployment(outputs_file=outputs_file, root=tmp_path, queue_url=queue_url, sqs=sqs)


def test_publish_order_with_amount_arrives_as_a_high_value_order(deployment: Deployment) -> None:
    result = deployment.run("order", "--type", "Order Created", "--amount", "1500", "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["published"] == 1
    assert summary["failed"] == 0
    assert summary["failures"] == []
    [event] = deployment.received()
    assert (event["source"], event["detail-type"]) == ("ecommerce.orders", "Order Created")
    assert event["detail"]["totalAmount"] == 1500


@pytest.mark.parametrize(
    ("command", "detail_type", "source"),
    [
        ("user", "User Registered", "ecommerce.users"),
        ("payment", "Payment Processed", "ecommerce.payments"),
        ("inventory", "Stock Depleted", "ecommerce.inventory"),
        ("order", "Order Cancelled", "ecommerce.orders"),
    ],
)
def test_each_kind_command_publishes_its_events(
    deployment: Deployment, command: str, detail_type: str, source: str
) -> None:
    result = deployment.run(command, "--type", detail_type, "--count", "3", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["published"] == 3
    received = deployment.received()
    assert [(e["source"], e["detail-type"]) for e in received] == [(source, detail_type)] * 3
    assert len({e["detail"]["idempotencyKey"] for e in received}) == 3


def test_detail_override_from_a_file_is_merged(deployment: Deployment, tmp_path: Path) -> None:
    detail_file = tmp_path / "detail.json"
    detail_file.write_text('{"status": "failed", "currency": "EUR"}')

    result = deployment.run("payment", "--amount", "12.34", "--detail", f"@{detail_file}", "--json")

    assert result.exit_code == 0, result.output
    [event] = deployment.received()
    assert event["detail"]["status"] == "failed"
    assert event["detail"]["currency"] == "EUR"
    assert event["detail"]["amount"] == 12.34


def test_batch_follows_the_mix_and_every_event_arrives_once(deployment: Deployment) -> None:
    result = deployment.run(
        "batch",
        "--count",
        "80",
        "--mix",
        "orders=50,users=25,payments=25",
        "--seed",
        "7",
        "--concurrency",
        "3",
        "--json",
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["published"] == 80
    assert summary["events_per_second"] > 0
    received = deployment.received()
    assert Counter(e["source"] for e in received) == {
        "ecommerce.orders": 40,
        "ecommerce.users": 20,
        "ecommerce.payments": 20,
    }
    assert len({e["detail"]["idempotencyKey"] for e in received}) == 80


def test_batch_without_json_prints_a_readable_summary(deployment: Deployment) -> None:
    result = deployment.run("batch", "--count", "15", "--seed", "1")

    assert result.exit_code == 0, result.output
    assert "published 15 of 15 event(s) to shop-dev-abc123" in result.stdout
    assert len(deployment.received()) == 15


def test_file_of_entries_and_envelopes_is_published(deployment: Deployment, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        json.dumps(
            {"Source": "ecommerce.orders", "DetailType": "Order Updated", "Detail": '{"orderId": "o-9"}'}
        )
        + "\n\n"
        + json.dumps(
            {"source": "ecommerce.inventory", "detail-type": "Stock Updated", "detail": {"sku": "S-1"}}
        )
        + "\n"
    )

    # Partial details (no schema would accept them): this test is about the file format and the transport.
    result = deployment.run("file", str(path), "--json", "--no-validate")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["published"] == 2
    received = sorted(deployment.received(), key=lambda e: str(e["source"]))
    assert [e["detail"] for e in received] == [{"sku": "S-1"}, {"orderId": "o-9"}]


def test_an_oversized_file_entry_fails_alone_and_exit_is_1(deployment: Deployment, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    big = json.dumps({"blob": "x" * 1_100_000})
    lines = [
        {"Source": "ecommerce.orders", "DetailType": "Order Created", "Detail": d} for d in ("{}", big, "{}")
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines))

    result = deployment.run("file", str(path), "--json", "--no-validate")

    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert (summary["published"], summary["failed"]) == (2, 1)
    assert summary["failures"][0]["index"] == 1
    assert summary["failures"][0]["code"] == "EntryTooLarge"
    assert len(deployment.received()) == 2


def test_failures_are_listed_in_the_readable_summary(deployment: Deployment, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = [
        {"Source": "ecommerce.orders", "DetailType": "Order Created", "Detail": "{}"},
        {
            "Source": "ecommerce.orders",
            "DetailType": "[Order] Created",
            "Detail": json.dumps({"b": "x" * 1_100_000}),
        },
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines))

    result = deployment.run("file", str(path), "--no-validate")

    assert result.exit_code == 1
    assert "incomplete: published 1 of 2 event(s)" in result.stdout
    assert "EntryTooLarge" in result.stdout


def _usage_error(result: Result, capsys: pytest.CaptureFixture[str]) -> str:
    """The error the CLI's handler would print, and check it exits 2 like `tooling` does."""
    assert isinstance(result.exception, UsageError), result.output
    assert errors.handle(result.exception, debug=False) == 2
    return capsys.readouterr().err


def test_malformed_detail_json_is_a_clear_usage_error(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    result = deployment.run("order", "--detail", "{not json", "--json")

    stderr = _usage_error(result, capsys)
    assert stderr.startswith("error: --detail is not valid JSON")
    assert deployment.received() == []


def test_a_file_line_that_is_not_an_entry_is_a_clear_usage_error(
    deployment: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"Source": "ecommerce.orders", "DetailType": "Order Created", "Detail": "{}"}\n{"foo": 1}\n'
    )

    result = deployment.run("file", str(path))

    stderr = _usage_error(result, capsys)
    assert f"{path}:2: neither a PutEvents entry" in stderr
    assert deployment.received() == []  # nothing is sent when any line is bad


def test_a_detail_type_of_another_kind_is_a_usage_error(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    result = deployment.run("inventory", "--type", "Order Created")

    assert "is not a inventory event" in _usage_error(result, capsys)


def test_a_missing_outputs_file_is_a_usage_error(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    result = CliRunner().invoke(
        app,
        ["publish", "user", "--outputs", str(deployment.root / "nope.json")],
        env={"TOOLING_ROOT": "/nonexistent"},
    )

    assert "does not exist" in _usage_error(result, capsys)


def test_no_applied_environment_is_reported_with_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["publish", "order", "--env", "qa"], env={"TOOLING_ROOT": str(tmp_path)})

    assert isinstance(result.exception, OutputsMissingError)
    assert "pass --outputs FILE" in (result.exception.hint or "")


def test_the_installed_command_prints_one_error_line_and_exits_non_zero(tmp_path: Path) -> None:
    env = {**os.environ, "TOOLING_ROOT": str(tmp_path)}

    proc = subprocess.run(
        [sys.executable, "-m", "tooling", "publish", "order", "--detail", "[1, 2]"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines()[0] == "error: --detail must be a JSON object, not list"
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_batch_through_the_local_target_lands_in_the_local_queue_once(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tooling import local
    from tooling.deploy import pipeline as deploy
    from tooling.local.store import Store
    from tooling.workspace import Workspace

    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")  # no Lambda workers: only the queue is checked
    workspace = Workspace.for_env("dev")
    outputs = local.apply_local(deploy.prepare(workspace))

    result = CliRunner().invoke(app, ["publish", "batch", "--count", "30", "--seed", "3", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["published"] == 30
    store = Store.open(workspace)
    try:
        rows = [
            dict(r)
            for r in store.query("SELECT * FROM messages WHERE queue_url = ?", (outputs.batch_queue_url,))
        ]
    finally:
        store.close()
    keys = Counter(json.loads(row["body"])["detail"]["idempotencyKey"] for row in rows)
    assert len(keys) == 30
    assert set(keys.values()) == {1}


def test_an_unknown_engine_is_a_usage_error(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    result = CliRunner().invoke(
        app,
        ["publish", "batch", "--count", "5", "--engine", "curl", "--outputs", str(deployment.outputs_file)],
        env={"TOOLING_ROOT": str(deployment.root)},
    )

    assert "--engine 'curl' is not an engine; use one of: http, boto3" in _usage_error(result, capsys)
