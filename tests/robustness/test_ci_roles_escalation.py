"""The deploy role cannot make itself (or anything) more than the stack: the privilege-escalation methods of
Rhino Security Labs' list, evaluated as requests against the bootstrap's rendered policies, knowing the
permissions boundary every role it creates must carry. The same check run on the policies before issue 28
finds the paths that existed then."""

from __future__ import annotations

from pathlib import Path

import pytest
from ci_roles_fixtures import ENVS, INPUTS, names, old_policy, rendered

from tooling.access.evaluator import Policy, Principal, Request, matching_statements
from tooling.deploy.ci_roles.authorizations import Authorization
from tooling.deploy.ci_roles.check import PRIVILEGED, boundary_grants, decide, escalation_paths, methods


def test_the_check_finds_the_escalation_paths_of_the_policies_before_issue_28() -> None:
    roles = rendered()["dev"]

    found = escalation_paths(roles, names("dev"), policy=old_policy("deploy"))

    # The review's findings: a role without a boundary passed to a new function, the state key taken over
    # by a tag, and prod reachable from dev credentials.
    assert (
        "CreateRole without the boundary, PutRolePolicy, PassRole to Lambda, CreateFunction (then invoke)"
        in found
    )
    assert "PutRolePolicy on a stack role without the boundary" in found
    assert "TagResource of the state key (then manage it as a project key)" in found
    assert "PutKeyPolicy of the state key" in found
    assert "Create a role in another environment's names" in found
    assert "Write another environment's state" in found


@pytest.mark.parametrize("env", ENVS)
def test_no_escalation_method_is_open_to_the_deploy_role(env: str) -> None:
    roles = rendered()[env]

    assert escalation_paths(roles, names(env)) == []


@pytest.mark.parametrize("env", ENVS)
def test_every_step_of_the_ci_identity_methods_is_refused_by_an_explicit_deny(env: str) -> None:
    """Editing the CI roles or removing a boundary is refused by a Deny statement, not only by omission: a
    statement added later cannot open it."""
    roles = rendered()[env]
    n = names(env)
    guarded = [m for m in methods(n) if "CI role" in m.name or "Boundary" in m.name or "state key" in m.name]

    reasons = {
        m.name: decide([roles.policy("deploy_policy")], n.deploy_role, n.account,
                       Authorization(m.steps[0].action, m.steps[0].resource, m.steps[0].context)).reason
        for m in guarded
    }  # fmt: skip

    assert len(guarded) >= 20
    assert {name: reason for name, reason in reasons.items() if reason != "explicit deny"} == {}


@pytest.mark.parametrize("env", ENVS)
def test_the_boundary_allows_nothing_privileged(env: str) -> None:
    roles = rendered()[env]
    prefix = f"{INPUTS.project}-{env}-x"
    resources = [
        "*",
        f"arn:aws:iam::{INPUTS.account_id}:role/{prefix}",
        f"arn:aws:lambda:us-east-1:{INPUTS.account_id}:function:{prefix}",
        f"arn:aws:sqs:us-east-1:{INPUTS.account_id}:{prefix}",
        f"arn:aws:events:us-east-1:{INPUTS.account_id}:rule/{prefix}-bus/{prefix}",
        f"arn:aws:s3:::{prefix}",
        f"arn:aws:kms:us-east-1:{INPUTS.account_id}:key/11111111-1111-4111-8111-111111111111",
    ]

    assert boundary_grants(roles, resources) == []
    assert len(PRIVILEGED) >= 20


@pytest.mark.parametrize("env", ENVS)
def test_the_boundary_stops_at_the_environment(env: str) -> None:
    roles = rendered()[env]
    other = "prod" if env == "dev" else "dev"
    account = INPUTS.account_id
    within = [
        ("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{account}:{INPUTS.project}-{env}-abc123-events-dlq", {}),
        (
            "events:PutEvents",
            f"arn:aws:events:us-east-1:{account}:event-bus/{INPUTS.project}-{env}-abc123-bus",
            {},
        ),
        (
            "kms:Decrypt",
            f"arn:aws:kms:us-east-1:{account}:key/1",
            {"kms:ViaService": "sqs.us-east-1.amazonaws.com"},
        ),
    ]
    # Another environment's resources; a key used directly rather than through one of the stack's services.
    outside = [(a, r.replace(f"-{env}-", f"-{other}-"), c) for a, r, c in within[:2]] + [
        ("kms:Decrypt", f"arn:aws:kms:us-east-1:{account}:key/1", {}),
    ]

    def allowed(action: str, resource: str, context: dict[str, str]) -> bool:
        request = Authorization(action, resource, context)
        return decide([roles.policy("boundary_policy")], roles.role_arn("deploy"), account, request).allowed

    assert [allowed(*r) for r in within] == [True, True, True]
    assert [allowed(*r) for r in outside] == [False, False, False]


def _assumes(trust: Policy, context: dict[str, str]) -> bool:
    """Whether a web-identity token with these claims matches an Allow of the trust policy (the statements
    name the GitHub OIDC provider: checked apart)."""
    request = Request(Principal.role("arn:aws:iam::123456789012:role/x"), "sts:AssumeRoleWithWebIdentity", "*",
                      {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com", **context})  # fmt: skip
    return any(h.ref.effect == "Allow" for h in matching_statements(trust, request, resource_policy=False))


REPO = INPUTS.github_repository
INPUTS_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_REF = f"{REPO}/.github/workflows/deploy.yml@refs/heads/main"


def _token(sub: str, ref: str = DEPLOY_REF) -> dict[str, str]:
    return {
        "token.actions.githubusercontent.com:sub": sub,
        "token.actions.githubusercontent.com:job_workflow_ref": ref,
    }


@pytest.mark.parametrize("env", ENVS)
def test_a_deploy_role_trusts_only_its_environments_deploy_jobs(env: str) -> None:
    trust = rendered()[env].policy("deploy_trust")
    other = "prod" if env == "dev" else "dev"

    assert _assumes(trust, _token(f"repo:{REPO}:environment:{env}"))
    assert not _assumes(trust, _token(f"repo:{REPO}:environment:{other}"))
    assert not _assumes(trust, _token(f"repo:{REPO}:pull_request"))
    assert not _assumes(
        trust, _token(f"repo:{REPO}:environment:{env}", f"{REPO}/.github/workflows/evil.yml@refs/heads/main")
    )
    assert not _assumes(
        trust, _token(f"repo:{REPO}:environment:{env}", DEPLOY_REF.replace("main", "feature"))
    )
    assert not _assumes(trust, _token(f"repo:someone/fork:environment:{env}"))
    principals = {s["Principal"]["Federated"] for s in trust.document["Statement"]}
    assert principals == {INPUTS.oidc_provider_arn}


def test_pull_requests_get_only_the_dev_plan_role() -> None:
    roles = rendered()
    pr = _token(f"repo:{REPO}:pull_request", f"{REPO}/.github/workflows/deploy.yml@refs/pull/42/merge")
    added_workflow = _token(
        f"repo:{REPO}:pull_request", f"{REPO}/.github/workflows/added.yml@refs/pull/42/merge"
    )

    assert _assumes(roles["dev"].policy("plan_trust"), pr)
    assert not _assumes(roles["dev"].policy("plan_trust"), added_workflow)
    assert not _assumes(roles["prod"].policy("plan_trust"), pr)
    assert not _assumes(roles["dev"].policy("deploy_trust"), pr)
    assert _assumes(roles["prod"].policy("plan_trust"), _token(f"repo:{REPO}:ref:refs/heads/main"))


ROLE_POLICY_FILES = (
    "processors/iam.tf", "processors/batch.tf", "workflows/iam.tf", "s3_archive/iam.tf",
    "forwarding/iam.tf", "global_endpoint/iam.tf",
)  # fmt: skip


def _actions(node: object) -> set[str]:
    """Every action named in an HCL body parsed by python-hcl2 (statements, dynamic statements' content)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "actions":
                found |= {str(a).strip('"') for a in (value if isinstance(value, list) else [value])}
            else:
                found |= _actions(value)
    elif isinstance(node, list):
        for item in node:
            found |= _actions(item)
    return found


def test_the_boundary_allows_exactly_the_actions_the_stacks_roles_use() -> None:
    """Nothing beyond what the stack's roles need: the boundary's actions are the union of the actions in the
    roles' policy documents (terraform/modules), their trust policies aside."""
    import hcl2

    used: set[str] = set()
    for relative in ROLE_POLICY_FILES:
        with (INPUTS_ROOT / "terraform" / "modules" / relative).open() as handle:
            parsed = hcl2.load(handle)
        for data in parsed.get("data", []):
            documents = data.get('"aws_iam_policy_document"', data.get("aws_iam_policy_document", {}))
            for blocks in documents.values():
                actions = _actions(blocks)
                if not actions & {"sts:AssumeRole"}:
                    used |= actions

    boundary = rendered()["dev"].documents["boundary_policy"]
    allowed = {
        a
        for s in boundary["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }

    assert len(used) >= 25
    assert allowed == used
