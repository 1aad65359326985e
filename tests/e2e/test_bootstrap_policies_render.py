"""The rendered CI-role documents the unit tests evaluate (tests/robustness/data/ci_policies_rendered.json)
are what terraform/bootstrap/modules/ci_policies renders today, with real Terraform and the real provider.

Marked `e2e` (real Terraform, about 15 s): `.ci/run` runs it, `make test` does not. Without terraform or a
reachable hashicorp/aws it is skipped with the reason. After a change to the module, refresh the fixture
with `TOOLING_REFRESH_FIXTURES=1 pytest -m e2e tests/e2e/test_bootstrap_policies_render.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tooling.deploy.ci_roles.render import Inputs, render
from tooling.deploy.terraform import find_binary
from tooling.errors import TerraformError, UnavailableError
from tooling_testing.harness import provider

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "robustness" / "data" / "ci_policies_rendered.json"
pytestmark = pytest.mark.e2e


def test_the_stored_documents_are_what_the_bootstrap_renders(tmp_path: Path) -> None:
    try:
        terraform = find_binary()[0]
        tf_env, _ = provider.cli_config_env(tmp_path)
    except (TerraformError, UnavailableError) as exc:
        pytest.skip(f"no terraform or provider here: {exc.message}")

    rendered = render(REPO, Inputs(), terraform=terraform, env={**os.environ, **tf_env})

    current = {env: roles.as_json() for env, roles in rendered.items()}
    stored = json.loads(FIXTURE.read_text())
    if os.environ.get("TOOLING_REFRESH_FIXTURES") == "1":
        FIXTURE.write_text(json.dumps({**stored, "environments": current}, indent=1) + "\n")
    assert stored["environments"] == current, (
        "terraform/bootstrap/modules/ci_policies changed: refresh with TOOLING_REFRESH_FIXTURES=1 pytest -m e2e "
        "tests/e2e/test_bootstrap_policies_render.py"
    )
