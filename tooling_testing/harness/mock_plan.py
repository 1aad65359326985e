"""Plan the root module for given tfvars with real Terraform and mocked aws providers: what an apply would
create, without an account, an emulator or a provider that must answer API calls.

`terraform test` with `mock_provider "aws"` (Terraform >= 1.7) plans the real configuration: variables and
their validation, every module, count/for_each, names, and the provider's own schema checks (the installed
hashicorp/aws validates each resource's configuration). With `-verbose -json` it prints each run's plan as
JSON (`test_plan`), which is what the caller gets. Values that only AWS would know (ARNs, ids) are unknown
in it, as in any plan.

The copy of terraform/ gets one generated test file with a run per tfvars set; v6-only arguments the
installed provider lacks are dropped from the copy and the values a 5.x provider refuses capped (compat.py),
as `make e2e` does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tooling.deploy.terraform import find_binary
from tooling.errors import TerraformError
from tooling_testing.harness import compat, provider

# The aws_iam_policy_document data sources feed policy arguments the provider checks as JSON; a mock
# would invent a random string there.
_POLICY = json.dumps(json.dumps({"Version": "2012-10-17", "Statement": []}))
_MOCKS = "\n".join(
    f"""mock_provider "aws" {{
{alias}  mock_data "aws_iam_policy_document" {{
    defaults = {{ json = {_POLICY} }}
  }}
}}
"""
    for alias in ("", '  alias = "secondary"\n')
)
TEST_FILE = Path("tests") / "mock_plan.tftest.hcl"


def _test_file(var_files: Mapping[str, Path], variables: Mapping[str, list[str]]) -> str:
    runs = []
    for run, path in var_files.items():
        # Each variable read from the tfvars file as Terraform decodes it: no value is written as HCL text.
        source = json.dumps(str(path))
        assignments = "\n".join(
            f"    {name} = jsondecode(file({source}))[{json.dumps(name)}]" for name in variables[run]
        )
        runs.append(f'run "{run}" {{\n  command = plan\n\n  variables {{\n{assignments}\n  }}\n}}\n')
    return _MOCKS + "\n" + "\n".join(runs)


def _run(
    terraform: str, args: list[str], cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [terraform, *args], cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=900, check=False
    )


def plan_root(terraform_dir: Path, workdir: Path, tfvars: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Run name -> the plan JSON of the root module in `terraform_dir` for that tfvars set.

    Raises UnavailableError (no provider can be installed) or TerraformError (too old, init or a plan
    failed: Terraform's own diagnostics in the message)."""
    terraform, _ = find_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    tf_env, _source = provider.cli_config_env(workdir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_VAR_", "TF_LOG"))}
    # A mocked provider calls nothing; the closed endpoint makes sure of it.
    env.update(tf_env, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    env.update(AWS_ENDPOINT_URL="http://127.0.0.1:9", CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    env.pop("TF_DATA_DIR", None)
    root = workdir / "terraform"
    shutil.copytree(terraform_dir, root, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    init = _run(terraform, ["init", "-backend=false", "-input=false", "-no-color"], root, env)
    if init.returncode != 0:
        raise TerraformError(f"terraform init failed: {init.stderr.strip() or init.stdout.strip()}")
    schema = _run(terraform, ["providers", "schema", "-json"], root, env)
    if schema.returncode != 0:
        raise TerraformError(f"terraform providers schema failed: {schema.stderr.strip()}")
    compat.remove_arguments(root, compat.unknown_arguments(root, json.loads(schema.stdout)))
    installed = _run(terraform, ["version", "-json"], root, env)
    compat.narrow_values(root, compat.selected_version(installed.stdout))
    var_files = {}
    for run, values in tfvars.items():
        var_files[run] = workdir / f"{run}.tfvars.json"
        var_files[run].write_text(json.dumps(values))
    (root / TEST_FILE).parent.mkdir(exist_ok=True)
    (root / TEST_FILE).write_text(_test_file(var_files, {run: list(v) for run, v in tfvars.items()}))
    done = _run(terraform, ["test", "-verbose", "-json", "-no-color", f"-filter={TEST_FILE}"], root, env)
    plans: dict[str, Any] = {}
    problems: list[str] = []
    for line in done.stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if message.get("type") == "test_plan":
            plans[message["@testrun"]] = message["test_plan"]
        elif message.get("type") == "diagnostic" and message["diagnostic"].get("severity") == "error":
            diagnostic = message["diagnostic"]
            detail = " ".join(str(diagnostic.get("detail", "")).split())
            problems.append(f"{message.get('@testrun', '')}: {diagnostic.get('summary')}: {detail}"[:1000])
    if problems or set(plans) != set(tfvars):
        raise TerraformError(
            "terraform test (mock plan) failed: "
            + ("; ".join(problems) or done.stderr.strip()[:2000] or "no plan for " + ", ".join(tfvars))
        )
    return plans
