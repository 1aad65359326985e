"""terraform/ forgets [replication]'s old replica with `removed` blocks (terraform/moved.tf), which Terraform
reads from 1.7 on: the driver refuses an older terraform with one line naming the version it needs, rather
than letting `terraform init` fail on an unknown block."""

from __future__ import annotations

from pathlib import Path

import pytest

from tooling.deploy.terraform import MIN_VERSION, TerraformDriver
from tooling.errors import TerraformError
from tooling.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]


def _fake_terraform(folder: Path, version: str) -> None:
    folder.mkdir()
    script = folder / "terraform"
    script.write_text(f'#!/bin/sh\necho \'{{"terraform_version": "{version}"}}\'\n')
    script.chmod(0o755)


def test_a_terraform_older_than_the_removed_blocks_need_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_terraform(tmp_path / "bin", "1.6.6")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.delenv("TERRAFORM_BINARY", raising=False)

    with pytest.raises(TerraformError) as info:
        TerraformDriver(Workspace.for_env("dev", root=tmp_path / "project"))

    assert "terraform is version 1.6.6; this project needs >= 1.7" in info.value.message
    assert info.value.hint is not None and "Terraform >= 1.7" in info.value.hint


def test_the_driver_and_terraform_agree_on_the_minimum() -> None:
    versions = (REPO / "terraform" / "versions.tf").read_text()

    assert "removed {" in (REPO / "terraform" / "moved.tf").read_text()
    assert MIN_VERSION == (1, 7, 0)
    assert 'required_version = ">= 1.7.0"' in versions
