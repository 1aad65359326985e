"""The evaluator against an independent one: principalmapper 1.1.5's local policy simulator (NCC Group), on
every request of the recorded dev and prod matrices (the stack's real policies as a moto apply rendered them).

principalmapper is a test-only oracle, never imported by tooling/ (it is AGPL-3.0, and it does not import on
Python >= 3.10 without aliasing collections.Mapping, done below). The test skips where it is not installed;
`pip install principalmapper==1.1.5` (the dev extra pins it) runs it.

Every request counts, allowed hops and negative twins alike (KMS, trust, resource and identity policies);
requests whose resource is missing are left out (there is nothing to evaluate).
"""

from __future__ import annotations

import collections
import collections.abc
import importlib.util
from pathlib import Path
from typing import Any

import pytest

from tooling.access.collect import Deployment
from tooling.access.hops import build_hops
from tooling.access.matrix import Step

if importlib.util.find_spec("principalmapper") is None:
    pytest.skip(
        "principalmapper is not installed (pip install principalmapper==1.1.5)", allow_module_level=True
    )

collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]  # principalmapper's pre-3.10 imports
collections.MutableMapping = collections.abc.MutableMapping  # type: ignore[attr-defined]

from principalmapper.common import Node  # noqa: E402
from principalmapper.common import Policy as PmPolicy  # noqa: E402
from principalmapper.querying.local_policy_simulation import (  # noqa: E402
    ResourcePolicyEvalResult,
    resource_policy_authorization,
)
from principalmapper.querying.query_interface import local_check_authorization_full  # noqa: E402

RECORDED = Path(__file__).parent / "golden"


def context_of(step: Step) -> dict[str, str]:
    return {
        key: ("true" if value else "false") if isinstance(value, bool) else str(value)
        for key, value in step.request.context.items()
        if not isinstance(value, list)
    }


def principalmapper_allows(step: Step) -> bool:
    request = step.request
    resource_policy = None if step.resource is None else dict(step.resource.document)
    if request.principal.kind == "service":
        if resource_policy is None:
            return False
        result = resource_policy_authorization(
            request.principal.id,
            step.resource_account,
            resource_policy,
            request.action,
            request.resource,
            context_of(step),
        )
        return bool(result == ResourcePolicyEvalResult.SERVICE_MATCH)
    if resource_policy is None and request.principal.account != step.resource_account:
        # principalmapper skips the cross-account rule when it is given no resource policy; AWS denies a
        # resource without one to another account. An empty policy says so.
        resource_policy = {"Statement": []}
    policies = [PmPolicy(request.principal.id, p.name, dict(p.document)) for p in step.identity]
    boundary = (
        None
        if step.boundary is None
        else PmPolicy(request.principal.id, "boundary", dict(step.boundary.document))
    )
    node = Node(
        request.principal.id,
        "AROAEXAMPLE",
        policies,
        None,
        {"Statement": []},
        None,
        0,
        False,
        False,
        boundary,
        False,
        None,
    )
    return bool(
        local_check_authorization_full(
            node,
            request.action,
            request.resource,
            context_of(step),
            resource_policy,
            step.resource_account if resource_policy is not None else None,
        )
    )


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_recorded_request_gets_the_same_decision_from_principalmapper(env: str) -> None:
    deployment = Deployment.model_validate_json((RECORDED / f"access-{env}.json").read_text())
    steps = [s for hop in build_hops(deployment) for s in hop.steps if s.missing is None]

    disagreements: list[Any] = []
    for step in steps:
        ours = step.decide().allowed
        theirs = principalmapper_allows(step)
        if ours != theirs:
            disagreements.append(
                (step.request.principal.id, step.request.action, step.request.resource, ours)
            )

    assert len(steps) > 100
    assert disagreements == []
