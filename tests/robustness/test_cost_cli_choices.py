"""`tooling cost` on the command line: one profile at a time (each refusal one line, a hint, exit 2), `--json`
is the report, the table into a pipe keeps every line whole, and `--help` carries its example."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tooling.cli.app import app

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def tooling(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tooling", *args],
        capture_output=True, text=True, check=False, cwd=REPO, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ([], "error: no traffic profile: give --events-per-day N or --measured"),
        (["--measured", "--events-per-day", "5"], "error: --measured and --events-per-day are two profiles"),
        (["--measured", "--avg-size", "500"], "error: --avg-size goes with --events-per-day"),
        (["--events-per-day", "5", "--since", "1h"], "error: --since goes with --measured"),
    ],
    ids=["none", "both", "size-measured", "since-assumed"],
)
def test_one_profile_at_a_time_or_one_line_with_a_hint(args: list[str], said: str) -> None:
    proc = tooling("cost", "--env", "dev", *args)

    assert proc.returncode == 2
    first, second = proc.stderr.splitlines()[:2]
    assert first.startswith(said) and second.startswith("  hint: ")
    assert proc.stdout == ""


def test_json_is_the_whole_report_and_its_total_the_sum_of_its_lines() -> None:
    result = runner.invoke(app, ["cost", "--env", "dev", "--events-per-day", "2010", "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["environment"] == "dev" and report["regions"] == ["us-east-1"]
    assert report["total_usd"] == pytest.approx(sum(line["monthly_usd"] for line in report["lines"]))
    assert report["prices"][0]["as_of"] and report["prices"][0]["sources"]["eventbridge"].startswith(
        "https://"
    )
    assert report["free_tier"].startswith("not applied") and report["assumptions"] and report["left_out"]
    assert {q["quota"] for q in report["quotas"]} >= {"PutEvents entries/s at peak", "rules on the bus"}


def test_the_table_into_a_pipe_keeps_each_line_whole() -> None:
    result = runner.invoke(app, ["cost", "--env", "prod", "--events-per-day", "1000000"])

    assert result.exit_code == 0, result.output
    replication = [line for line in result.stdout.splitlines() if "replication to us-west-2" in line]
    assert len(replication) == 1
    assert "copies every custom event to the other region's bus (a custom event there)" in replication[0]
    assert "│" not in result.stdout and "─" not in result.stdout  # plain columns, no box


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["cost", "--help"])

    assert "Example: tooling cost --env prod --events-per-day 1000000" in result.stdout
