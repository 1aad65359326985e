"""The CI roles held to the calls a deploy really makes (issue: a deploy pipeline that passes a review).

Before the environment's first command, its roles' documents are rendered from terraform/bootstrap
(tooling/deploy/ci_roles/render.py) for the emulator's account, and its permissions boundary is created on
the server, so every role the stack creates carries it (the environment file's `[terraform]
permissions_boundary_arn`) and `tooling access` evaluates the stack's hops within it.

Each recorded step runs with an access key of its own (recorder.py). After `tooling destroy` the calls of
`tooling plan`, the re-plan and `tooling drift` are evaluated for the plan role, those of apply, the
re-plan, destroy, the `tooling smoke` deploy.yml runs after each apply and the applies that restore the
injected faults for the deploy role (tooling/deploy/ci_roles/check.py), and the environment's call list,
normalised, is written to logs/ci-calls-<env>.json: the fixture of the unit test that holds the bootstrap
to it without a server (tests/robustness/data/).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooling.deploy.ci_roles.authorizations import Authorization, Call, UnmappedCallError, authorizations
from tooling.deploy.ci_roles.check import CallsResult, check_calls
from tooling.deploy.ci_roles.recorded import normalise
from tooling.deploy.ci_roles.render import Inputs, RolePolicies, render
from tooling_testing.checks.api_requests import UnparsedRequestError, parse
from tooling_testing.checks.recorder import step_key

ACCOUNT = "123456789012"  # moto's account for any access key it does not know
# `tooling drift` is what the scheduled drift workflow runs with the plan role.
PLAN_STEPS = ("plan", "replan", "drift")
# `smoke`: deploy.yml runs `tooling smoke` with the deploy role after each apply (harness/smoke_step.py).
DEPLOY_STEPS = ("apply", "replan", "destroy", "smoke")
# Calls only the emulator setup makes: with endpoint overrides the provider skips credential validation and
# finds the account id through iam:GetUser first, which a role session cannot call (the provider then uses
# sts:GetCallerIdentity, as it does on AWS from the start).
EMULATOR_ONLY = {("iam", "GetUser")}


def _is_deploy_step(step: str) -> bool:
    return step in DEPLOY_STEPS or (step.startswith("fault") and step.endswith("-apply"))


@dataclass
class CallLog:
    path: Path
    steps: dict[str, tuple[str, str]] = field(default_factory=dict)
    rendered: dict[str, RolePolicies] = field(default_factory=dict)
    unmapped: dict[str, list[str]] = field(default_factory=dict)

    def env_for(self, env: str, step: str, base: dict[str, str]) -> dict[str, str]:
        """The child environment of a step: its own access key when the step is recorded."""
        if step not in PLAN_STEPS and not _is_deploy_step(step):
            return base
        key = step_key(len(self.steps) + 1)
        self.steps[key] = (env, step)
        return {**base, "AWS_ACCESS_KEY_ID": key}

    def prepare(
        self,
        project: Path,
        env: str,
        config: dict[str, Any],
        endpoint: str,
        terraform: str,
        tf_env: dict[str, str],
    ) -> str:
        """Render the environment's roles and create its boundary on the server; return the boundary's ARN."""
        import os

        import boto3

        if env not in self.rendered:
            envs = tuple(sorted({"dev", "prod", env}))
            inputs = Inputs(project=config["project"], environments=envs, account_id=ACCOUNT,
                            state_region=config["region"])  # fmt: skip
            self.rendered.update(render(project, inputs, terraform=terraform, env={**os.environ, **tf_env}))
        roles = self.rendered[env]
        iam = boto3.client(
            "iam", region_name=config["region"], endpoint_url=endpoint,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )  # fmt: skip
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_policy(
                PolicyName=roles.names["boundary_policy"],
                PolicyDocument=json.dumps(roles.documents["boundary_policy"]),
            )
        return roles.boundary_arn

    def authorizations(self, env: str) -> dict[str, list[Authorization]]:
        """Every recorded authorization of the environment, by step."""
        found: dict[str, list[Authorization]] = {}
        if not self.path.is_file():
            return found
        with self.path.open() as log:
            for line in log:
                record = json.loads(line)
                owner = self.steps.get(record["key"])
                if owner is None or owner[0] != env:
                    continue
                try:
                    request = parse(record)
                    if (request.service, request.operation) in EMULATOR_ONLY:
                        continue
                    call = Call(
                        request.service, request.operation, request.params, request.region, request.facts
                    )
                    found.setdefault(owner[1], []).extend(authorizations(call, account=ACCOUNT))
                except (UnparsedRequestError, UnmappedCallError) as exc:  # counted as denied, never skipped
                    self.unmapped.setdefault(env, []).append(f"{owner[1]}: unmapped call: {exc.message}")
        return found

    def check(self, env: str, logs: Path, name_prefix: str) -> CallsResult:
        by_step = self.authorizations(env)
        deploy = [a for step, items in by_step.items() if _is_deploy_step(step) for a in items]
        plan = [a for step, items in by_step.items() if step in PLAN_STEPS for a in items]
        result = check_calls(self.rendered[env], deploy, plan)
        result.deploy_denied += self.unmapped.get(env, [])
        stored = normalise(
            by_step, ACCOUNT, name_prefix, deploy_steps=[s for s in by_step if _is_deploy_step(s)]
        )
        (logs / f"ci-calls-{env}.json").write_text(json.dumps(stored, indent=1) + "\n")
        return result


def set_boundary(path: Path, data: dict[str, Any], boundary_arn: str) -> dict[str, Any]:
    """The environment file with `[terraform] permissions_boundary_arn`, as CI sets it."""
    import tomli_w

    data.setdefault("terraform", {})["permissions_boundary_arn"] = boundary_arn
    path.write_text(tomli_w.dumps(data))
    return data
