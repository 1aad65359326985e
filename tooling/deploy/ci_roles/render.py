"""Render the CI roles' policy documents as the bootstrap attaches them, with real Terraform and the real
provider, offline.

terraform/bootstrap/modules/ci_policies holds every document (deploy, plan, boundary, the two trust
policies) and no resource; its `aws_iam_policy_document` data sources are computed by the provider itself,
without an API call. A scratch root calls that module once per environment with the given account, bucket
and key, and `terraform apply` of data sources only (no resource, no credentials checked) followed by
`terraform output -json` gives the JSON AWS would receive.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooling.access.evaluator import Policy
from tooling.errors import TerraformError

MODULE = Path("terraform") / "bootstrap" / "modules" / "ci_policies"
DOCUMENTS = ("deploy_policy", "plan_policy", "boundary_policy", "deploy_trust", "plan_trust")


@dataclass(frozen=True)
class Inputs:
    """What the bootstrap root passes the module, for one account (defaults: the tests' fixed account)."""

    project: str = "ecommerce"
    environments: tuple[str, ...] = ("dev", "prod")
    account_id: str = "123456789012"
    partition: str = "aws"
    dns_suffix: str = "amazonaws.com"
    state_bucket: str = "acme-ecommerce-terraform-state"
    state_region: str = "us-east-1"
    state_key_id: str = "00000000-0000-4000-8000-000000000000"
    github_repository: str = "acme/eventbridge-platform"
    workflow_file: str = ".github/workflows/deploy.yml"
    drift_workflow_file: str = ".github/workflows/drift.yml"
    deploy_branch: str = "main"
    pull_request_environment: str = "dev"

    @property
    def state_bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.state_bucket}"

    @property
    def state_key_arn(self) -> str:
        return f"arn:{self.partition}:kms:{self.state_region}:{self.account_id}:key/{self.state_key_id}"

    @property
    def oidc_provider_arn(self) -> str:
        return (
            f"arn:{self.partition}:iam::{self.account_id}:oidc-provider/token.actions.githubusercontent.com"
        )


@dataclass(frozen=True)
class RolePolicies:
    """One environment's rendered documents and the names the bootstrap gives its roles."""

    env: str
    account_id: str
    partition: str
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def policy(self, document: str) -> Policy:
        """One document as the evaluator takes it, named `<role or policy name> <document>`."""
        owner = self.names.get(f"{document.split('_')[0]}_role", self.names.get("boundary_policy", ""))
        return Policy(f"{owner} {document}", self.documents[document])

    def role_arn(self, kind: str) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:role/{self.names[f'{kind}_role']}"

    @property
    def boundary_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:policy/{self.names['boundary_policy']}"

    def as_json(self) -> dict[str, Any]:
        return {"env": self.env, "account_id": self.account_id, "partition": self.partition,
                "documents": self.documents, "names": self.names}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RolePolicies:
        return cls(str(data["env"]), str(data["account_id"]), str(data["partition"]),
                   dict(data["documents"]), dict(data["names"]))  # fmt: skip


def _root(module: Path, inputs: Inputs) -> str:
    """The scratch root module: the provider without any API call, the module once per environment."""
    values = {
        "project": inputs.project, "environments": list(inputs.environments), "partition": inputs.partition,
        "dns_suffix": inputs.dns_suffix, "account_id": inputs.account_id,
        "state_bucket_arn": inputs.state_bucket_arn, "state_key_arn": inputs.state_key_arn,
        "state_region": inputs.state_region, "oidc_provider_arn": inputs.oidc_provider_arn,
        "oidc_host": "token.actions.githubusercontent.com", "github_repository": inputs.github_repository,
        "workflow_file": inputs.workflow_file, "drift_workflow_file": inputs.drift_workflow_file,
        "deploy_branch": inputs.deploy_branch,
    }  # fmt: skip
    # JSON configuration syntax: every value quoted by json.dumps, nothing spliced into HCL.
    config = {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws"}}},
        "provider": {
            "aws": {
                "region": inputs.state_region,
                "access_key": "render",
                "secret_key": "render",
                "skip_credentials_validation": True,
                "skip_requesting_account_id": True,
                "skip_metadata_api_check": True,
                "skip_region_validation": True,
            }
        },
        "module": {
            "policies": {
                "source": str(module.resolve()),
                "for_each": "${toset(" + json.dumps(list(inputs.environments)) + ")}",
                "environment": "${each.key}",
                "pull_requests": "${each.key == " + json.dumps(inputs.pull_request_environment) + "}",
                **values,
            }
        },
        "output": {"documents": {"value": "${module.policies}"}},
    }
    return json.dumps(config, indent=2)


def _terraform(binary: str, args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run([binary, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if "Error" in line] or done.stderr.splitlines()[
            -1:
        ]
        raise TerraformError(
            f"rendering {MODULE}: terraform {args[0]} failed: {(errors or ['no output'])[0].strip('│ ')}",
            hint="run `terraform validate` in terraform/bootstrap",
        )
    return done.stdout


def render(project: Path, inputs: Inputs, *, terraform: str, env: dict[str, str]) -> dict[str, RolePolicies]:
    """Every environment's documents, keyed by environment."""
    module = project / MODULE
    with tempfile.TemporaryDirectory(prefix="ci-policies-") as scratch:
        root = Path(scratch)
        (root / "main.tf.json").write_text(_root(module, inputs))
        run_env = {**env, "TF_DATA_DIR": str(root / ".terraform"), "TF_IN_AUTOMATION": "1"}
        _terraform(terraform, ["init", "-input=false", "-no-color"], root, run_env)
        _terraform(terraform, ["apply", "-auto-approve", "-input=false", "-no-color"], root, run_env)
        outputs = json.loads(_terraform(terraform, ["output", "-json", "documents"], root, run_env))
    rendered = {}
    for name, module_outputs in outputs.items():
        rendered[name] = RolePolicies(
            env=name, account_id=inputs.account_id, partition=inputs.partition,
            documents={d: json.loads(module_outputs[f"{d}_json"]) for d in DOCUMENTS},
            names={k: str(module_outputs[f"{k}_name"]) for k in ("deploy_role", "plan_role", "boundary_policy")},
        )  # fmt: skip
    return rendered
