"""Issue 24 item 4: the scheduled drift workflow (.github/workflows/drift.yml) gets each environment's plan
role (read-only) on main, and nothing more: never a deploy role, never from another branch or a pull
request, and a look-alike workflow gets nothing. Evaluated over the rendered trust policies
(data/ci_policies_rendered.json, what terraform/bootstrap/modules/ci_policies renders)."""

from __future__ import annotations

import pytest
from ci_roles_fixtures import ENVS, INPUTS, rendered

from tooling.access.evaluator import Policy, Principal, Request, matching_statements

REPO = INPUTS.github_repository
DRIFT_REF = f"{REPO}/.github/workflows/drift.yml@refs/heads/main"
MAIN = f"repo:{REPO}:ref:refs/heads/main"  # the subject of a scheduled or dispatched run on main


def _assumes(trust: Policy, sub: str, ref: str) -> bool:
    claims = {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": sub,
        "token.actions.githubusercontent.com:job_workflow_ref": ref,
    }
    request = Request(Principal.role("arn:aws:iam::123456789012:role/x"), "sts:AssumeRoleWithWebIdentity", "*",
                      claims)  # fmt: skip
    return any(h.ref.effect == "Allow" for h in matching_statements(trust, request, resource_policy=False))


@pytest.mark.parametrize("env", ENVS)
def test_the_drift_workflow_on_main_gets_the_plan_role_only(env: str) -> None:
    roles = rendered()[env]

    assert _assumes(roles.policy("plan_trust"), MAIN, DRIFT_REF)
    assert not _assumes(roles.policy("deploy_trust"), MAIN, DRIFT_REF)
    assert not _assumes(roles.policy("deploy_trust"), f"repo:{REPO}:environment:{env}", DRIFT_REF)


@pytest.mark.parametrize("env", ENVS)
def test_the_drift_workflow_elsewhere_or_a_look_alike_gets_nothing(env: str) -> None:
    plan = rendered()[env].policy("plan_trust")

    assert not _assumes(plan, f"repo:{REPO}:ref:refs/heads/feature", DRIFT_REF.replace("main", "feature"))
    assert not _assumes(
        plan, f"repo:{REPO}:pull_request", f"{REPO}/.github/workflows/drift.yml@refs/pull/7/merge"
    )
    assert not _assumes(plan, MAIN, f"{REPO}/.github/workflows/drift-copy.yml@refs/heads/main")
    assert not _assumes(
        plan,
        "repo:someone/fork:ref:refs/heads/main",
        "someone/fork/.github/workflows/drift.yml@refs/heads/main",
    )


def test_the_rendered_trust_names_the_workflow_the_repository_has() -> None:
    """drift_workflow_file's default is the file that exists, so a bootstrap with defaults lets it run."""
    from ci_roles_fixtures import DATA

    assert (DATA.parents[2] / INPUTS.drift_workflow_file).is_file()
