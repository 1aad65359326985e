"""The e2e harness's pure parts: arguments unknown to the installed provider, the dashboard rule, and where
the provider comes from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tooling.errors import UnavailableError
from tooling_testing.checks.inspection import dashboard_problems
from tooling_testing.harness import compat, provider

HCL = """\
resource "aws_cloudwatch_event_archive" "this" {
  name               = "a"
  kms_key_identifier = var.key
  event_source_arn   = aws_x.y.arn

  lifecycle {
    create_before_destroy = true
  }
}

data "aws_iam_policy_document" "p" {
  statement {
    kms_key_identifier = "nested, not top-level: never touched"
  }
  future_argument = {
    a = 1
  }
}

resource "aws_sqs_queue" "q" {
  count = 1
  name  = "q"
}
"""
SCHEMA = {
    "provider_schemas": {
        compat.PROVIDER: {
            "resource_schemas": {
                "aws_cloudwatch_event_archive": {
                    "block": {"attributes": {"name": {}, "event_source_arn": {}}}
                },
                "aws_sqs_queue": {"block": {"attributes": {"name": {}}}},
            },
            "data_source_schemas": {"aws_iam_policy_document": {"block": {"attributes": {}}}},
        }
    }
}


def test_unknown_top_level_arguments_are_found_and_removed_with_their_whole_value(tmp_path: Path) -> None:
    (tmp_path / "modules" / "m").mkdir(parents=True)
    (tmp_path / "modules" / "m" / "main.tf").write_text(HCL)

    removals = compat.unknown_arguments(tmp_path, SCHEMA)
    compat.remove_arguments(tmp_path, removals)

    assert [r.line() for r in removals] == [
        "aws_cloudwatch_event_archive.this.kms_key_identifier (modules/m/main.tf)",
        "data.aws_iam_policy_document.p.future_argument (modules/m/main.tf)",
    ]
    text = (tmp_path / "modules" / "m" / "main.tf").read_text()
    assert "kms_key_identifier = var.key" not in text
    assert "future_argument" not in text and "a = 1" not in text
    assert "nested, not top-level: never touched" in text
    assert "event_source_arn   = aws_x.y.arn" in text and "create_before_destroy = true" in text
    assert compat.unknown_arguments(tmp_path, SCHEMA) == []


def test_a_schema_without_the_aws_provider_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="hashicorp/aws"):
        compat.unknown_arguments(tmp_path, {"provider_schemas": {}})


def test_dashboard_rule_rejects_flat_metric_lists_and_accepts_arrays_with_options() -> None:
    good = {
        "widgets": [{"type": "metric", "properties": {"metrics": [["A", "B"], ["A", "C", {"stat": "p99"}]]}}]
    }
    flat = {"widgets": [{"type": "metric", "properties": {"metrics": ["AWS/Events", "Invocations"]}}]}

    assert dashboard_problems(good) == []
    assert dashboard_problems(flat) == [
        "widgets[0].properties.metrics[0] is not an array of strings",
        "widgets[0].properties.metrics[1] is not an array of strings",
    ]


def _mirror(root: Path, version: str = "5.100.0") -> Path:
    plugin = root / provider.PROVIDER / version / provider.platform_dir()
    plugin.mkdir(parents=True)
    (plugin / f"terraform-provider-aws_v{version}_x5").write_text("")
    return root


@pytest.fixture
def no_cli_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "nowhere"))
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    monkeypatch.delenv(provider.MIRROR_ENV, raising=False)
    monkeypatch.setattr(provider, "registry_reachable", lambda timeout=3.0: False)
    monkeypatch.setattr(provider, "_candidate_mirrors", lambda: [])


@pytest.mark.usefixtures("no_cli_config")
def test_a_mirror_named_by_the_environment_gets_a_cli_config_of_its_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mirror = _mirror(tmp_path / "mirror")
    monkeypatch.setenv(provider.MIRROR_ENV, str(mirror))

    env, source = provider.cli_config_env(tmp_path)

    config = Path(env["TF_CLI_CONFIG_FILE"]).read_text()
    assert f'path    = "{mirror}"' in config and 'exclude = ["registry.terraform.io/hashicorp/aws"]' in config
    assert source == f"the filesystem mirror {mirror} (5.100.0)"


@pytest.mark.usefixtures("no_cli_config")
def test_an_existing_cli_config_is_honoured_as_terraform_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rc = tmp_path / "my.tfrc"
    rc.write_text("")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    monkeypatch.setenv(provider.MIRROR_ENV, str(_mirror(tmp_path / "mirror")))

    assert provider.cli_config_env(tmp_path) == ({}, f"the CLI config {rc} (TF_CLI_CONFIG_FILE)")


@pytest.mark.usefixtures("no_cli_config")
def test_no_registry_and_no_mirror_is_one_clear_unavailable_error(tmp_path: Path) -> None:
    with pytest.raises(UnavailableError) as info:
        provider.cli_config_env(tmp_path)

    assert "no registry.terraform.io/hashicorp/aws provider reachable" in info.value.message
    assert info.value.hint is not None and provider.MIRROR_ENV in info.value.hint
    assert info.value.exit_code == 3


@pytest.mark.usefixtures("no_cli_config")
def test_a_mirror_env_var_without_the_provider_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(provider.MIRROR_ENV, str(tmp_path))

    with pytest.raises(UnavailableError, match=r"holds no registry\.terraform\.io/hashicorp/aws provider"):
        provider.cli_config_env(tmp_path)


def _e2e_exit(path: str, tmp_path: Path) -> tuple[int, str]:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PATH": path}
    env.pop("TERRAFORM_BINARY", None)
    done = subprocess.run(
        [sys.executable, "-m", "tooling", "e2e"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stderr


def test_no_terraform_is_one_line_and_exit_3(tmp_path: Path) -> None:
    code, stderr = _e2e_exit(str(tmp_path / "empty"), tmp_path)

    assert code == 3
    assert (
        stderr.splitlines()[0]
        == "error: terraform is not installed (neither `terraform` nor `tofu` is on PATH)"
    )


def test_too_old_a_terraform_is_one_line_and_exit_3(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "terraform").write_text('#!/bin/sh\necho \'{"terraform_version": "1.0.3"}\'\n')
    (tmp_path / "bin" / "terraform").chmod(0o755)

    code, stderr = _e2e_exit(str(tmp_path / "bin"), tmp_path)

    assert code == 3
    assert stderr.splitlines()[0] == (
        f"error: {tmp_path / 'bin' / 'terraform'} is version 1.0.3; this project needs >= 1.7"
    )


def test_missing_moto_is_unavailable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib.util

    from tooling_testing.emulator import server

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "moto" else real(name, *a)
    )

    with (
        pytest.raises(UnavailableError, match="moto is not installed"),
        server.moto_server(tmp_path / "m.log"),
    ):
        pass
