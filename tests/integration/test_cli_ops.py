"""The operator commands of issue 13 end to end on the local target, through the typer app:
`tooling logs` (--limit, EMF hidden), `tooling invoke`, `tooling events sample`, `tooling graph`."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tooling import local
from tooling.cli.app import app, main
from tooling.deploy import pipeline as deploy
from tooling.local.store import Store
from tooling.outputs import DeploymentOutputs
from tooling.workspace import Workspace

runner = CliRunner()
EMF = '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"E","Metrics":[{"Name":"M"}]}]},"M":1}'


@pytest.fixture
def applied(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DeploymentOutputs]:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    monkeypatch.setenv("NO_COLOR", "1")
    workspace = Workspace.for_env("dev")
    yield local.apply_local(deploy.prepare(workspace))


def store_logs(outputs: DeploymentOutputs, function: str, messages: list[str]) -> None:
    store = Store.open(Workspace.for_env("dev"))
    now = time.time()
    try:
        with store.transaction() as conn:
            conn.executemany(
                "INSERT INTO logs (log_group, log_stream, ts, message) VALUES (?, 's', ?, ?)",
                [(outputs.log_group_names[function], now - 60 + i, m) for i, m in enumerate(messages)],
            )
    finally:
        store.close()


# -- logs ------------------------------------------------------------------------------------------------


def test_logs_limit_prints_the_newest_events_newest_last_without_emf_lines(
    applied: DeploymentOutputs,
) -> None:
    lines = []
    for i in range(5):
        lines += [f'{{"level": "INFO", "message": "order o-{i} accepted"}}', EMF]
    store_logs(applied, "processor", lines)

    result = runner.invoke(app, ["logs", "--limit", "3", "--json"])

    assert result.exit_code == 0, result.output
    messages = [e["data"]["message"] for e in json.loads(result.stdout)["events"]]
    assert messages == ["order o-2 accepted", "order o-3 accepted", "order o-4 accepted"]


def test_logs_metrics_shows_the_emf_lines_too(applied: DeploymentOutputs) -> None:
    store_logs(applied, "analytics", ['{"level": "INFO", "message": "seen"}', EMF, EMF])

    result = runner.invoke(app, ["logs", "--function", "analytics", "--metrics", "--json"])

    assert result.exit_code == 0, result.output
    assert [e["message"] for e in json.loads(result.stdout)["events"]].count(EMF) == 2


def test_logs_default_limit_is_200(applied: DeploymentOutputs) -> None:
    store_logs(applied, "notifier", [f"line {i}" for i in range(250)])

    result = runner.invoke(app, ["logs", "--json"])

    events = json.loads(result.stdout)["events"]
    assert len(events) == 200 and events[-1]["message"] == "line 249" and events[0]["message"] == "line 50"


# -- invoke and events sample ----------------------------------------------------------------------------


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Through the console-script entry point, where errors become one line and an exit code."""
    monkeypatch.setattr(sys, "argv", ["tooling", *args])
    code = 0
    try:
        main()
    except SystemExit as exited:
        code = int(exited.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def local_state(outputs: DeploymentOutputs) -> tuple[int, int]:
    """What an invoke must never change: recorded invocations, log lines, and the database itself."""
    store = Store.open(Workspace.for_env("dev"))
    try:
        counts = (store.scalar("SELECT count(*) FROM invocations"), store.scalar("SELECT count(*) FROM logs"))
    finally:
        store.close()
    return int(counts[0]), int(counts[1])


@pytest.mark.slow
def test_invoke_runs_the_handler_on_a_sample_and_prints_result_logs_and_duration(
    applied: DeploymentOutputs, tmp_path: Path
) -> None:
    sample = runner.invoke(app, ["events", "sample", "high-value-order", "--seed", "3"])
    event = tmp_path / "order.json"
    event.write_text(sample.stdout)
    before = local_state(applied)

    result = runner.invoke(app, ["invoke", "processor", "--event", f"@{event}", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    order = json.loads(sample.stdout)["detail"]
    assert data["ok"] is True and data["name"] == applied.function_names["processor"]
    assert data["result"]["orderId"] == order["orderId"] and data["result"]["priority"] == "high"
    assert data["logs"][0].startswith(f"START RequestId: {data['request_id']}")
    assert data["logs"][-1].startswith(f"REPORT RequestId: {data['request_id']}\tDuration: ")
    assert any('"message":"Event processed"' in line for line in data["logs"])
    assert data["duration_ms"] > 0
    assert local_state(applied) == before  # nothing recorded in the local target


@pytest.mark.slow
def test_invoke_reads_the_event_from_stdin_and_exits_1_when_the_handler_raises(
    applied: DeploymentOutputs,
) -> None:
    event = {"version": "0", "source": "ecommerce.orders", "detail-type": "Order Created", "detail": []}

    result = runner.invoke(app, ["invoke", "processor", "--event", "-"], input=json.dumps(event))

    assert result.exit_code == 1
    assert "processor (" in result.stderr and "ok in" not in result.stderr
    assert "REPORT RequestId:" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["invoke", "billing", "--event", "{}"], "error: unknown function 'billing'"),
        (["invoke", "processor", "--event", "@missing.json"], "error: cannot read missing.json"),
        (["invoke", "processor", "--event", '{"source": '], "error: the event is not valid JSON"),
        (["events", "sample", "refund"], "error: unknown sample kind 'refund'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    applied: DeploymentOutputs,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    before = local_state(applied)

    code, out, err = run_main(monkeypatch, capsys, *args)

    assert code == 2 and out == ""
    assert err.splitlines()[0].startswith(message)
    assert local_state(applied) == before


def test_invoke_without_a_deployment_says_to_apply_first(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(monkeypatch, capsys, "invoke", "processor", "--event", "{}")

    assert code == 2
    assert err.splitlines() == [
        "error: nothing is deployed on the local target for dev",
        "  hint: deploy it first: tooling apply --env dev --target local",
    ]
    assert not (project_copy / ".tooling" / "dev" / "local.sqlite").exists()


def test_events_sample_prints_valid_json_for_every_kind() -> None:
    listing = json.loads(runner.invoke(app, ["events", "list", "--json"]).stdout)

    for kind in listing:
        result = runner.invoke(app, ["events", "sample", kind])
        assert result.exit_code == 0, (kind, result.output)
        assert isinstance(json.loads(result.stdout), dict)
    assert {"order-created", "high-value-order", "user-registered", "payment", "inventory"} <= set(listing)
    assert {"sns-high-value-order", "sqs-order-created"} <= set(listing)


# -- graph -----------------------------------------------------------------------------------------------


def test_graph_readme_rewrites_only_the_generated_block(project_copy: Path) -> None:
    readme = project_copy / "README.md"
    readme.write_text(
        "# title\n\n<!-- tooling graph --env dev: begin (generated; `tooling graph --env dev --readme docs/architecture.md`)"
        " -->\nstale\n<!-- tooling graph --env dev: end -->\n\nafter\n"
    )

    result = runner.invoke(app, ["graph", "--readme", str(readme)])

    assert result.exit_code == 0, result.output
    text = readme.read_text()
    assert text.startswith("# title\n\n") and text.endswith("\n\nafter\n") and "stale" not in text
    assert "```mermaid\nflowchart LR\n" in text and "rule_order_events" in text


def test_graph_dot_prints_a_digraph(project_copy: Path) -> None:
    result = runner.invoke(app, ["graph", "--format", "dot"])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("digraph routing {") and result.stdout.rstrip().endswith("}")
    assert "bus -> rule_high_value_orders;" in result.stdout


def test_graph_deployed_without_a_deployment_is_exit_2(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(monkeypatch, capsys, "graph", "--deployed")

    assert code == 2 and out == ""
    assert err.startswith("error: ")
