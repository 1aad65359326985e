"""The bootstrap's roles cover exactly what a deploy does: every authorization the e2e run recorded for
`tooling apply`, the re-plan and `tooling destroy` (data/ci_calls_<env>.json) is allowed to the environment's
deploy role, every one of `tooling plan` to its plan role, and the plan role may do none of the deploy's
changes. No server: the recorded list and the rendered documents are files. The state backend's calls, which
the e2e run (local state) cannot see, are the S3 backend's documented ones."""

from __future__ import annotations

import pytest
from ci_roles_fixtures import ENVS, INPUTS, SUFFIX, old_policy, recorded_calls, rendered

from tooling.deploy.ci_roles.authorizations import Authorization
from tooling.deploy.ci_roles.check import check_calls, decide


@pytest.mark.parametrize("env", ENVS)
def test_the_deploy_role_allows_every_call_a_deploy_made(env: str) -> None:
    calls = recorded_calls(env)

    result = check_calls(rendered()[env], calls["deploy"], calls["plan"])

    assert result.deploy_total > 500
    assert result.deploy_denied == []


@pytest.mark.parametrize("env", ENVS)
def test_the_plan_role_allows_every_call_a_plan_made_and_no_change(env: str) -> None:
    calls = recorded_calls(env)

    result = check_calls(rendered()[env], calls["deploy"], calls["plan"])

    assert result.plan_total > 100
    assert result.plan_denied == []
    assert result.mutating_allowed == []


@pytest.mark.parametrize("env", ENVS)
def test_the_recorded_deploy_covers_the_s3_archive_that_the_old_role_could_not_deploy(env: str) -> None:
    """Issue 27's finding: no Firehose, no archive bucket, no Firehose log group, no PassRole to Firehose."""
    deploy = recorded_calls(env)["deploy"]
    old = [old_policy("deploy")]
    old_role = f"arn:aws:iam::{INPUTS.account_id}:role/github-ecommerce-deploy"

    refused = {a.action for a in deploy if not decide(old, old_role, INPUTS.account_id, a).allowed}

    assert {
        "firehose:CreateDeliveryStream",
        "s3:CreateBucket",
        "logs:CreateLogStream",
        "iam:PassRole",
    } <= refused
    passed_to_firehose = [
        a for a in deploy if a.context.get("iam:PassedToService") == "firehose.amazonaws.com"
    ]
    assert passed_to_firehose


@pytest.mark.parametrize("env", ENVS)
def test_the_recorded_calls_name_only_the_environments_resources(env: str) -> None:
    other = "prod" if env == "dev" else "dev"
    calls = recorded_calls(env)

    named = [a.resource for a in calls["deploy"] + calls["plan"] if f"-{other}-" in a.resource]

    assert named == []
    assert any(f"{INPUTS.project}-{env}-{SUFFIX}-" in a.resource for a in calls["deploy"])


def _backend(env: str, *, write: bool) -> list[Authorization]:
    """What Terraform's S3 backend (workspace env:/<env>/, use_lockfile, SSE-KMS with the state key) asks:
    list the workspaces, read the state, put and delete the lock file, and on apply write the state."""
    bucket = f"arn:aws:s3:::{INPUTS.state_bucket}"
    state = f"{bucket}/env:/{env}/{INPUTS.project}/{env}/terraform.tfstate"
    via_s3 = {"kms:ViaService": f"s3.{INPUTS.state_region}.amazonaws.com"}
    calls = [
        Authorization("s3:ListBucket", bucket),
        Authorization("s3:GetObject", state),
        Authorization("s3:PutObject", f"{state}.tflock"),
        Authorization("s3:DeleteObject", f"{state}.tflock"),
        Authorization("kms:Decrypt", INPUTS.state_key_arn, via_s3),
        Authorization("kms:GenerateDataKey", INPUTS.state_key_arn, via_s3),
    ]
    return calls + ([Authorization("s3:PutObject", state)] if write else [])


@pytest.mark.parametrize("env", ENVS)
def test_each_role_reaches_its_environments_state_and_only_the_deploy_role_writes_it(env: str) -> None:
    roles = rendered()[env]
    deploy, plan = [roles.policy("deploy_policy")], [roles.policy("plan_policy")]
    account = INPUTS.account_id

    def allowed(policies: list, role: str, calls: list[Authorization]) -> list[bool]:  # type: ignore[type-arg]
        return [decide(policies, roles.role_arn(role), account, a).allowed for a in calls]

    assert all(allowed(deploy, "deploy", _backend(env, write=True)))
    assert all(allowed(plan, "plan", _backend(env, write=False)))
    assert allowed(plan, "plan", _backend(env, write=True))[-1] is False  # the state itself: deploy only


@pytest.mark.parametrize("env", ENVS)
def test_no_role_reads_or_writes_another_environments_state(env: str) -> None:
    other = "prod" if env == "dev" else "dev"
    roles = rendered()[env]
    foreign = [
        a for a in _backend(other, write=True) if a.resource.startswith("arn:aws:s3:::") and "/" in a.resource
    ]

    for role in ("deploy", "plan"):
        policies = [roles.policy(f"{role}_policy")]
        decisions = [decide(policies, roles.role_arn(role), INPUTS.account_id, a).allowed for a in foreign]
        assert decisions == [False] * len(foreign), role
