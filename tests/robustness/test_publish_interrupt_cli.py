"""Ctrl-C in `tooling publish batch` against the local target, as a user would press it, at seeded random
moments after the first events were accepted; and `publish load` holding its duration on the same target.

The local bus archives every accepted event in the same transaction (the `archive` table), so what the bus
took is counted where it landed and compared with what the command reported. Before the fix, 7 of 10 such
runs reported the 10 events of the call in flight as failed without any failure record, and some of those
had been accepted (8,820 reported, 8,830 on the bus).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
RUNS = 6
SEED = 130
COUNT = 20000


@dataclass(frozen=True)
class LocalDeployment:
    root: Path
    env: dict[str, str]

    @property
    def database(self) -> Path:
        return self.root / ".tooling" / "dev" / "local.sqlite"

    def archived_since(self, seq: int) -> list[str]:
        """idempotencyKeys of the events the bus accepted after archive row `seq`."""
        with sqlite3.connect(self.database) as db:
            rows = db.execute("SELECT body FROM archive WHERE seq > ?", (seq,)).fetchall()
        return [json.loads(body)["detail"]["idempotencyKey"] for (body,) in rows]

    def last_seq(self) -> int:
        with sqlite3.connect(self.database) as db:
            return int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM archive").fetchone()[0])

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "tooling", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**self.env, "COLUMNS": "200"},  # the readable summary line unwrapped
            start_new_session=True,  # its own process group, as a shell gives a foreground job
        )


@pytest.fixture(scope="module")
def deployment(lambda_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    root = tmp_path_factory.mktemp("interrupts") / "project"
    root.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", ".terraform", "*.tfstate*")
    for name in ("environments", "lambda_src", "terraform", "schemas"):
        shutil.copytree(REPO / name, root / name, ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(REPO / "build" / "cache", root / "build" / "cache")
    # No Lambda workers: only what the bus accepted (its archive) is looked at.
    env = {**os.environ, "TOOLING_ROOT": str(root), "TOOLING_LOCAL_DISPATCH": "off", "NO_COLOR": "1"}
    applied = subprocess.run(
        [sys.executable, "-m", "tooling", "apply", "--target", "local", "-y"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert applied.returncode == 0, applied.stderr
    yield LocalDeployment(root, env)


def interrupt_once_publishing(
    deployment: LocalDeployment, proc: subprocess.Popen[str], since: int, delays: tuple[float, ...]
) -> None:
    """Wait until the run's first events are on the bus, then press Ctrl-C after each delay in turn."""
    deadline = time.monotonic() + 60
    while deployment.last_seq() == since and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    for delay in delays:
        time.sleep(delay)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)


def check(summary: dict[str, Any], archived: list[str]) -> None:
    assert summary["requested"] == COUNT
    assert summary["published"] + summary["failed"] + summary["unknown"] == COUNT
    assert sum(f["count"] for f in summary["failures"]) == summary["failed"]
    assert sum(u["count"] for u in summary["unknown_events"]) == summary["unknown"]
    assert len(archived) == len(set(archived))  # nothing sent twice
    unknown_keys = {u["ids"]["idempotencyKey"] for u in summary["unknown_events"]}
    # What the bus took is what was reported published, plus unknown events it did take: none of the
    # events reported failed is on the bus.
    assert len(set(archived) - unknown_keys) == summary["published"]


def test_ctrl_c_at_random_moments_reports_what_the_bus_took(deployment: LocalDeployment) -> None:
    rng = random.Random(SEED)
    for run in range(RUNS):
        twice = run % 3 == 2
        delays = (rng.uniform(0, 0.4), rng.uniform(0, 0.05)) if twice else (rng.uniform(0, 0.4),)
        since = deployment.last_seq()
        proc = deployment.start("publish", "batch", "--count", str(COUNT), "--json")

        interrupt_once_publishing(deployment, proc, since, delays)
        stdout, stderr = proc.communicate(timeout=60)

        context = f"run {run} (seed {SEED}, Ctrl-C {delays} after the first events): {stderr[-500:]}"
        # A second press that comes once the summary is printed may end the process by SIGINT while it exits
        # (a shell reports 130 for both); the summary below must be whole either way.
        assert proc.returncode in (130, -signal.SIGINT), context
        assert "Traceback" not in stderr, context
        summary = json.loads(stdout)
        try:
            check(summary, deployment.archived_since(since))
        except AssertionError as error:
            raise AssertionError(f"{context}\n{error}") from error
        assert summary["failures"][-1]["code"] == "NotSent", context


def test_the_readable_summary_of_an_interrupted_run_adds_up(deployment: LocalDeployment) -> None:
    since = deployment.last_seq()
    proc = deployment.start("publish", "batch", "--count", str(COUNT))

    interrupt_once_publishing(deployment, proc, since, (0.1,))
    stdout, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 130, stderr
    first = stdout.splitlines()[0]
    assert first.startswith("incomplete: published ") and first.endswith("(interrupted)"), stdout
    published = int(first.split()[2])
    failed = int(first.split(", ")[-1].split()[0])
    assert published + failed == COUNT
    assert published == len(deployment.archived_since(since))
    assert f"{COUNT - published}" in stdout  # the NotSent record's count of events


def test_load_stops_at_its_duration_on_the_local_target(deployment: LocalDeployment) -> None:
    since = deployment.last_seq()
    started = time.monotonic()
    proc = deployment.start("publish", "load", "--rate", "6000", "--duration", "2", "--json")
    try:
        stdout, stderr = proc.communicate(timeout=30)  # a hang guard, not a timing assertion
    finally:
        if proc.poll() is None:
            proc.kill()
    wall = time.monotonic() - started

    assert proc.returncode == 0, stderr
    report = json.loads(stdout)
    assert report["requested"] == 12000 and report["requested_rate"] == 6000
    assert report["published"] + report["failed"] + report["unknown"] == report["sent"]
    assert report["sent"] + report["unsent"] == report["requested"]
    assert report["published"] == len(deployment.archived_since(since))
    assert report["achieved_rate"] == pytest.approx(report["sent"] / report["seconds"], rel=0.01)
    assert 1.9 <= report["seconds"] < 5, report
    assert wall < 15, wall
