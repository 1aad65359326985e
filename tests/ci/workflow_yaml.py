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
            if not str(inputs.get("role-to-assume", "")).startswith("${{ vars."):
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
