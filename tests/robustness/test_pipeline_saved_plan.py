"""Prod applies what was reviewed: `tooling apply --plan-file` applies exactly a saved plan (never a new
one), refuses a plan of another environment or without its zip, and a stale plan fails with one line.
`tooling show-plan` prints the plan text reviewers see, with secrets redacted.

Real terraform proves what terraform itself does (a stale saved plan, the text of `show`) on a local-only
configuration (`terraform_data`: the builtin provider, nothing to download); a fake terraform on PATH
records the command lines of the CLI path.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tooling.deploy import pipeline
from tooling.deploy.terraform import TerraformDriver
from tooling.errors import TerraformError
from tooling.workspace import Workspace

WEBHOOK = "https://hooks.example.com/services/T000/B000/s3cr3tp4th"
LOCAL_STACK = """
variable "environment" {
  type = string
}
variable "revision" {
  type = string
}
variable "webhook_url" {
  type = string
}
variable "api_token" {
  type      = string
  sensitive = true
}
resource "terraform_data" "function" {
  input = {
    name        = "ecommerce-${var.environment}-notifier"
    revision    = var.revision
    WEBHOOK_URL = var.webhook_url
  }
}
resource "terraform_data" "token" {
  input = var.api_token
}
output "function_name" {
  value = terraform_data.function.output.name
}
"""
needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform on PATH")


@pytest.fixture
def local_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A project whose terraform/ needs no provider download, with the real terraform first on PATH."""
    empty_rc = tmp_path / "terraform.rc"
    empty_rc.write_text("")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(empty_rc))  # no provider mirror or plugin cache needed
    monkeypatch.delenv("TERRAFORM_BINARY", raising=False)
    workspace = Workspace.for_env("dev", root=tmp_path / "repo")
    workspace.terraform_dir.mkdir(parents=True)
    (workspace.terraform_dir / "main.tf").write_text(LOCAL_STACK)
    return workspace


def _tfvars(workspace: Workspace, revision: str) -> Path:
    workspace.ensure()
    values = {
        "environment": "dev",
        "revision": revision,
        "webhook_url": WEBHOOK,
        "api_token": "tok-" + "9" * 20,
    }
    path = workspace.state_dir / f"{revision}.tfvars.json"
    path.write_text(json.dumps(values))
    return path


@needs_terraform
def test_a_saved_plan_whose_state_changed_meanwhile_is_refused_as_stale(
    local_stack: Workspace, tmp_path: Path
) -> None:
    driver = TerraformDriver(local_stack)
    driver.init()
    reviewed = tmp_path / "reviewed.tfplan"
    shutil.copy(driver.plan(_tfvars(local_stack, "r1")).plan_file, reviewed)
    # Meanwhile another apply changes the state the reviewed plan was made against.
    driver.apply(driver.plan(_tfvars(local_stack, "r2")).plan_file)

    with pytest.raises(TerraformError) as info:
        driver.apply(reviewed, keep=True)

    assert info.value.message == (
        f"the saved plan {reviewed} is stale: the state of dev changed after it was planned, so nothing was "
        "applied"
    )
    assert "\n" not in info.value.message
    assert info.value.hint is not None and "re-run the plan job" in info.value.hint
    assert reviewed.is_file()  # the caller's file is kept
    assert driver.output()["function_name"]["value"] == "ecommerce-dev-notifier"


@needs_terraform
def test_a_fresh_saved_plan_applies_and_is_kept_when_the_caller_gave_it(
    local_stack: Workspace, tmp_path: Path
) -> None:
    driver = TerraformDriver(local_stack)
    driver.init()
    reviewed = tmp_path / "reviewed.tfplan"
    shutil.copy(driver.plan(_tfvars(local_stack, "r1")).plan_file, reviewed)

    driver.apply(reviewed, keep=True)

    assert reviewed.is_file()
    assert driver.summarize(driver.plan(_tfvars(local_stack, "r1")).plan_file).has_changes is False


@needs_terraform
def test_show_plan_masks_sensitive_values_and_redacts_the_webhook(local_stack: Workspace) -> None:
    driver = TerraformDriver(local_stack)
    driver.init()
    driver.plan(_tfvars(local_stack, "r1"))
    raw = driver.show_text(local_stack.plan_path)

    text = pipeline.show_plan(local_stack)

    assert WEBHOOK in raw  # terraform itself shows it: the variable is not marked sensitive
    assert WEBHOOK not in text and "s3cr3tp4th" not in text
    assert 'WEBHOOK_URL = "(redacted)"' in text
    assert "tok-9999" not in text and "(sensitive value)" in text
    assert '"ecommerce-dev-notifier"' in text and "Plan: 2 to add, 0 to change, 0 to destroy." in text


# -- the CLI path, with a fake terraform ---------------------------------------------------------------------

FAKE = r"""#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_TF_LOG"], "a") as fh:
    fh.write(json.dumps(args) + "\n")
if args[:1] == ["version"]:
    print(json.dumps({{"terraform_version": "1.11.4"}}))
elif args[:1] == ["show"] and "-json" in args:
    print(open(os.environ["FAKE_TF_PLAN_JSON"]).read())
elif args[:1] == ["show"]:
    print("Terraform will perform the following actions:\n  + url = \"{webhook}\"\nPlan: 1 to add, 0 to change, 0 to destroy.")
elif args[:1] == ["apply"] and os.environ.get("FAKE_TF_STALE"):
    print("\x1b[31m╷\x1b[0m\n\x1b[31m│\x1b[0m \x1b[1m\x1b[31mError: \x1b[0m\x1b[1mSaved plan is stale\x1b[0m\n"
          "\x1b[31m│\x1b[0m\n\x1b[31m│\x1b[0m The given plan file can no longer be applied because the state was changed\n"
          "\x1b[31m│\x1b[0m by another operation after the plan was created.\n\x1b[31m╵\x1b[0m", file=sys.stderr)
    sys.exit(1)
elif args[:1] == ["apply"]:
    print("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.")
elif args[:1] == ["output"]:
    print(open(os.environ["FAKE_TF_OUTPUTS"]).read())
"""


@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project_copy: Path) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "terraform"
    exe.write_text(FAKE.format(python=sys.executable, webhook=WEBHOOK))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    arn = "arn:aws:{}:us-east-1:123456789012:{}"
    outputs = {
        "region": "us-east-1",
        "event_bus_name": "ecommerce-dev-abc123-bus",
        "event_bus_arn": arn.format("events", "event-bus/ecommerce-dev-abc123-bus"),
        "archive_name": "ecommerce-dev-abc123-archive",
        "rule_arns": {"order-events": arn.format("events", "rule/ecommerce-dev-abc123-bus/x")},
        "batch_queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/ecommerce-dev-abc123-batch",
        "batch_queue_arn": arn.format("sqs", "ecommerce-dev-abc123-batch"),
        "dead_letter_queue_urls": {"events": "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"},
        "notifications_topic_arn": arn.format("sns", "ecommerce-dev-abc123-notifications"),
        "function_names": {"processor": "ecommerce-dev-abc123-processor"},
        "log_group_names": {"processor": "/aws/lambda/ecommerce-dev-abc123-processor"},
    }
    (tmp_path / "outputs.json").write_text(
        json.dumps({k: {"sensitive": False, "type": "string", "value": v} for k, v in outputs.items()})
    )
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_TF_LOG", str(tmp_path / "argv.jsonl"))
    monkeypatch.setenv("FAKE_TF_OUTPUTS", str(tmp_path / "outputs.json"))
    monkeypatch.setenv("FAKE_TF_PLAN_JSON", str(tmp_path / "plan.json"))
    monkeypatch.delenv("TERRAFORM_BINARY", raising=False)
    return tmp_path / "argv.jsonl"


def _saved_plan(tmp_path: Path, project: Path, *, env: str = "dev", zip_bytes: bytes = b"zip") -> Path:
    """A plan file (its content is the fake's business) whose JSON names the zip the plan deploys."""
    zip_path = project / "build" / "reviewed.zip"
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    zip_path.write_bytes(zip_bytes)
    plan = {
        "variables": {
            "environment": {"value": env},
            "lambda_zip_path": {"value": str(zip_path)},
            "lambda_zip_sha256": {"value": base64.b64encode(hashlib.sha256(b"zip").digest()).decode()},
        },
        "resource_changes": [{"change": {"actions": ["create"]}}],
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    plan_file = tmp_path / "artifact" / "plan.tfplan"
    plan_file.parent.mkdir()
    plan_file.write_text("saved plan")
    return plan_file


def _tooling(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tooling", *args], capture_output=True, text=True, check=False, timeout=120
    )


def _commands(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_apply_plan_file_applies_that_plan_and_never_plans(
    fake_terraform: Path, project_copy: Path, tmp_path: Path
) -> None:
    plan_file = _saved_plan(tmp_path, project_copy)

    result = _tooling("apply", "--env", "dev", "--plan-file", str(plan_file), "-y", "--json")

    assert result.returncode == 0, result.stderr
    commands = _commands(fake_terraform)
    assert [c[0] for c in commands] == ["version", "init", "workspace", "show", "apply", "output"]
    assert commands[4] == ["apply", "-input=false", str(plan_file)]
    assert plan_file.is_file()
    assert json.loads(result.stdout)["outputs"]["event_bus_name"] == "ecommerce-dev-abc123-bus"
    assert not (project_copy / "build" / "lambda.zip.inputs").exists()  # nothing was packaged


def test_a_stale_plan_file_fails_with_one_line_and_the_way_back(
    fake_terraform: Path, project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_file = _saved_plan(tmp_path, project_copy)
    monkeypatch.setenv("FAKE_TF_STALE", "1")

    result = _tooling("apply", "--env", "dev", "--plan-file", str(plan_file), "-y")

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith(("error:", "  hint:"))]
    assert errors == [
        f"error: the saved plan {plan_file} is stale: the state of dev changed after it was planned, so "
        "nothing was applied",
        "  hint: plan again (in CI: re-run the plan job; here: tooling plan --env dev), review the new plan "
        "and apply that one",
    ]
    assert [c[0] for c in _commands(fake_terraform)].count("plan") == 0
    assert not (project_copy / ".tooling" / "dev" / "outputs.json").exists()


def test_a_plan_of_another_environment_is_refused(
    fake_terraform: Path, project_copy: Path, tmp_path: Path
) -> None:
    plan_file = _saved_plan(tmp_path, project_copy, env="dev")

    result = _tooling("apply", "--env", "prod", "--plan-file", str(plan_file), "-y")

    assert result.returncode == 2
    assert f"error: the saved plan {plan_file} was made for environment 'dev', not 'prod'" in result.stderr
    assert "apply" not in [c[0] for c in _commands(fake_terraform)]


def test_a_plan_whose_zip_differs_from_the_planned_one_is_refused(
    fake_terraform: Path, project_copy: Path, tmp_path: Path
) -> None:
    plan_file = _saved_plan(tmp_path, project_copy, zip_bytes=b"other code")

    result = _tooling("apply", "--env", "dev", "--plan-file", str(plan_file), "-y")

    assert result.returncode == 2
    assert "reviewed.zip is not the zip the saved plan" in result.stderr
    assert "hint: restore the zip of the plan (in CI: from the plan job's artifact)" in result.stderr
    assert "apply" not in [c[0] for c in _commands(fake_terraform)]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--target", "local"], "error: --plan-file applies a saved terraform plan: AWS only"),
        (["--new-suffix"], "error: --new-suffix cannot change a saved plan"),
    ],
    ids=["local-target", "new-suffix"],
)
def test_plan_file_refuses_what_a_saved_plan_cannot_do(
    fake_terraform: Path, project_copy: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    plan_file = _saved_plan(tmp_path, project_copy)

    result = _tooling("apply", "--env", "dev", "--plan-file", str(plan_file), "-y", *extra)

    assert result.returncode == 2
    assert message in result.stderr
    assert not fake_terraform.exists() or "apply" not in [c[0] for c in _commands(fake_terraform)]


def test_a_missing_plan_file_is_a_usage_error(
    fake_terraform: Path, project_copy: Path, tmp_path: Path
) -> None:
    result = _tooling("apply", "--env", "dev", "--plan-file", str(tmp_path / "nope.tfplan"), "-y")

    assert result.returncode == 2
    assert f"error: no saved plan at {tmp_path / 'nope.tfplan'}" in result.stderr


def test_show_plan_prints_the_redacted_text(fake_terraform: Path, project_copy: Path, tmp_path: Path) -> None:
    plan_file = _saved_plan(tmp_path, project_copy)

    result = _tooling("show-plan", "--env", "dev", "--plan-file", str(plan_file))

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Terraform will perform the following actions:",
        '  + url = "(redacted)"',
        "Plan: 1 to add, 0 to change, 0 to destroy.",
    ]
    assert ["show", "-no-color", str(plan_file)] in _commands(fake_terraform)
