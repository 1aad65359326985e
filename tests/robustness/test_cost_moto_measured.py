"""`tooling cost --measured` on AWS (moto): the profile comes from CloudWatch, put here with put_metric_data as
EventBridge, Lambda and CloudWatch Logs would report it: PutEvents entries and request bytes (the account in
the region), MatchedEvents per rule, Lambda invocations and durations, log bytes ingested."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from tooling.cli.app import app
from tooling.config import load_config
from tooling.local.provision import outputs_for
from tooling.naming import Arns, Names
from tooling.outputs import DeploymentOutputs

runner = CliRunner()
REGION = "us-east-1"
SCALE = 24  # a one-hour window, scaled to a day
MONTH = 730 / 24


@pytest.fixture
def project(tmp_path: Path, copy_project: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_project(tmp_path / "project")
    monkeypatch.setenv("TOOLING_ROOT", str(root))
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return root


@pytest.fixture
def deployed(project: Path) -> Iterator[tuple[Path, DeploymentOutputs]]:
    """dev's outputs as `terraform output` gives them (names of the naming scheme), and moto's CloudWatch."""
    config = load_config(project / "environments" / "dev.toml")
    outputs = outputs_for(config, Names.of(config, "zz9zz9"), Arns(REGION, "123456789012"))
    outputs = outputs.model_copy(update={"target": "aws"})
    path = project / "outputs.json"
    path.write_text(json.dumps(outputs.to_cache()))
    with mock_aws():
        yield path, outputs


def put(namespace: str, name: str, dims: dict[str, str], values: list[float]) -> None:
    boto3.client("cloudwatch", region_name=REGION).put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                "Value": value,
                "Timestamp": datetime.now(UTC) - timedelta(minutes=10),
            }
            for value in values
        ],
    )


def rule_name(outputs: DeploymentOutputs, key: str) -> str:
    return outputs.rule_arns[key].rsplit("/", 1)[-1]


def measure(outputs_path: Path) -> dict[str, Any]:
    result = runner.invoke(
        app,
        ["cost", "--env", "dev", "--measured", "--since", "1h", "--outputs", str(outputs_path), "--json"],
    )
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_measured_profile_comes_from_cloudwatch_over_the_window(
    deployed: tuple[Path, DeploymentOutputs],
) -> None:
    path, outputs = deployed
    bus = {"EventBusName": outputs.event_bus_name}
    put("AWS/Events", "PutEventsEntriesCount", {}, [10, 20, 30])  # 60 entries in three requests
    put("AWS/Events", "PutEventsRequestSize", {}, [4_000, 8_000, 12_000])
    for key, matched in (("order-events", 24), ("high-value-orders", 6), ("all-events", 60)):
        put("AWS/Events", "MatchedEvents", {**bus, "RuleName": rule_name(outputs, key)}, [matched])
    processor = {"FunctionName": outputs.function_names["processor"]}
    put("AWS/Lambda", "Invocations", processor, [24])
    put("AWS/Lambda", "Duration", processor, [30.0, 50.0, 40.0, 40.0])
    put("AWS/Logs", "IncomingBytes", {"LogGroupName": outputs.log_group_names["processor"]}, [48_000])

    report = measure(path)

    profile = report["profile"]
    assert profile["kind"] == "measured"
    assert profile["bus_events_per_day"] == pytest.approx(60 * SCALE)
    assert profile["entry_bytes"] == pytest.approx(24_000 / 60)
    matched = {name: rule["matched_per_day"] / SCALE for name, rule in profile["rules"].items()}
    assert (matched["order-events"], matched["high-value-orders"], matched["all-events"]) == (24, 6, 60)
    assert (profile["duration_ms"]["processor"], profile["duration_basis"]["processor"]) == (40.0, "measured")
    assert (profile["log_bytes_per_invocation"]["processor"], profile["log_basis"]["processor"]) == (
        2000.0,
        "measured",
    )
    assert profile["duration_basis"]["analytics"] == "assumed"  # no invocations in the window
    assert any("whole account" in note for note in profile["notes"])
    priced = {line["item"]: line for line in report["lines"]}
    assert priced["custom events (PutEvents)"]["quantity"] == pytest.approx(60 * SCALE * MONTH)
    assert priced["processor requests"]["quantity"] == pytest.approx(24 * SCALE * MONTH)


def test_the_bus_carries_at_least_what_a_rule_matched_when_putevents_reads_less(
    deployed: tuple[Path, DeploymentOutputs],
) -> None:
    path, outputs = deployed
    bus = {"EventBusName": outputs.event_bus_name}
    put("AWS/Events", "MatchedEvents", {**bus, "RuleName": rule_name(outputs, "all-events")}, [40])

    report = measure(path)

    assert report["profile"]["bus_events_per_day"] == pytest.approx(40 * SCALE)
    assert report["profile"]["entry_bytes"] > 0  # none measured: the sample's


def test_an_environment_never_applied_is_refused_with_the_way_forward(project: Path) -> None:
    result = runner.invoke(app, ["cost", "--env", "dev", "--measured"])

    assert result.exit_code != 0
    assert "nothing applied yet for environment 'dev'" in str(result.exception)
