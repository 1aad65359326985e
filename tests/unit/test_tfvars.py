"""tfvars: the rendered file for dev.toml is exactly the golden one; hostile strings survive unchanged."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from tooling.config import load_config, parse_config
from tooling.tfvars import build_tfvars, render_backend, write_tfvars
from tooling.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "dev.tfvars.json"
HOSTILE = 'say "hi" ${var.x} %{ if true } \\n\nnewline \u00e9'


def _dev_tfvars() -> dict[str, object]:
    config = load_config(REPO / "environments" / "dev.toml")
    return build_tfvars(
        config, name_suffix="abc123", zip_path=Path("/repo/build/lambda.zip"), zip_sha256_b64="c2hhMjU2"
    )


def test_dev_tfvars_match_the_golden_file() -> None:
    rendered = json.dumps(_dev_tfvars(), indent=2, sort_keys=True) + "\n"

    assert rendered == GOLDEN.read_text()


def test_hostile_strings_survive_unchanged(tmp_path: Path) -> None:
    source = (REPO / "environments" / "dev.toml").read_text()
    source = source.replace('CostCenter = "engineering"', f"CostCenter = {json.dumps(HOSTILE)}")
    source = source.replace(
        'description = "Order lifecycle events to the order processor"', f"description = {json.dumps(HOSTILE)}"
    )
    env = tmp_path / "environments"
    env.mkdir()
    (env / "dev.toml").write_text(source)
    workspace = Workspace.for_env("dev", root=tmp_path)
    config = load_config(env / "dev.toml")

    path = write_tfvars(workspace, config, zip_path=tmp_path / "lambda.zip", zip_sha256_b64="x")

    data = json.loads(path.read_text())
    assert data["tags"]["CostCenter"] == HOSTILE
    assert data["rules"]["order-events"]["description"] == HOSTILE


def test_suffix_is_created_once_and_reused(tmp_path: Path) -> None:
    workspace = Workspace.for_env("dev", root=tmp_path)

    first = workspace.name_suffix()

    assert len(first) == 6
    assert Workspace.for_env("dev", root=tmp_path).name_suffix() == first
    assert (tmp_path / ".tooling" / "dev" / "suffix").read_text().strip() == first


def test_backend_is_rendered_as_escaped_hcl() -> None:
    data = tomllib.loads((REPO / "environments" / "dev.toml").read_text())
    data["terraform"] = {"backend": {"bucket": 'b"${x}', "key": "k", "region": "us-east-1"}}
    config = parse_config(data)

    text = render_backend(config)

    assert text is not None
    assert 'bucket       = "b\\"$${x}"' in text
    assert "use_lockfile = true" in text


@pytest.mark.parametrize("key", ["functions", "rules", "alarms", "lambda_zip_sha256", "name_suffix"])
def test_tfvars_carry_what_terraform_needs(key: str) -> None:
    assert key in _dev_tfvars()
