"""Issue 24 item 4: .github/workflows/drift.yml runs `tooling drift` daily per environment with the plan role
(read-only, OIDC) and keeps one issue per environment; the only job that may write issues has no cloud
credentials. Least privilege, pinned actions, actionlint and zizmor clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from workflow_yaml import (
    REPO,
    WORKFLOWS,
    jobs,
    jobs_without_permissions,
    lambda_python_findings,
    load,
    oidc_findings,
    runtime_install_findings,
    secret_references,
    unpinned_actions,
    uses,
)

DRIFT = WORKFLOWS / "drift.yml"
BIN = Path(sys.executable).parent
ENVIRONMENTS = sorted(p.stem for p in (REPO / "environments").glob("*.toml"))


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def _role(job: dict[str, Any]) -> str:
    return next(
        str(s["with"]["role-to-assume"]) for s in job["steps"] if "role-to-assume" in (s.get("with") or {})
    )


def test_it_runs_daily_and_on_demand_for_every_environment() -> None:
    workflow = load(DRIFT)

    assert [entry["cron"].split()[2:] for entry in workflow["on"]["schedule"]] == [["*", "*", "*"]]
    assert "workflow_dispatch" in workflow["on"]
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}  # nothing a pull request can trigger
    for job in jobs(workflow).values():
        assert sorted(job["strategy"]["matrix"]["environment"]) == ENVIRONMENTS
        assert job["strategy"]["fail-fast"] is False  # one environment's failure never hides another's drift


def test_actions_are_pinned_and_every_job_declares_least_permissions() -> None:
    workflow = load(DRIFT)

    assert uses(workflow) != [] and unpinned_actions(workflow) == []
    assert jobs_without_permissions(workflow) == []
    assert secret_references(DRIFT.read_text()) == []
    assert {name: job["permissions"] for name, job in jobs(workflow).items()} == {
        "drift": {"contents": "read", "id-token": "write"},
        "issue": {"contents": "read", "issues": "write"},
    }


def test_the_check_runs_tooling_drift_with_the_read_only_plan_role_only() -> None:
    workflow = load(DRIFT)
    drift = jobs(workflow)["drift"]

    assert oidc_findings(workflow) == []
    assert runtime_install_findings(workflow) == []
    assert "PLAN_ROLE" in _role(drift) and "DEPLOY" not in DRIFT.read_text()
    assert "environment" not in drift  # a GitHub environment would change the token's subject: no plan role
    assert "refs/heads/main" in drift["if"]  # the plan roles trust this workflow on main only
    assert (
        "tooling drift --env" in _runs(drift) and "--target aws" in _runs(drift) and "--json" in _runs(drift)
    )
    assert not any(word in _runs(drift) for word in ("tooling apply", "terraform apply", "make apply"))
    last = drift["steps"][-1]  # drift or none passes; a check that did not run to the end fails the job
    assert "drift_issue.py check" in last["run"] and last["if"] == "${{ !cancelled() }}"


def test_the_check_builds_the_zip_as_the_deploy_does() -> None:
    """The plan compares the zip's hash with the deployed one: a zip without the runtime's bytecode would
    list every function as a pending change."""
    deploy, drift = load(WORKFLOWS / "deploy.yml"), load(DRIFT)
    broken = load(DRIFT)
    broken["jobs"]["drift"]["steps"] = [
        s for s in broken["jobs"]["drift"]["steps"] if "setup-python@" not in str(s)
    ]

    assert (
        lambda_python_findings(drift, drift["env"]["PYTHON_VERSION"], drift["env"]["LAMBDA_PYTHON_VERSION"])
        == []
    )
    assert lambda_python_findings(broken, "3.11", "3.13") == [
        "drift: builds the zip without Python 3.13 (no bytecode)"
    ]
    for name in ("PYTHON_VERSION", "LAMBDA_PYTHON_VERSION", "TOOLING_LAMBDA_PYTHON", "TERRAFORM_VERSION"):
        assert drift["env"][name] == deploy["env"][name], name


def test_only_the_issue_job_writes_issues_and_it_gets_no_credentials_and_installs_nothing() -> None:
    issue = jobs(load(DRIFT))["issue"]
    runs = _runs(issue)

    assert issue["needs"] == "drift"
    assert "!cancelled()" in issue["if"]  # a failed environment's job does not keep the others' issues stale
    assert not any("configure-aws-credentials" in str(s.get("uses", "")) for s in issue["steps"])
    assert "pip install" not in runs and "make install" not in runs
    assert "drift_issue.py sync" in runs
    step = next(s for s in issue["steps"] if "drift_issue.py" in str(s.get("run", "")))
    assert step["env"]["GH_TOKEN"] == "${{ github.token }}"


def test_the_issue_job_reads_the_artifact_the_check_uploaded() -> None:
    workflow = load(DRIFT)
    uploads = [
        s["with"]["name"]
        for s in jobs(workflow)["drift"]["steps"]
        if "upload-artifact@" in str(s.get("uses"))
    ]
    downloads = [
        s["with"]["name"]
        for s in jobs(workflow)["issue"]["steps"]
        if "download-artifact@" in str(s.get("uses"))
    ]

    assert uploads == downloads == ["drift-${{ matrix.environment }}"]


def _tool(name: str) -> str | None:
    found = BIN / name
    return str(found) if found.is_file() else shutil.which(name)


@pytest.mark.skipif(_tool("actionlint") is None, reason="actionlint is not installed")
def test_actionlint_finds_nothing_in_the_drift_workflow() -> None:
    result = subprocess.run(
        [str(_tool("actionlint")), "-no-color", "-shellcheck", _tool("shellcheck") or "", "-pyflakes", "",
         str(DRIFT)], capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(_tool("zizmor") is None, reason="zizmor is not installed")
def test_zizmor_finds_nothing_in_the_drift_workflow_even_pedantic() -> None:
    result = subprocess.run(
        [str(_tool("zizmor")), "--offline", "--no-progress", "--persona", "pedantic", str(DRIFT)],
        capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr
