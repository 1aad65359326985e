"""The operator commands of issue 13 end to end on the local target, through the typer app:
`tooling logs` (--limit, EMF hidden), `tooling invoke`, `tooling events sample`, `tooling graph`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tooling import local
from tooling.cli.app import app
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
