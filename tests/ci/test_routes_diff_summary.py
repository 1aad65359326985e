"""deploy.yml's plan job puts the routing diff against the base branch next to the Terraform plan: its two
steps (the diff, then the summary) run here as the job runs them, offline, in a git checkout whose HEAD^1
is the base branch (the pull request's merge commit, fetched with depth 2)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_yaml import REPO, jobs, load

from tooling.routes.sample_events import archived_lines

DEPLOY = REPO / ".github" / "workflows" / "deploy.yml"
SAMPLE = REPO / "samples" / "events" / "dev.jsonl.gz"
WIDE = ('totalAmount = [{ numeric = [">", 1000] }]', 'totalAmount = [{ numeric = [">", 500] }]')


def _step(name: str) -> dict[str, object]:
    [step] = [s for s in jobs(load(DEPLOY))["plan"]["steps"] if s.get("name") == name]
    return step


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """What the plan job has after checkout and `make install-runtime`: the repository at the merge commit
    (HEAD^1 the base) and .venv/bin/{tooling,python} (here: this interpreter)."""
    root = tmp_path / "checkout"
    for folder in ("environments", "samples", ".github/scripts"):
        shutil.copytree(REPO / folder, root / folder)
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "main")
    venv = root / ".venv" / "bin"
    venv.mkdir(parents=True)
    for name, command in (("python", ""), ("tooling", " -m tooling")):
        shim = venv / name  # a script, not a link: a linked venv interpreter would lose its site-packages
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}"{command} "$@"\n')
        shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return root


def _pull_request(root: Path, old: str, new: str) -> None:
    path = root / "environments" / "dev.toml"
    path.write_text(path.read_text().replace(old, new))
    _git(root, "commit", "-qam", "the pull request")


def _run_job(root: Path, tmp_path: Path) -> str:
    """The routing diff step, then the plan summary step, with the plan's files as a plan that succeeded."""
    runner = tmp_path / "runner"
    runner.mkdir()
    (runner / "plan.json").write_text(json.dumps({"add": 0, "change": 1, "destroy": 0, "plan_file": "x"}))
    (runner / "plan.txt").write_text(
        "  # module.primary.module.routing.aws_cloudwatch_event_rule.this will be updated\n"
    )
    (runner / "plan.log").write_text("")
    summary = runner / "summary.md"
    env = {
        **os.environ,
        "RUNNER_TEMP": str(runner),
        "TOOLING_ENV": "dev",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    env["TOOLING_ROOT"] = str(root)
    for name in ("Routing diff against the base branch", "Plan summary"):
        step = _step(name)
        # GitHub runs a step's script with `bash -e -o pipefail`.
        proc = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", str(step["run"])],
            cwd=root, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, f"{name}: {proc.stdout}{proc.stderr}"
    return summary.read_text()


def test_the_committed_sample_is_what_its_generator_writes() -> None:
    regenerated = b"".join(line + b"\n" for line in archived_lines(1000, seed=25, days=7))

    assert gzip.decompress(SAMPLE.read_bytes()) == regenerated
    assert SAMPLE.read_bytes() == gzip.compress(regenerated, mtime=0)


def test_the_plan_summary_shows_the_routing_diff_next_to_the_plan(checkout: Path, tmp_path: Path) -> None:
    _pull_request(checkout, *WIDE)
    gained = sum(
        1
        for line in gzip.decompress(SAMPLE.read_bytes()).splitlines()
        if (e := json.loads(line))["detail-type"] == "Order Created"
        and 500 < e["detail"]["totalAmount"] <= 1000
    )

    text = _run_job(checkout, tmp_path)

    plan_at, routes_at = (
        text.index("### tooling plan --env dev"),
        text.index("### Routing diff against the base branch"),
    )
    assert plan_at < routes_at and "| 0 | 1 | 0 |" in text
    assert "`environments/dev.toml at HEAD^1` → `environments/dev.toml (working tree)`" in text
    assert "1,000 event(s) from samples/events/dev.jsonl.gz" in text
    assert "| `high-value-orders` | changed | " in text and f"| +{gained} | 0 |" in text and gained > 10
    assert "detail.totalAmount" in text and 'matches [{"numeric":[">",500]}]' in text


def test_a_rename_only_pull_request_shows_no_routing_change(checkout: Path, tmp_path: Path) -> None:
    _pull_request(checkout, 'name = "high-value-orders"', 'name = "big-orders"')

    text = _run_job(checkout, tmp_path)

    assert "**no routing change over these events**" in text
    assert "| `big-orders` | renamed from high-value-orders |" in text


def test_a_routing_diff_that_cannot_run_is_reported_and_the_summary_still_shows_the_plan(
    checkout: Path, tmp_path: Path
) -> None:
    (checkout / "samples" / "events" / "dev.jsonl.gz").unlink()
    _git(checkout, "commit", "-qam", "the sample removed")

    text = _run_job(checkout, tmp_path)

    assert "### tooling plan --env dev" in text and "| 0 | 1 | 0 |" in text
    assert "**The routing diff did not run**" in text
    assert "error: --events samples/events/dev.jsonl.gz: no such file" in text
