"""The structural promises of .github/workflows/: pinned actions, least permissions, no secrets in CI, OIDC
only where AWS is reached, applies only inside GitHub environments from main; actionlint and zizmor clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from workflow_yaml import (
    REPO,
    WORKFLOWS,
    applies_outside_environments,
    jobs,
    jobs_without_permissions,
    load,
    oidc_findings,
    secret_references,
    unpinned_actions,
    uses,
)

CI = WORKFLOWS / "ci.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
BIN = Path(sys.executable).parent

BROKEN = """
name: broken
on: push
jobs:
  deploy:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df
        with:
          aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}
          role-to-assume: arn:aws:iam::123456789012:role/x
      - run: tooling apply --env dev -y
"""


def _broken() -> dict[str, Any]:
    data = yaml.safe_load(BROKEN)
    data["on"] = data.pop(True)
    return dict(data)


@pytest.mark.parametrize("path", [CI, DEPLOY], ids=lambda p: p.name)
def test_every_action_is_pinned_by_a_full_commit_sha(path: Path) -> None:
    workflow = load(path)

    assert uses(workflow) != []
    assert unpinned_actions(workflow) == []


@pytest.mark.parametrize("path", [CI, DEPLOY], ids=lambda p: p.name)
def test_every_pin_names_its_release_in_a_comment(path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if "uses:" in line]

    assert [line for line in lines if "@" in line and " # v" not in line] == []


@pytest.mark.parametrize("path", [CI, DEPLOY], ids=lambda p: p.name)
def test_every_job_declares_its_permissions_and_the_default_is_none(path: Path) -> None:
    assert jobs_without_permissions(load(path)) == []


@pytest.mark.parametrize("path", [CI, DEPLOY], ids=lambda p: p.name)
def test_checkout_keeps_no_credentials(path: Path) -> None:
    steps = [
        s
        for job in jobs(load(path)).values()
        for s in job["steps"]
        if "actions/checkout@" in s.get("uses", "")
    ]

    assert steps != []
    assert all(step["with"]["persist-credentials"] is False for step in steps)


def test_ci_uses_no_secrets_and_no_aws_token() -> None:
    workflow = load(CI)

    assert secret_references(CI.read_text()) == []
    assert [name for name, job in jobs(workflow).items() if "id-token" in job["permissions"]] == []


def test_ci_runs_the_make_targets_users_run() -> None:
    runs = {step["run"] for job in jobs(load(CI)).values() for step in job["steps"] if "run" in step}

    assert {"make test", "make lint", "make e2e"} <= runs
    assert any(run.startswith("make scan") for run in runs)


def test_ci_cancels_superseded_runs() -> None:
    assert load(CI)["concurrency"]["cancel-in-progress"] is True


def test_ci_uploads_the_sarif_file_that_make_scan_writes() -> None:
    scan = jobs(load(CI))["scan"]
    run = next(step["run"] for step in scan["steps"] if str(step.get("run", "")).startswith("make scan"))
    upload = next(step for step in scan["steps"] if "upload-sarif@" in step.get("uses", ""))

    assert upload["with"]["sarif_file"] == run.split("SCAN_SARIF=")[1].split()[0]
    assert scan["permissions"]["security-events"] == "write"


def test_ci_caches_pip_and_pins_terraform() -> None:
    workflow = load(CI)
    steps = [step for job in jobs(workflow).values() for step in job["steps"]]

    pythons = [s for s in steps if "actions/setup-python@" in s.get("uses", "")]
    terraforms = [s for s in steps if "hashicorp/setup-terraform@" in s.get("uses", "")]
    assert pythons != [] and all(s["with"]["cache"] == "pip" for s in pythons)
    assert workflow["env"]["TERRAFORM_VERSION"].count(".") == 2
    assert all(s["with"]["terraform_version"] == "${{ env.TERRAFORM_VERSION }}" for s in terraforms)


def test_deploy_reaches_aws_only_through_oidc_and_only_where_needed() -> None:
    assert oidc_findings(load(DEPLOY)) == []


def test_deploy_applies_only_inside_github_environments_from_main() -> None:
    workflow = load(DEPLOY)
    applying = [name for name, job in jobs(workflow).items() if "environment" in job]

    assert applies_outside_environments(workflow) == []
    assert sorted(applying) == ["apply-dev", "apply-dispatched"]


def test_deploy_plans_pull_requests_that_touch_the_stack_and_summarises_the_plan() -> None:
    workflow = load(DEPLOY)
    plan = jobs(workflow)["plan"]
    runs = " ".join(str(step.get("run", "")) for step in plan["steps"])

    assert sorted(workflow["on"]["pull_request"]["paths"]) == [
        "environments/**",
        "lambda_src/**",
        "terraform/**",
    ]
    assert "tooling plan --env" in runs and "$GITHUB_STEP_SUMMARY" in runs
    assert "environment" not in plan


def test_deploy_has_no_caches_a_pull_request_could_poison() -> None:
    steps = [step for job in jobs(load(DEPLOY)).values() for step in job["steps"]]

    assert [s for s in steps if "cache" in (s.get("with") or {})] == []


def test_the_checks_report_a_broken_workflow() -> None:
    broken = _broken()

    assert unpinned_actions(broken) == ["deploy: actions/checkout@v4 is not pinned by a full commit SHA"]
    assert jobs_without_permissions(broken) == [
        "the workflow's default permissions are not {}",
        "deploy: no permissions",
    ]
    assert oidc_findings(broken) == [
        "deploy: id-token: write missing for OIDC",
        "deploy: role-to-assume is not a repository variable",
        "deploy: stored AWS keys",
    ]
    assert applies_outside_environments(broken) == [
        "deploy: applies outside a GitHub environment",
        "deploy: applies from a branch other than main",
        "deploy: an apply in progress could be cancelled",
    ]
    assert secret_references(BROKEN) == ["line 11: aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}"]


def _tool(name: str) -> str | None:
    found = BIN / name
    return str(found) if found.is_file() else shutil.which(name)


needs_actionlint = pytest.mark.skipif(_tool("actionlint") is None, reason="actionlint is not installed")
needs_zizmor = pytest.mark.skipif(_tool("zizmor") is None, reason="zizmor is not installed")


def _actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    shellcheck = _tool("shellcheck") or ""
    return subprocess.run(
        [str(_tool("actionlint")), "-no-color", "-shellcheck", shellcheck, "-pyflakes", "", *map(str, paths)],
        capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip


def _zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(_tool("zizmor")), "--offline", "--no-progress", str(path)],
        capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip


@needs_actionlint
def test_actionlint_finds_nothing_in_the_workflows() -> None:
    result = _actionlint(CI, DEPLOY)

    assert result.returncode == 0, result.stdout + result.stderr


@needs_actionlint
def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        BROKEN.replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-24.04\n    if: ${{ github.evnt_name }}")
    )

    result = _actionlint(bad)

    assert result.returncode == 1
    assert "evnt_name" in result.stdout


@needs_zizmor
def test_zizmor_finds_nothing_in_the_workflows() -> None:
    result = _zizmor(WORKFLOWS)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


@needs_zizmor
def test_zizmor_reports_an_unpinned_action_and_excessive_permissions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(BROKEN)

    result = _zizmor(bad)

    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout
