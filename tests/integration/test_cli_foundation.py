"""The foundation commands through the CLI: help, config, tfvars, package, outputs, and clean errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tooling.cli.app import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])

    assert result.exit_code == 0
    for command in ("config", "tfvars", "package", "plan", "apply", "destroy", "outputs"):
        assert command in result.stdout


def test_python_dash_m_runs_the_same_app() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tooling", "--help"], capture_output=True, text=True, check=False
    )

    assert proc.returncode == 0
    assert "tfvars" in proc.stdout


def test_config_validate_accepts_dev(project_copy: Path) -> None:
    result = runner.invoke(app, ["config", "validate", "--env", "dev", "--json"])

    assert result.exit_code == 0
    assert json.loads(result.stdout)["rules"] == [
        "order-events",
        "high-value-orders",
        "user-registration",
        "all-events",
        "aws-service-events",
    ]


def test_config_validate_reports_every_problem_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('project = "Bad_Name"\nenvironment = "dev"\nregion = "us-east-1"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "tooling", "config", "validate", "--config", str(bad)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert proc.returncode == 2
    assert "project: must start with a letter and hold only lowercase letters" in proc.stderr
    assert "rules: is required" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_config_show_prints_defaults_filled_in(project_copy: Path) -> None:
    result = runner.invoke(app, ["config", "show"])

    shown = json.loads(result.stdout)
    assert shown["functions"]["processor"]["memory_mb"] == 256
    assert shown["rules"][1]["targets"][0]["retry_policy"]["maximum_retry_attempts"] == 3


def test_tfvars_writes_valid_json_with_the_zip_hash(project_copy: Path) -> None:
    result = runner.invoke(app, ["tfvars", "--env", "dev"])

    assert result.exit_code == 0, result.output
    data = json.loads((project_copy / ".tooling" / "dev" / "terraform.tfvars.json").read_text())
    assert data["lambda_zip_path"] == str(project_copy / "build" / "lambda.zip")
    assert len(data["name_suffix"]) == 6
    assert set(data["rules"]) == {
        "order-events",
        "high-value-orders",
        "user-registration",
        "all-events",
        "aws-service-events",
    }


def test_package_json_is_stable_across_runs(project_copy: Path) -> None:
    first = runner.invoke(app, ["package", "--json"])
    second = runner.invoke(app, ["package", "--json"])

    assert first.exit_code == second.exit_code == 0
    assert json.loads(first.stdout)["sha256"] == json.loads(second.stdout)["sha256"]
    assert set(json.loads(first.stdout)) == {"path", "size", "sha256", "bytecode"}


def test_outputs_before_any_apply_is_a_clear_error(project_copy: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tooling", "outputs", "--env", "dev"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert proc.returncode == 2
    assert "nothing applied yet for environment 'dev'" in proc.stderr
    assert "hint: run `make apply`" in proc.stderr


def test_apply_aws_without_terraform_says_what_to_do(project_copy: Path, tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path / "empty"), "TOOLING_ROOT": str(project_copy), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "tooling", "apply", "--target", "aws", "-y"],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip

    assert proc.returncode == 1
    assert "terraform is not installed" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("env", ["../prod", "/etc/passwd", "dev/x", "Dev", "d", ".hidden"])
def test_path_like_environment_names_are_refused_with_exit_2(env: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tooling", "config", "validate", "--env", env],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip

    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0] == (
        f"error: environment name {env!r} is not valid: 2-10 characters, a lowercase letter, then lowercase "
        "letters, digits or '-'"
    )
