"""Issue 28, item 5, the grep test: with a webhook configured and its URL present where the local target
takes it (TOOLING_WEBHOOK_URL), the URL appears in none of `tooling config show`, the tfvars file, the
outputs, the local target's state (databases, the functions' environment), the functions' logs (`tooling
logs`, worker captures) or the DLQ; only in the two places meant to hold it (the user's secret file if any,
and the local parameter store apply wrote, both owner-only).

Terraform's side (plan text, saved plan, state, the Lambda environment as Terraform renders it) is grepped
by tests/terraform/test_checks.py with real terraform (tf-real-check), and tests/terraform/
test_security_review.py proves statically that no Terraform input or data source can carry the value.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PARAMETER = "/ecommerce/dev/webhook-url"
TOKEN = "sEcReTwEbHoOkToKeN"
URL = f"https://127.0.0.1:9/services/T0AAA/{TOKEN}"  # nobody listens: every delivery fails, and is logged
MEANT_TO_HOLD_IT = {"parameters.json", "webhook-url"}


def tooling(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tooling", *args],
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL, cwd=root, timeout=120,
        env={**os.environ, "TOOLING_ROOT": str(root), "TOOLING_LOCAL_DISPATCH": "off", "TOOLING_WEBHOOK_URL": URL},
    )  # fmt: skip


@dataclass
class Deployed:
    root: Path
    outputs: dict[str, str]  # command -> its stdout + stderr

    @property
    def state(self) -> Path:
        return self.root / ".tooling" / "dev"


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory, copy_project: Callable[[Path], Path]
) -> Iterator[Deployed]:
    """dev with a webhook parameter, applied to the local target; one high-value order published and
    delivered (three failed attempts, then the notifier's DLQ)."""
    root = copy_project(tmp_path_factory.mktemp("leaks") / "project")
    toml = root / "environments" / "dev.toml"
    toml.write_text(
        toml.read_text().replace(
            f'# webhook_parameter = "{PARAMETER}"', f'webhook_parameter = "{PARAMETER}"', 1
        )
    )
    outputs = {}
    for command in (("config", "show"), ("tfvars",), ("apply", "--target", "local")):
        proc = tooling(root, *command)
        assert proc.returncode == 0, proc.stderr
        outputs[" ".join(command)] = proc.stdout + proc.stderr
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLING_ROOT", str(root))
        patch.setenv("TOOLING_LOCAL_DISPATCH", "off")
        from tooling import local
        from tooling.local import delivery
        from tooling.outputs import load_outputs
        from tooling.workspace import Workspace

        patch.setattr(delivery, "RETRY_BASE_SECONDS", 0.01)
        patch.setattr(delivery, "RETRY_MAX_SECONDS", 0.05)
        workspace = Workspace.for_env("dev")
        bus = local.open_local_bus(workspace, load_outputs(workspace))
        bus.put_events(
            [{"Source": "ecommerce.orders", "DetailType": "Order Created",
              "Detail": json.dumps({"orderId": "o-big", "customerId": "c-1", "totalAmount": 5000})}]
        )  # fmt: skip
        local.drain(workspace, timeout=120)
    for command in (
        ("logs", "--function", "notifier", "--json"),
        ("dlq", "list", "--json"),
        ("monitor", "--json"),
        ("outputs",),
    ):
        proc = tooling(root, *command)
        assert proc.returncode == 0, proc.stderr
        outputs[" ".join(command)] = proc.stdout + proc.stderr
    yield Deployed(root, outputs)


def test_the_notifier_read_the_url_and_failed_to_deliver(deployed: Deployed) -> None:
    events = json.loads(deployed.outputs["logs --function notifier --json"])["events"]

    failures = [e for e in events if (e["data"] or {}).get("message") == "Webhook delivery failed"]
    assert len(failures) == 3  # the URL was read (else: a log-line alert), and each attempt failed


def test_no_command_output_holds_the_url(deployed: Deployed) -> None:
    holding = [command for command, text in deployed.outputs.items() if TOKEN in text]

    assert holding == []
    assert f'"webhook_parameter": "{PARAMETER}"' in deployed.outputs["config show"]


def test_the_tfvars_name_the_parameter_and_hold_no_url(deployed: Deployed) -> None:
    tfvars = json.loads((deployed.state / "terraform.tfvars.json").read_text())

    assert tfvars["webhook_parameter"] == PARAMETER
    assert "webhook_url" not in tfvars
    assert TOKEN not in json.dumps(tfvars)


def test_only_the_owner_only_parameter_store_holds_the_url(deployed: Deployed) -> None:
    holding = sorted(
        str(path.relative_to(deployed.state))
        for path in deployed.state.rglob("*")
        if path.is_file() and not path.is_symlink() and TOKEN.encode() in path.read_bytes()
    )

    assert holding == ["parameters.json"]
    assert stat.S_IMODE((deployed.state / "parameters.json").stat().st_mode) == 0o600


def test_local_destroy_removes_the_parameter_store(deployed: Deployed) -> None:
    proc = tooling(deployed.root, "destroy", "--target", "local", "--yes")

    assert proc.returncode == 0, proc.stderr
    assert not (deployed.state / "parameters.json").exists()
