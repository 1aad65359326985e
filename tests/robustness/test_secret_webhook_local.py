"""Issue 28, item 5: the webhook URL is a secret, so it left the environment file.

Where it enters, through the commands a user runs (a subprocess, stdin not a terminal): on the local target
from TOOLING_WEBHOOK_URL or the owner-only file .tooling/<env>/webhook-url, and through `tooling secret set`.
Each refusal is one `error:` line naming the source (never the URL) and a hint, exit 2, nothing provisioned.
An environment file that still holds `webhook_url` is refused with the way to move it, without repeating it.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PARAMETER = "/ecommerce/dev/webhook-url"
SECRET = "T0AAA/B0BBB/sEcReTtOkEn"


def tooling(root: Path, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tooling", *args],
        capture_output=True, text=True, check=False, cwd=root, timeout=120,
        input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
        env={**os.environ, "TOOLING_ROOT": str(root), "TOOLING_LOCAL_DISPATCH": "off", **env},
    )  # fmt: skip


def _with_webhook_parameter(root: Path) -> Path:
    toml = root / "environments" / "dev.toml"
    toml.write_text(
        toml.read_text().replace(
            f'# webhook_parameter = "{PARAMETER}"', f'webhook_parameter = "{PARAMETER}"', 1
        )
    )
    return toml


def _refused(proc: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert SECRET not in proc.stdout + proc.stderr  # the secret is never repeated
    first, hint = proc.stderr.splitlines()
    return first, hint


def _nothing_provisioned(root: Path) -> None:
    state = root / ".tooling" / "dev"
    assert not (state / "local.sqlite").exists()
    assert not (state / "parameters.json").exists()
    assert not (state / "outputs.json").exists()


def _url_file(root: Path, text: str, mode: int = 0o600) -> Path:
    path = root / ".tooling" / "dev" / "webhook-url"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_an_http_url_in_the_environment_variable_is_refused_where_it_enters(project_copy: Path) -> None:
    _with_webhook_parameter(project_copy)

    first, hint = _refused(
        tooling(
            project_copy,
            "apply",
            "--target",
            "local",
            TOOLING_WEBHOOK_URL=f"http://hooks.example.com/{SECRET}",
        )
    )

    assert first.startswith("error: the webhook URL in TOOLING_WEBHOOK_URL uses http://")
    assert "must use https://" in first and hint.startswith("  hint: ")
    _nothing_provisioned(project_copy)


def test_an_http_url_in_the_local_secret_file_is_refused_naming_the_file(project_copy: Path) -> None:
    _with_webhook_parameter(project_copy)
    _url_file(project_copy, f"http://hooks.example.com/{SECRET}\n")

    first, _ = _refused(tooling(project_copy, "apply", "--target", "local"))

    assert first.startswith("error: the webhook URL in .tooling/dev/webhook-url uses http://")
    _nothing_provisioned(project_copy)


def test_a_secret_file_others_may_read_is_refused_with_the_chmod_that_fixes_it(project_copy: Path) -> None:
    _with_webhook_parameter(project_copy)
    _url_file(project_copy, f"https://hooks.example.com/{SECRET}\n", mode=0o644)

    first, hint = _refused(tooling(project_copy, "apply", "--target", "local"))

    assert first == "error: .tooling/dev/webhook-url holds a secret but others may read it (mode 0644)"
    assert hint == "  hint: chmod 600 .tooling/dev/webhook-url"
    _nothing_provisioned(project_copy)


def test_a_webhook_parameter_without_a_local_url_is_refused_naming_both_sources(project_copy: Path) -> None:
    _with_webhook_parameter(project_copy)

    first, hint = _refused(tooling(project_copy, "apply", "--target", "local"))

    assert first == (
        f"error: processing.webhook_parameter names {PARAMETER}, but the local target has no webhook URL: "
        "TOOLING_WEBHOOK_URL is unset and .tooling/dev/webhook-url does not exist"
    )
    assert "tooling secret set webhook-url --env dev --target local" in hint
    _nothing_provisioned(project_copy)


def test_an_environment_file_with_webhook_url_is_refused_with_the_way_out(project_copy: Path) -> None:
    toml = project_copy / "environments" / "dev.toml"
    toml.write_text(toml.read_text().replace(f'# webhook_parameter = "{PARAMETER}"',
                                             f'webhook_url = "https://hooks.example.com/{SECRET}"', 1))  # fmt: skip

    proc = tooling(project_copy, "config", "validate")

    assert proc.returncode == 2 and SECRET not in proc.stdout + proc.stderr
    assert "processing: webhook_url is no longer read: the webhook URL is a secret" in proc.stderr
    assert "tooling secret set webhook-url" in proc.stderr and "webhook_parameter" in proc.stderr


def test_secret_set_local_writes_an_owner_only_file_from_stdin(project_copy: Path) -> None:
    url = f"https://hooks.example.com/{SECRET}"

    proc = tooling(project_copy, "secret", "set", "webhook-url", "--target", "local", stdin=url + "\n")

    assert proc.returncode == 0, proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    path = project_copy / ".tooling" / "dev" / "webhook-url"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == url + "\n"


def test_secret_set_refuses_http_and_writes_nothing(project_copy: Path) -> None:
    proc = tooling(
        project_copy,
        "secret",
        "set",
        "webhook-url",
        "--target",
        "local",
        stdin=f"http://hooks.example.com/{SECRET}",
    )

    first, _ = _refused(proc)
    assert first.startswith("error: the webhook URL in the input uses http://")
    assert not (project_copy / ".tooling" / "dev" / "webhook-url").exists()


def test_secret_set_aws_puts_a_securestring_under_the_stacks_key(project_copy: Path) -> None:
    import boto3
    from moto import mock_aws
    from typer.testing import CliRunner

    from tooling.cli.app import app

    _with_webhook_parameter(project_copy)
    (project_copy / ".tooling" / "dev").mkdir(parents=True)
    (project_copy / ".tooling" / "dev" / "suffix").write_text("abc123\n")  # applied before
    url = f"https://hooks.example.com/{SECRET}"
    with mock_aws():
        result = CliRunner().invoke(
            app,
            ["secret", "set", "webhook-url", "--target", "aws"],
            input=url,
            env={"TOOLING_ROOT": str(project_copy)},
        )
        ssm = boto3.client("ssm", region_name="us-east-1")
        stored = ssm.get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]
        [described] = ssm.describe_parameters()["Parameters"]

    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert (stored["Type"], stored["Value"]) == ("SecureString", url)
    assert described["KeyId"] == "alias/ecommerce-dev-abc123"


def test_secret_set_aws_needs_a_named_parameter_and_an_applied_stack(project_copy: Path) -> None:
    url = f"https://hooks.example.com/{SECRET}"

    unnamed, _ = _refused(tooling(project_copy, "secret", "set", "webhook-url", "--target", "aws", stdin=url))
    _with_webhook_parameter(project_copy)
    unapplied, hint = _refused(
        tooling(project_copy, "secret", "set", "webhook-url", "--target", "aws", stdin=url)
    )

    assert unnamed.startswith("error: environments/dev.toml names no webhook parameter")
    assert unapplied.startswith("error: environment dev has not been applied")
    assert hint == "  hint: tooling apply --env dev, then set the secret"


def test_the_local_notifier_reads_the_url_from_the_local_parameter_store(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tooling import local
    from tooling.deploy import pipeline as deploy
    from tooling.local import delivery
    from tooling.local.store import Store
    from tooling.workspace import Workspace

    _with_webhook_parameter(project_copy)
    monkeypatch.setenv("TOOLING_WEBHOOK_URL", f"https://127.0.0.1:9/{SECRET}")  # nobody listens there
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    monkeypatch.setattr(delivery, "RETRY_BASE_SECONDS", 0.01)
    monkeypatch.setattr(delivery, "RETRY_MAX_SECONDS", 0.05)
    workspace = Workspace.for_env("dev")
    outputs = local.apply_local(deploy.prepare(workspace))
    [result] = local.open_local_bus(workspace, outputs).put_events(
        [{"Source": "ecommerce.orders", "DetailType": "Order Created",
          "Detail": json.dumps({"orderId": "o-big", "customerId": "c-1", "totalAmount": 5000})}]
    )  # fmt: skip
    assert "EventId" in result

    local.drain(workspace, timeout=120)

    store = Store.open(workspace)
    try:
        attempts = [
            r["error_type"]
            for r in store.query("SELECT error_type FROM invocations WHERE function_key = 'notifier'")
        ]
        [environment] = [
            json.loads(r["environment"])
            for r in store.query("SELECT environment FROM functions WHERE key = 'notifier'")
        ]
    finally:
        store.close()
    # The URL was read (a delivery was attempted, and failed: nothing listens), through the parameter's name.
    assert attempts == ["WebhookDeliveryError"] * 3
    assert environment["WEBHOOK_PARAMETER"] == PARAMETER
    store_file = Path(environment["LOCAL_PARAMETERS_FILE"])
    assert stat.S_IMODE(store_file.stat().st_mode) == 0o600
    assert json.loads(store_file.read_text()) == {PARAMETER: f"https://127.0.0.1:9/{SECRET}"}
