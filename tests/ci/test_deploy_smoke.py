"""deploy.yml proves each apply with `tooling smoke`: in the applying job, after the apply, on the environment
file that was applied, and a failing smoke fails the job (no continue-on-error, no `|| true`). The check runs
on the real workflow (no finding) and on broken samples (the finding it must report)."""

from __future__ import annotations

import re
from typing import Any

import yaml
from workflow_yaml import WORKFLOWS, jobs, load

DEPLOY = WORKFLOWS / "deploy.yml"
SWALLOWED = re.compile(r"\|\|\s*(true|:)\b|set \+e|;\s*true\s*$|exit 0", re.MULTILINE)


def smoke_findings(workflow: dict[str, Any]) -> list[str]:
    findings = []
    for name, job in jobs(workflow).items():
        steps = job.get("steps", [])
        applies = [i for i, s in enumerate(steps) if "tooling apply" in str(s.get("run", ""))]
        if not applies:
            continue
        smokes = [i for i, s in enumerate(steps) if "tooling smoke" in str(s.get("run", ""))]
        if not smokes:
            findings.append(f"{name}: applies but never runs tooling smoke")
            continue
        step = steps[smokes[0]]
        run = str(step["run"])
        if smokes[0] < applies[-1]:
            findings.append(f"{name}: tooling smoke runs before the apply")
        if step.get("continue-on-error") or job.get("continue-on-error") or SWALLOWED.search(run):
            findings.append(f"{name}: a failing tooling smoke does not fail the job")
        if "--config" not in run or "--env" not in run:
            findings.append(f"{name}: tooling smoke is not given the applied environment (--env, --config)")
    return findings


BROKEN = """
name: deploy
on: workflow_dispatch
permissions: {}
jobs:
  apply:
    runs-on: ubuntu-24.04
    environment: prod
    permissions: {}
    steps:
      - name: tooling smoke
        continue-on-error: true
        run: .venv/bin/tooling smoke --env prod || true
      - run: .venv/bin/tooling apply --env prod --plan-file plan.tfplan -y
  apply-again:
    runs-on: ubuntu-24.04
    environment: dev
    permissions: {}
    steps:
      - run: .venv/bin/tooling apply --env dev --plan-file plan.tfplan -y
"""


def test_deploy_runs_tooling_smoke_after_every_apply_and_fails_with_it() -> None:
    workflow = load(DEPLOY)

    assert smoke_findings(workflow) == []
    steps = jobs(workflow)["apply"]["steps"]
    smoke = next(s for s in steps if "tooling smoke" in str(s.get("run", "")))
    assert "if" not in smoke  # only after a successful apply, and always then
    assert "--timeout 6m" in smoke["run"]  # prod's archive buffer (300 s) and a minute


def test_the_check_reports_a_smoke_that_is_missing_early_swallowed_or_blind() -> None:
    broken = yaml.safe_load(BROKEN)
    broken["on"] = broken.pop(True)

    assert smoke_findings(broken) == [
        "apply: tooling smoke runs before the apply",
        "apply: a failing tooling smoke does not fail the job",
        "apply: tooling smoke is not given the applied environment (--env, --config)",
        "apply-again: applies but never runs tooling smoke",
    ]
