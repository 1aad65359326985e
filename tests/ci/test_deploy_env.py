""".github/scripts/deploy_env.py: the CI copy of an environment file with the S3 backend, the stable name
suffix, and the plan summary."""

from __future__ import annotations

import importlib.util
import json
import shutil
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from workflow_yaml import REPO

from tooling.config import load_config
from tooling.deploy.tfvars import render_backend

SCRIPT = REPO / ".github" / "scripts" / "deploy_env.py"
VARIABLES = {"TF_STATE_BUCKET": "acme-state", "TF_STATE_REGION": "eu-west-1", "NAME_SUFFIX": "k3x9q2"}


@pytest.fixture(scope="module")
def deploy_env() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_env", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "environments", tmp_path / "environments")
    return tmp_path


def test_prepare_adds_the_backend_the_tooling_renders(deploy_env: ModuleType, root: Path) -> None:
    out = root / "ci" / "dev.toml"

    deploy_env.prepare("dev", out, VARIABLES, root=root)

    config = load_config(out)
    assert config.terraform.backend is not None
    assert config.terraform.backend.model_dump() == {
        "bucket": "acme-state", "key": "ecommerce/dev/terraform.tfstate", "region": "eu-west-1", "use_lockfile": True,
    }  # fmt: skip
    assert "use_lockfile = true" in str(render_backend(config))
    assert (root / ".tooling" / "dev" / "suffix").read_text() == "k3x9q2\n"


def test_prepare_keeps_the_state_key_an_environment_file_names(deploy_env: ModuleType, root: Path) -> None:
    out = root / "prod.toml"

    deploy_env.prepare("prod", out, VARIABLES, root=root)

    backend = tomllib.loads(out.read_text())["terraform"]["backend"]
    assert (backend["bucket"], backend["key"]) == ("acme-state", "ecommerce/prod/terraform.tfstate")


def test_prepare_leaves_the_repositorys_environment_file_alone(deploy_env: ModuleType, root: Path) -> None:
    before = (root / "environments" / "dev.toml").read_text()

    deploy_env.prepare("dev", root / "dev.toml", VARIABLES, root=root)

    assert (root / "environments" / "dev.toml").read_text() == before


def test_prepare_sets_the_bootstraps_permissions_boundary(deploy_env: ModuleType, root: Path) -> None:
    boundary = "arn:aws:iam::123456789012:policy/github-ecommerce-dev-boundary"
    out = root / "dev.toml"

    deploy_env.prepare("dev", out, {**VARIABLES, "PERMISSIONS_BOUNDARY_ARN": boundary}, root=root)

    assert tomllib.loads(out.read_text())["terraform"]["permissions_boundary_arn"] == boundary


def test_prepare_without_a_boundary_sets_none(deploy_env: ModuleType, root: Path) -> None:
    out = root / "dev.toml"

    deploy_env.prepare("dev", out, VARIABLES, root=root)

    assert "permissions_boundary_arn" not in tomllib.loads(out.read_text()).get("terraform", {})


@pytest.mark.parametrize("missing", sorted(VARIABLES))
def test_prepare_refuses_a_missing_variable(deploy_env: ModuleType, root: Path, missing: str) -> None:
    variables = {k: v for k, v in VARIABLES.items() if k != missing}

    with pytest.raises(deploy_env.SetupError, match=missing):
        deploy_env.prepare("dev", root / "dev.toml", variables, root=root)


def test_prepare_refuses_a_suffix_the_tooling_would_replace(deploy_env: ModuleType, root: Path) -> None:
    with pytest.raises(deploy_env.SetupError, match="6 lowercase"):
        deploy_env.prepare("dev", root / "dev.toml", {**VARIABLES, "NAME_SUFFIX": "ABC"}, root=root)


def test_summary_shows_the_counts_and_the_reviewed_plan_text(deploy_env: ModuleType, tmp_path: Path) -> None:
    plan_json, plan_text, plan_log = tmp_path / "plan.json", tmp_path / "plan.txt", tmp_path / "plan.log"
    plan_json.write_text(json.dumps({"add": 3, "change": 1, "destroy": 0, "plan_file": "x"}))
    plan_text.write_text("\x1b[1m  # aws_sqs_queue.dlq will be created\x1b[0m\n")
    plan_log.write_text("the streamed plan, not what reviewers read\n")

    text = deploy_env.summary("dev", plan_json, plan_text, plan_log)

    assert "| 3 | 1 | 0 |" in text
    assert "# aws_sqs_queue.dlq will be created" in text and "\x1b" not in text
    assert "streamed" not in text


def test_summary_says_when_the_plan_failed(deploy_env: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text("")
    (tmp_path / "plan.log").write_text("error: no AWS credentials found for terraform\n")

    text = deploy_env.summary("dev", tmp_path / "plan.json", tmp_path / "plan.txt", tmp_path / "plan.log")

    assert "The plan failed" in text and "no AWS credentials" in text


def test_summary_redacts_the_plan_text_and_the_failure_log_again(
    deploy_env: ModuleType, tmp_path: Path
) -> None:
    webhook = "https://hooks.example.com/services/T0/B0/s3cr3t"
    (tmp_path / "plan.json").write_text(json.dumps({"add": 1, "change": 0, "destroy": 0, "plan_file": "x"}))
    (tmp_path / "plan.txt").write_text(f'  + WEBHOOK_URL = "{webhook}"\n')
    (tmp_path / "plan.log").write_text(f"Error: invalid value {webhook} for AKIAIOSFODNN7EXAMPLE\n")

    shown = deploy_env.summary("dev", tmp_path / "plan.json", tmp_path / "plan.txt", tmp_path / "plan.log")
    (tmp_path / "plan.txt").unlink()
    failed = deploy_env.summary("dev", tmp_path / "plan.json", tmp_path / "plan.txt", tmp_path / "plan.log")

    assert 'WEBHOOK_URL = "(redacted)"' in shown
    assert "Error: invalid value (redacted) for (redacted)" in failed
    assert "s3cr3t" not in shown + failed and "AKIA" not in shown + failed


def test_main_exits_1_with_one_line_when_a_variable_is_missing(
    deploy_env: ModuleType, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TF_STATE_BUCKET", raising=False)

    code = deploy_env.main(["prepare", "dev", "/nonexistent/dev.toml"])

    assert code == 1
    assert capsys.readouterr().err.startswith("error: repository variable TF_STATE_BUCKET is not set")
