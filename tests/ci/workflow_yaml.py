"""The GitHub workflows and the pre-commit config as data, and the promises they keep as plain checks.

Each check returns findings (one line each) so that the tests can run it on the real files (no findings)
and on a broken sample (the finding it must report): a check that cannot fail proves nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
OIDC_ACTION = "aws-actions/configure-aws-credentials"


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return dict(data)


def jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(workflow.get("jobs") or {})


def uses(workflow: dict[str, Any]) -> list[tuple[str, str]]:
    """(job, action reference) for every `uses:` of the workflow: steps and reusable-workflow jobs."""
    found = []
    for name, job in jobs(workflow).items():
        if "uses" in job:
            found.append((name, str(job["uses"])))
        found += [(name, str(step["uses"])) for step in job.get("steps", []) if "uses" in step]
    return found


def unpinned_actions(workflow: dict[str, Any]) -> list[str]:
    return [
        f"{job}: {ref} is not pinned by a full commit SHA"
        for job, ref in uses(workflow)
        if not ref.startswith("./") and not PINNED.match(ref)
    ]


def jobs_without_permissions(workflow: dict[str, Any]) -> list[str]:
    findings = [] if workflow.get("permissions") == {} else ["the workflow's default permissions are not {}"]
    return findings + [
        f"{name}: no permissions" for name, job in jobs(workflow).items() if "permissions" not in job
    ]


def oidc_findings(workflow: dict[str, Any]) -> list[str]:
    """id-token: write exactly where AWS credentials are assumed; roles from variables, never stored keys."""
    findings = []
    for name, job in jobs(workflow).items():
        assumes = [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(OIDC_ACTION + "@")]
        writes_token = (job.get("permissions") or {}).get("id-token") == "write"
        if writes_token != bool(assumes):
            findings.append(f"{name}: id-token: write {'without' if writes_token else 'missing for'} OIDC")
        for step in assumes:
            inputs = step.get("with") or {}
            role = str(inputs.get("role-to-assume", ""))
            # A choice between variables (`inputs.environment == 'prod' && vars.X || vars.Y`) is fine.
            if not role.startswith("${{") or "vars.AWS_" not in role or "arn:" in role or "secrets." in role:
                findings.append(f"{name}: role-to-assume is not a repository variable")
            if any(key.startswith("aws-access-key") or key.startswith("aws-secret") for key in inputs):
                findings.append(f"{name}: stored AWS keys")
    return findings


def applies_outside_environments(workflow: dict[str, Any]) -> list[str]:
    """Every job that runs `tooling apply` names a GitHub environment, runs only on main, never cancels."""
    findings = []
    for name, job in jobs(workflow).items():
        if not any("tooling apply" in str(step.get("run", "")) for step in job.get("steps", [])):
            continue
        if not job.get("environment"):
            findings.append(f"{name}: applies outside a GitHub environment")
        if "refs/heads/main" not in str(job.get("if", "")):
            findings.append(f"{name}: applies from a branch other than main")
        if (job.get("concurrency") or {}).get("cancel-in-progress") is not False:
            findings.append(f"{name}: an apply in progress could be cancelled")
    return findings


def secret_references(text: str) -> list[str]:
    return [f"line {n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1) if "secrets." in line]


def _runs(job: dict[str, Any]) -> list[str]:
    return [str(step.get("run", "")) for step in job.get("steps", [])]


def _step_index(job: dict[str, Any], found: Any) -> int | None:
    return next((i for i, step in enumerate(job.get("steps", [])) if found(step)), None)


def reviewed_apply_findings(workflow: dict[str, Any]) -> list[str]:
    """Every apply applies a saved plan that a job before it planned and published, after an approval:
    `tooling apply --plan-file` of the artifact the plan job uploaded, in a job with an environment that
    needs the plan job; no apply job plans, and no job plans and applies in one go (`apply -y`)."""
    all_jobs = jobs(workflow)
    findings = []
    for name, job in all_jobs.items():
        applies = [run for run in _runs(job) if "tooling apply" in run]
        if not applies:
            continue
        if any("--plan-file" not in run for run in applies):
            findings.append(f"{name}: applies without --plan-file (a new plan nobody reviewed)")
            continue
        if any(word in run for run in _runs(job) for word in ("tooling plan", "terraform plan", "make plan")):
            findings.append(f"{name}: plans again before applying")
        if not job.get("environment"):
            findings.append(f"{name}: applies without waiting for an environment's approval")
        needs = job.get("needs") or []
        needs = [needs] if isinstance(needs, str) else list(needs)
        planners = [n for n in needs if any("tooling plan" in run for run in _runs(all_jobs.get(n, {})))]
        if not planners:
            findings.append(f"{name}: needs no job that plans")
            continue
        planner = all_jobs[planners[0]]
        if planner.get("environment"):
            findings.append(f"{planners[0]}: the plan waits for the approval too (nobody could see it first)")
        if not any("tooling show-plan" in run for run in _runs(planner)) or not any(
            "$GITHUB_STEP_SUMMARY" in run for run in _runs(planner)
        ):
            findings.append(f"{planners[0]}: does not publish the plan text on the summary page")
        uploads = {
            str((step.get("with") or {}).get("name"))
            for step in planner.get("steps", [])
            if "actions/upload-artifact@" in str(step.get("uses", ""))
        }
        downloads = [
            step.get("with") or {}
            for step in job.get("steps", [])
            if "actions/download-artifact@" in str(step.get("uses", ""))
        ]
        if not downloads or str(downloads[0].get("name")) not in uploads:
            findings.append(f"{name}: does not download the plan job's artifact")
        elif not any(str(downloads[0].get("path", "")).replace("${{ runner.temp }}", "$RUNNER_TEMP") in run
                     for run in applies):  # fmt: skip
            findings.append(f"{name}: --plan-file is not the downloaded plan")
    return findings


def runtime_install_findings(workflow: dict[str, Any]) -> list[str]:
    """A job that receives AWS credentials installs the runtime lock only (`make install-runtime`), before."""
    findings = []
    for name, job in jobs(workflow).items():
        oidc = _step_index(job, lambda s: str(s.get("uses", "")).startswith(OIDC_ACTION + "@"))
        if oidc is None:
            continue
        install = _step_index(job, lambda s: str(s.get("run", "")).strip() == "make install-runtime")
        if install is None or install > oidc:
            findings.append(
                f"{name}: does not install the runtime lock (make install-runtime) before credentials"
            )
        for run in _runs(job):
            if "pip install" in run or re.search(r"make install(?!-runtime)\b", run):
                findings.append(f"{name}: installs more than the runtime lock: {run.strip()}")
    return findings


def _expand_env(text: str, workflow: dict[str, Any]) -> str:
    env = workflow.get("env") or {}
    return re.sub(r"\$\{\{\s*env\.(\w+)\s*\}\}", lambda m: str(env.get(m.group(1), m.group(0))), text)


BUILDS_THE_ZIP = ("tooling plan", "tooling drift", "make test", "make e2e", "make demo", "tooling package")


def lambda_python_findings(workflow: dict[str, Any], tooling_python: str, runtime_python: str) -> list[str]:
    """Every job that builds the Lambda zip sets up the runtime's Python too (the zip's bytecode), and the
    tooling's Python last (the one `python3` then names)."""
    findings = []
    for name, job in jobs(workflow).items():
        runs = _runs(job)
        applies_new_plan = any("tooling apply" in run and "--plan-file" not in run for run in runs)
        if not applies_new_plan and not any(word in run for run in runs for word in BUILDS_THE_ZIP):
            continue
        versions = [
            _expand_env(str((step.get("with") or {}).get("python-version", "")), workflow).split()
            for step in job.get("steps", [])
            if "actions/setup-python@" in str(step.get("uses", ""))
        ]
        if not versions or runtime_python not in versions[0]:
            findings.append(f"{name}: builds the zip without Python {runtime_python} (no bytecode)")
        elif versions[0][-1] != tooling_python:
            findings.append(f"{name}: Python {tooling_python} is not the last (default) version set up")
    return findings
