"""The recorded documents and calls the CI-role tests evaluate (tests/robustness/data/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tooling.access.evaluator import Policy
from tooling.deploy.ci_roles.authorizations import Authorization
from tooling.deploy.ci_roles.check import Names, names_for
from tooling.deploy.ci_roles.recorded import denormalise
from tooling.deploy.ci_roles.render import Inputs, RolePolicies

DATA = Path(__file__).parent / "data"
INPUTS = Inputs()  # what ci_policies_rendered.json was rendered with
ENVS = ("dev", "prod")
SUFFIX = "abc123"


def rendered() -> dict[str, RolePolicies]:
    data = json.loads((DATA / "ci_policies_rendered.json").read_text())
    return {env: RolePolicies.from_json(doc) for env, doc in data["environments"].items()}


def before() -> dict[str, Any]:
    """The bootstrap's policies before issue 28 (one deploy and one plan role for every environment)."""
    data: dict[str, Any] = json.loads((DATA / "ci_policies_before_issue28.json").read_text())
    return data


def old_policy(kind: str) -> Policy:
    return Policy(f"github-ecommerce-{kind} {kind} (before issue 28)", before()[kind])


def recorded_calls(env: str) -> dict[str, list[Authorization]]:
    data = json.loads((DATA / f"ci_calls_{env}.json").read_text())
    return denormalise(data, account=INPUTS.account_id, suffix=SUFFIX)


def names(env: str) -> Names:
    roles = rendered()
    other = "prod" if env == "dev" else "dev"
    return names_for(
        roles[env], roles[other], f"{INPUTS.project}-{env}-", f"{INPUTS.project}-{other}-",
        INPUTS.state_bucket, INPUTS.state_key_arn,
    )  # fmt: skip
