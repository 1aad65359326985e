"""`[terraform] permissions_boundary_arn` reaches every role of the stack through tfvars, and anything but an
IAM policy ARN is refused with its path (the CI deploy role refuses a role without the boundary)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tooling.config import load_config
from tooling.deploy.tfvars import build_tfvars
from tooling.errors import ToolingError

REPO = Path(__file__).resolve().parents[2]
BOUNDARY = "arn:aws:iam::123456789012:policy/github-ecommerce-dev-boundary"


def _with_terraform_line(tmp_path: Path, line: str) -> Path:
    text = (REPO / "environments" / "dev.toml").read_text()
    path = tmp_path / "dev.toml"
    path.write_text(text.replace("[terraform]\n", f"[terraform]\n{line}\n") if "[terraform]\n" in text
                    else f"{text}\n[terraform]\n{line}\n")  # fmt: skip
    return path


def test_the_boundary_of_the_environment_file_lands_in_tfvars(tmp_path: Path) -> None:
    config = load_config(_with_terraform_line(tmp_path, f'permissions_boundary_arn = "{BOUNDARY}"'))

    tfvars = build_tfvars(
        config, name_suffix="abc123", zip_path=Path("/x/lambda.zip"), zip_sha256_b64="c2hhMjU2"
    )

    assert tfvars["permissions_boundary_arn"] == BOUNDARY


def test_without_a_boundary_tfvars_carries_null(tmp_path: Path) -> None:
    config = load_config(REPO / "environments" / "dev.toml")

    tfvars = build_tfvars(
        config, name_suffix="abc123", zip_path=Path("/x/lambda.zip"), zip_sha256_b64="c2hhMjU2"
    )

    assert tfvars["permissions_boundary_arn"] is None


def test_a_role_arn_is_refused_with_its_path(tmp_path: Path) -> None:
    path = _with_terraform_line(tmp_path, 'permissions_boundary_arn = "arn:aws:iam::123456789012:role/admin"')

    with pytest.raises(ToolingError, match=r"terraform\.permissions_boundary_arn"):
        load_config(path)
