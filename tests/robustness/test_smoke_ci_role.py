"""deploy.yml runs `tooling smoke` after each apply with the environment's deploy role: that role allows every
call the smoke makes on its own environment (PutEvents on the bus, FilterLogEvents on the functions' log
groups, Query on the event store, the archive's objects and their key through S3, the workflow's executions)
and none of them on the other environment's resources. The calls are mapped to IAM requests by the same code
the e2e run uses for the recorded ones (tooling/deploy/ci_roles/authorizations.py)."""

from __future__ import annotations

from typing import Any

import pytest
from ci_roles_fixtures import ENVS, INPUTS, SUFFIX, rendered

from tooling.deploy.ci_roles.authorizations import Authorization, Call, authorizations
from tooling.deploy.ci_roles.check import decide

REGION = "us-east-1"


def smoke_calls(env: str) -> list[Authorization]:
    prefix = f"{INPUTS.project}-{env}-{SUFFIX}"
    machine = f"arn:aws:states:{REGION}:{INPUTS.account_id}:stateMachine:{prefix}-order-fulfilment"
    calls: list[tuple[str, str, dict[str, Any]]] = [
        (
            "events",
            "PutEvents",
            {"Entries": [{"EventBusName": f"{prefix}-bus", "Source": "ecommerce.orders"}]},
        ),
        ("logs", "FilterLogEvents", {"logGroupName": f"/aws/lambda/{prefix}-processor"}),
        ("logs", "FilterLogEvents", {"logGroupName": f"/aws/lambda/{prefix}-notifier"}),
        ("dynamodb", "Query", {"TableName": f"{prefix}-events"}),
        ("s3", "ListObjectsV2", {"Bucket": f"{prefix}-events-archive", "Prefix": "source=ecommerce.orders/"}),
        ("s3", "GetObject", {"Bucket": f"{prefix}-events-archive", "Key": "source=ecommerce.orders/x.gz"}),
        ("stepfunctions", "ListExecutions", {"stateMachineArn": machine}),
        (
            "stepfunctions",
            "DescribeExecution",
            {"executionArn": machine.replace(":stateMachine:", ":execution:") + ":e-1"},
        ),
    ]
    found = [
        a
        for service, operation, params in calls
        for a in authorizations(Call(service, operation, params, REGION, {}), account=INPUTS.account_id)
    ]
    # S3 decrypts an SSE-KMS archive object with the caller's kms:Decrypt on the stack's key.
    key = f"arn:aws:kms:{REGION}:{INPUTS.account_id}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    context = {
        "aws:ResourceTag/Project": INPUTS.project,
        "aws:ResourceTag/Environment": env,
        "kms:ViaService": f"s3.{REGION}.amazonaws.com",
    }
    return [*found, Authorization("kms:Decrypt", key, context, "s3 GetObject", "S3 decrypts as the caller")]


@pytest.mark.parametrize("env", ENVS)
def test_the_deploy_role_allows_every_call_of_tooling_smoke(env: str) -> None:
    roles = rendered()[env]
    deploy = [roles.policy("deploy_policy")]

    denied = [
        f"{a.action} {a.resource}"
        for a in smoke_calls(env)
        if not decide(deploy, roles.role_arn("deploy"), INPUTS.account_id, a).allowed
    ]

    assert denied == []


@pytest.mark.parametrize("env", ENVS)
def test_the_deploy_role_allows_none_of_them_on_the_other_environment(env: str) -> None:
    other = "prod" if env == "dev" else "dev"
    roles = rendered()[env]
    deploy = [roles.policy("deploy_policy")]

    allowed = [
        f"{a.action} {a.resource}"
        for a in smoke_calls(other)
        if decide(deploy, roles.role_arn("deploy"), INPUTS.account_id, a).allowed
    ]

    assert allowed == []


def test_putevents_is_authorized_on_each_bus_its_entries_name() -> None:
    call = Call(
        "events", "PutEvents", {"Entries": [{"EventBusName": "b-1"}, {}, {"EventBusName": "b-1"}]}, REGION, {}
    )

    found = authorizations(call, account=INPUTS.account_id)

    assert [(a.action, a.resource) for a in found] == [
        ("events:PutEvents", f"arn:aws:events:{REGION}:{INPUTS.account_id}:event-bus/b-1"),
        ("events:PutEvents", f"arn:aws:events:{REGION}:{INPUTS.account_id}:event-bus/default"),
    ]
