"""`publish load`: the rate is held, every call is timed (in one process and across workers), and the CLI
reports the achieved rate and latency percentiles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tooling.clients
from tooling.cli.app import app
from tooling.outputs import OUTPUT_NAMES
from tooling.publish.http_bus import HttpBus
from tooling.publish.load import percentile, run_load
from tooling.publish.publisher import PublishSettings
from tooling_testing.sink import Sink, start_in_thread

REGION = "us-east-1"


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sink]:
    server = Sink()
    port, stop = start_in_thread(server)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    tooling.clients.reset()
    yield server
    stop()


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert [percentile(values, p) for p in (50, 90, 99, 100)] == [50.0, 90.0, 99.0, 100.0]
    assert percentile([0.25], 99) == 0.25
    assert percentile([], 50) == 0.0


@pytest.mark.parametrize("processes", [1, 2])
def test_every_call_is_timed_and_the_rate_is_held(sink: Sink, processes: int) -> None:
    ticks: list[int] = []
    report = run_load(
        HttpBus("load-bus", REGION),
        rate=2000,
        duration=1.0,
        settings=PublishSettings(concurrency=4),
        processes=processes,
        seed=3,
        tick=lambda t: ticks.append(t.accepted),
    )

    summary = report.summary
    # The duration is held: what the start (forks included) took from the second is not made up afterwards,
    # so the plan's last events may be left unsent; every planned event is accounted for either way.
    assert summary.ok and 0 < summary.published == sink.accepted
    assert summary.published + summary.unsent == summary.requested == 2000
    assert report.sent == summary.published
    assert len(report.latencies) == sink.requests >= summary.published / 10
    # The limiter spaces sends (no initial burst): events at 2,000/s do not finish much sooner than 1 s.
    assert summary.seconds >= 0.9
    figures = report.latency_ms()
    assert 0 < figures["p50"] <= figures["p90"] <= figures["p99"] <= figures["max"]
    assert ticks and ticks == sorted(ticks) and ticks[-1] == summary.published


def test_the_cli_reports_rate_and_latency(sink: Sink, tmp_path: Path) -> None:
    outputs_file = tmp_path / "outputs.json"
    values = {"region": REGION, "event_bus_name": "load-bus", "event_bus_arn": "arn:aws:events:us-east-1:1:x"}
    maps = ("rule_arns", "dead_letter_queue_urls", "function_names", "log_group_names")
    outputs_file.write_text(
        json.dumps(
            {
                n: {"value": values.get(n, None if n == "failover" else {} if n in maps else "")}
                for n in OUTPUT_NAMES
            }
        )
    )
    result = CliRunner().invoke(
        app,
        ["publish", "load", "--rate", "400", "--duration", "0.5", "--outputs", str(outputs_file), "--json"],
        env={"TOOLING_ROOT": str(tmp_path)},
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["failed"] == 0 and report["unknown"] == 0
    assert 0 < report["published"] == report["sent"] == sink.accepted
    assert report["published"] + report["unsent"] == report["requested"] == 200
    assert report["requested_rate"] == 400 and report["calls"] == sink.requests
    assert set(report["latency_ms"]) == {"p50", "p90", "p99", "max"}
