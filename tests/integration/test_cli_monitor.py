"""`tooling monitor`, `tooling logs`, `tooling replay` end to end through the typer app, against moto."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

import tooling.cli.monitor as monitor_cli
from tooling.cli.app import app, main
from tooling.observe.aws_sources import AwsMonitorSource
from tooling.outputs import DeploymentOutputs

REGION = "us-west-2"
PREFIX = "ecommerce-cli-zz9zz9"
runner = CliRunner()


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "TOOLING_ENV", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("TOOLING_ROOT", str(tmp_path))  # nothing applied here: every test passes --outputs
    monkeypatch.setenv("NO_COLOR", "1")


def deploy() -> DeploymentOutputs:
    """A small environment from the contract: bus + archive + two rules, batch queue, two DLQs, log groups."""
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    logs = boto3.client("logs", region_name=REGION)
    bus_arn = events.create_event_bus(Name=f"{PREFIX}-bus")["EventBusArn"]
    events.create_archive(ArchiveName=f"{PREFIX}-archive", EventSourceArn=bus_arn)
    events.put_events(
        Entries=[
            {
                "Source": "ecommerce.orders",
                "DetailType": "Order Created",
                "Detail": "{}",
                "EventBusName": f"{PREFIX}-bus",
            }
        ]
    )
    urls = {
        k: sqs.create_queue(QueueName=f"{PREFIX}-{k}")["QueueUrl"]
        for k in ("batch", "events-dlq", "processor-dlq")
    }
    arns = {
        k: sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for k, u in urls.items()
    }
    rule_arns = {}
    for key, pattern in (
        ("order-events", ["ecommerce.orders"]),
        ("all-events", ["ecommerce.orders", "ecommerce.users"]),
    ):
        name = f"{PREFIX}-{key}"
        rule_arns[key] = events.put_rule(
            Name=name, EventBusName=f"{PREFIX}-bus", EventPattern=json.dumps({"source": pattern})
        )["RuleArn"]
        events.put_targets(
            Rule=name,
            EventBusName=f"{PREFIX}-bus",
            Targets=[
                {"Id": "batch-queue", "Arn": arns["batch"], "DeadLetterConfig": {"Arn": arns["events-dlq"]}}
            ],
        )
    sqs.send_message(QueueUrl=urls["batch"], MessageBody='{"queued": 1}')
    sqs.send_message(QueueUrl=urls["processor-dlq"], MessageBody='{"failed": 1}')
    functions = {"processor": f"{PREFIX}-processor"}
    logs.create_log_group(logGroupName=f"/aws/lambda/{PREFIX}-processor")
    logs.create_log_stream(logGroupName=f"/aws/lambda/{PREFIX}-processor", logStreamName="s")
    logs.put_log_events(
        logGroupName=f"/aws/lambda/{PREFIX}-processor",
        logStreamName="s",
        logEvents=[
            {
                "timestamp": int((datetime.now(UTC) - timedelta(minutes=2)).timestamp() * 1000),
                "message": '{"level": "INFO", "message": "order processed", "order_id": "o-1"}',
            }
        ],
    )
    return DeploymentOutputs(
        target="aws",
        environment="dev",
        region=REGION,
        event_bus_name=f"{PREFIX}-bus",
        event_bus_arn=bus_arn,
        archive_name=f"{PREFIX}-archive",
        rule_arns=rule_arns,
        batch_queue_url=urls["batch"],
        batch_queue_arn=arns["batch"],
        dead_letter_queue_urls={"events": urls["events-dlq"], "processor": urls["processor-dlq"]},
        notifications_topic_arn=f"arn:aws:sns:{REGION}:123456789012:{PREFIX}-notifications",
        function_names=functions,
        log_group_names={"processor": f"/aws/lambda/{PREFIX}-processor"},
    )


def write_outputs(path: Path, outputs: DeploymentOutputs) -> Path:
    path.write_text(json.dumps(outputs.to_cache()))
    return path


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[Path]:
    with mock_aws():
        yield write_outputs(tmp_path / "outputs.json", deploy())


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Through the console-script entry point, where errors become one line and an exit code."""
    monkeypatch.setattr(sys, "argv", ["tooling", *args])
    code = 0
    try:
        main()
    except SystemExit as exited:  # main() exits only on errors
        code = int(exited.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_monitor_json_prints_one_complete_snapshot(deployed: Path) -> None:
    result = runner.invoke(app, ["monitor", "--json", "--outputs", str(deployed), "--peek", "1"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == [
        "meta",
        "bus",
        "rules",
        "functions",
        "queues",
        "alarms",
        "health",
        "forwarding",
        "s3_archive",
        "consumer",
        "failover",
    ]
    assert data["bus"]["name"] == f"{PREFIX}-bus"
    assert data["bus"]["archive"]["event_count"] == 1
    assert [r["key"] for r in data["rules"]][:2] == ["order-events", "all-events"]
    assert data["rules"][0]["targets"][0]["dead_letter_arn"].endswith(f"{PREFIX}-events-dlq")
    queues = {q["key"]: q for q in data["queues"]}
    assert (queues["batch-queue"]["visible"], queues["batch-queue"]["sample"][0]["body"]) == (
        1,
        '{"queued": 1}',
    )
    assert data["functions"][0]["dlq_depth"] == 1
    assert data["health"]["verdict"] == "CRITICAL: queue dlq:processor: DLQ not empty: 1 message(s)"


def test_monitor_check_exits_1_when_the_environment_is_not_healthy(deployed: Path) -> None:
    result = runner.invoke(app, ["monitor", "--json", "--check", "--outputs", str(deployed)])

    assert result.exit_code == 1
    assert json.loads(result.stdout)["health"]["status"] == "CRITICAL"


def test_monitor_human_view_ends_with_the_health_verdict(deployed: Path) -> None:
    result = runner.invoke(app, ["monitor", "--outputs", str(deployed)])

    assert result.exit_code == 0, result.output
    assert "order-events" in result.stdout and f"drop the prefix {PREFIX}-" in result.stdout
    assert "archive  ENABLED" in result.stdout
    assert (
        result.stdout.rstrip().splitlines()[-1].strip()
        == "!! queue dlq:processor: DLQ not empty: 1 message(s)"
    )


def test_monitor_watch_json_prints_a_snapshot_per_interval_until_interrupted(
    deployed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks: list[float] = []

    def sleep(seconds: float) -> None:
        ticks.append(seconds)
        if len(ticks) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(monitor_cli, "_sleep", sleep)

    result = runner.invoke(
        app, ["monitor", "--outputs", str(deployed), "--watch", "--json", "--interval", "3"]
    )

    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and ticks == [3.0, 3.0]
    assert all(json.loads(line)["bus"]["name"] == f"{PREFIX}-bus" for line in lines)


def test_logs_json_lists_the_functions_events(deployed: Path) -> None:
    result = runner.invoke(app, ["logs", "--outputs", str(deployed), "--function", "processor", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["groups"] == {"processor": f"/aws/lambda/{PREFIX}-processor"}
    assert [(e["function"], e["data"]["order_id"]) for e in data["events"]] == [("processor", "o-1")]


def test_logs_human_view_pretty_prints_structured_lines(deployed: Path) -> None:
    result = runner.invoke(app, ["logs", "--outputs", str(deployed), "--since", "1h"])

    assert result.exit_code == 0, result.output
    assert "processor  INFO order processed" in result.stdout
    assert '"order_id": "o-1"' in result.stdout


def test_replay_wait_json_reports_the_completed_replay(deployed: Path) -> None:
    result = runner.invoke(
        app,
        [
            "replay",
            "--outputs",
            str(deployed),
            "--start",
            "1h",
            "--end",
            "now",
            "--rules",
            "order-events",
            "--wait",
            "--json",
            "--interval",
            "0.5",
        ],
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["replay"]["state"] == "COMPLETED"
    assert data["request"]["name"].startswith(f"{PREFIX}-replay-")
    assert data["request"]["rule_arns"] == [
        json.loads(deployed.read_text())["outputs"]["rule_arns"]["order-events"]
    ]


def test_nothing_applied_is_one_line_with_a_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(monkeypatch, capsys, "monitor")

    assert code == 2 and out == ""
    assert err.splitlines() == [
        "error: nothing applied yet for environment 'dev' (no .tooling/dev/outputs.json)",
        "  hint: run `make apply` (AWS) or `tooling apply --target local`, or pass --outputs FILE",
    ]


def test_bad_since_is_a_usage_error(
    deployed: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(monkeypatch, capsys, "monitor", "--outputs", str(deployed), "--since", "soon")

    assert code == 2
    assert err.splitlines()[0] == "error: bad duration 'soon'"


def test_wrong_region_names_the_missing_bus(
    deployed: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = json.loads(deployed.read_text())
    data["outputs"]["region"] = "eu-central-1"
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps(data))

    code, _, err = run_main(monkeypatch, capsys, "monitor", "--outputs", str(elsewhere))

    assert code == 1
    assert err.splitlines()[0] == f"error: event bus {PREFIX}-bus not found in eu-central-1"
    assert "Traceback" not in err


def test_throttling_is_one_line_with_a_hint(
    deployed: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def throttled(self: AwsMonitorSource) -> None:
        error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
        raise ClientError(error, "DescribeEventBus")

    monkeypatch.setattr(AwsMonitorSource, "describe_bus", throttled)

    code, _, err = run_main(monkeypatch, capsys, "monitor", "--outputs", str(deployed))

    assert code == 1
    assert err.splitlines() == [
        "error: AWS DescribeEventBus failed: ThrottlingException: Rate exceeded",
        "  hint: AWS is throttling this account; wait a moment and retry",
    ]


def test_no_credentials_is_one_line_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock_aws():
        outputs = write_outputs(tmp_path / "outputs.json", deploy())
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    code, _, err = run_main(monkeypatch, capsys, "logs", "--outputs", str(outputs))

    assert code == 1
    assert err.splitlines()[0] == "error: no AWS credentials found"


def test_unknown_function_lists_the_choices(
    deployed: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(monkeypatch, capsys, "logs", "--outputs", str(deployed), "-f", "billing")

    assert code == 2
    assert err.splitlines() == ["error: unknown function billing", "  hint: choose from: processor"]


@pytest.mark.slow
def test_monitor_json_against_a_moto_server_prints_a_complete_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        outputs = write_outputs(tmp_path / "outputs.json", deploy())

        code, out, err = run_main(monkeypatch, capsys, "monitor", "--json", "--outputs", str(outputs))
    finally:
        server.stop()

    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["bus"]["arn"].endswith(f":event-bus/{PREFIX}-bus")
    assert {r["key"] for r in data["rules"]} >= {"order-events", "all-events"}
    assert [(q["key"], q["visible"]) for q in data["queues"]] == [
        ("batch-queue", 1),
        ("dlq:events", 0),
        ("dlq:processor", 1),
    ]
    assert data["health"]["status"] == "CRITICAL"


def test_monitor_watch_redraws_the_dashboard_until_interrupted(
    deployed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks: list[float] = []

    def sleep(seconds: float) -> None:
        ticks.append(seconds)
        if len(ticks) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(monitor_cli, "_sleep", sleep)

    result = runner.invoke(app, ["monitor", "--outputs", str(deployed), "--watch"])

    assert result.exit_code == 0, result.output
    assert ticks == [5.0, 5.0]  # drawn, redrawn once, interrupted during the second wait
    assert "Health: CRITICAL" in result.stdout


def test_logs_follow_json_streams_one_event_per_line(deployed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def sleep(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(monitor_cli, "_sleep", sleep)

    result = runner.invoke(app, ["logs", "--outputs", str(deployed), "--follow", "--json"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert [json.loads(line)["data"]["message"] for line in lines] == ["order processed"]


def test_monitor_watch_piped_prints_a_full_snapshot_per_interval_health_first(
    deployed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks: list[float] = []

    def sleep(seconds: float) -> None:
        ticks.append(seconds)
        if len(ticks) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(monitor_cli, "_sleep", sleep)

    result = runner.invoke(app, ["monitor", "--outputs", str(deployed), "--watch", "--interval", "2"])

    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.stdout.splitlines()]
    headers = [i for i, line in enumerate(lines) if line.startswith("dev  target aws")]
    assert len(headers) == 2  # two intervals, each a whole snapshot (no terminal: no live redraw)
    for start in headers:
        assert lines[start + 3] == "Health: CRITICAL (1 problem(s))"  # under the header, above the tables
        assert "Alarms: none found for this environment" in lines[start:]
    # Piped: no box rules, and no line folded at 80 columns (a wrapped row would start with blanks only).
    assert not any(set(line) <= set("─━ ") and line for line in result.stdout.splitlines())
