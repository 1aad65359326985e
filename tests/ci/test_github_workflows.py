"""The structural promises of .github/workflows/: pinned actions, least permissions, no secrets in CI, OIDC
only where AWS is reached, applies only inside GitHub environments from main and only of the reviewed saved
plan, deploy jobs with the runtime lock only, the Lambda runtime's Python wherever the zip is built;
actionlint and zizmor clean."""

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
    lambda_python_findings,
    load,
    oidc_findings,
    reviewed_apply_findings,
    runtime_install_findings,
    secret_references,
    unpinned_actions,
    uses,
)

from tooling.deploy.package import LAMBDA_RUNTIME_PYTHON

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


BLIND_APPLY = """
name: deploy
on: workflow_dispatch
permissions: {}
env:
  PYTHON_VERSION: "3.11"
jobs:
  apply-dispatched:
    if: ${{ github.ref == 'refs/heads/main' }}
    runs-on: ubuntu-24.04
    environment: prod
    permissions:
      contents: read
      id-token: write
    concurrency:
      group: deploy-apply-prod
      cancel-in-progress: false
    steps:
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0
        with:
          python-version: ${{ env.PYTHON_VERSION }}
      - run: make install
      - uses: aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df # v4.2.1
        with:
          role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}
      - run: .venv/bin/tooling apply --env prod --target aws -y
"""

UNREVIEWED = """
name: deploy
on: workflow_dispatch
permissions: {}
jobs:
  plan:
    runs-on: ubuntu-24.04
    environment: prod
    permissions: {}
    steps:
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0
        with:
          python-version: |
            3.11
            3.13
      - run: tooling plan --env prod
      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2
        with:
          name: plan-prod
          path: .tooling/prod/plan.tfplan
  apply:
    needs: plan
    runs-on: ubuntu-24.04
    environment: prod
    permissions: {}
    steps:
      - uses: actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0
        with:
          name: plan-prod
          path: ${{ runner.temp }}/reviewed
      - run: tooling plan --env prod
      - run: tooling apply --env prod --plan-file .tooling/prod/plan.tfplan -y
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
    assert applying == ["apply"]


def test_deploy_applies_the_saved_plan_that_was_published_after_the_approval() -> None:
    workflow = load(DEPLOY)
    plan, apply = jobs(workflow)["plan-for-approval"], jobs(workflow)["apply"]
    apply_runs = " ".join(str(step.get("run", "")) for step in apply["steps"])

    assert reviewed_apply_findings(workflow) == []
    # plan (no environment: nothing to approve yet) -> apply, gated by the environment the plan was made for
    assert apply["needs"] == "plan-for-approval" and "environment" not in plan
    assert apply["environment"] == "${{ needs.plan-for-approval.outputs.environment }}"
    assert "prod" in workflow["on"]["workflow_dispatch"]["inputs"]["environment"]["options"]
    assert "--plan-file" in apply_runs and "tooling plan" not in apply_runs
    # the reviewers' role can read, the applier's can write: never the other way round
    plan_role = next(s for s in plan["steps"] if "role-to-assume" in (s.get("with") or {}))["with"]
    apply_role = next(s for s in apply["steps"] if "role-to-assume" in (s.get("with") or {}))["with"]
    assert "PLAN_ROLE" in plan_role["role-to-assume"] and "DEPLOY" not in plan_role["role-to-assume"]
    assert "DEPLOY_ROLE" in apply_role["role-to-assume"]


def test_no_job_plans_and_applies_with_auto_approve() -> None:
    for path in (CI, DEPLOY):
        runs = [str(s.get("run", "")) for job in jobs(load(path)).values() for s in job["steps"]]

        assert [r for r in runs if "tooling apply" in r and "--plan-file" not in r] == []
        assert [r for r in runs if "make apply" in r or "terraform apply" in r] == []


def test_deploy_jobs_install_the_runtime_lock_only_before_credentials() -> None:
    workflow = load(DEPLOY)

    assert runtime_install_findings(workflow) == []
    assert len([j for j in jobs(workflow).values() if "make install-runtime" in str(j["steps"])]) == 3


def test_every_job_that_builds_the_zip_sets_up_the_lambda_runtimes_python() -> None:
    """The runtime version comes from where the package code reads it; terraform deploys the same one."""
    import hcl2

    variables = hcl2.loads((REPO / "terraform" / "modules" / "processors" / "variables.tf").read_text())
    runtime = next(v['"runtime"'] for v in variables["variable"] if '"runtime"' in v)
    assert runtime["default"].strip('"') == f"python{LAMBDA_RUNTIME_PYTHON}"

    for path in (CI, DEPLOY):
        workflow = load(path)
        building = [
            name
            for name, job in jobs(workflow).items()
            if any(w in str(job["steps"]) for w in ("tooling plan", "make test", "make e2e"))
        ]

        assert building != [], path
        assert (
            lambda_python_findings(workflow, workflow["env"]["PYTHON_VERSION"], LAMBDA_RUNTIME_PYTHON) == []
        )
    assert load(DEPLOY)["env"]["TOOLING_LAMBDA_PYTHON"] == f"python{LAMBDA_RUNTIME_PYTHON}"


def test_the_pipeline_checks_report_todays_blind_prod_apply() -> None:
    """The deploy.yml this replaced: prod re-planned and applied with -y after the approval, with the dev
    toolchain installed and only Python 3.11 (a zip without bytecode)."""
    blind = yaml.safe_load(BLIND_APPLY)
    blind["on"] = blind.pop(True)

    assert reviewed_apply_findings(blind) == [
        "apply-dispatched: applies without --plan-file (a new plan nobody reviewed)"
    ]
    assert runtime_install_findings(blind) == [
        "apply-dispatched: does not install the runtime lock (make install-runtime) before credentials",
        "apply-dispatched: installs more than the runtime lock: make install",
    ]
    assert lambda_python_findings(blind, "3.11", "3.13") == [
        "apply-dispatched: builds the zip without Python 3.13 (no bytecode)"
    ]


def test_the_pipeline_checks_report_an_apply_of_an_unpublished_or_replanned_plan() -> None:
    graph = yaml.safe_load(UNREVIEWED)
    graph["on"] = graph.pop(True)

    assert reviewed_apply_findings(graph) == [
        "apply: plans again before applying",
        "plan: the plan waits for the approval too (nobody could see it first)",
        "plan: does not publish the plan text on the summary page",
        "apply: --plan-file is not the downloaded plan",
    ]
    assert lambda_python_findings(graph, "3.11", "3.13") == [
        "plan: Python 3.11 is not the last (default) version set up",
        "apply: builds the zip without Python 3.13 (no bytecode)",
    ]


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
