"""`tooling smoke` on the local target, as a user runs it: `tooling apply --target local`, then `tooling smoke`
in a child process, with the real handlers in the background dispatcher's warm workers. The notifier has a
webhook configured that refuses connections: a canary that tried to POST would fail its route, so a seen
notifications route is the proof that canaries skip the webhook."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tooling.envlock import Mode, env_lock
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow
# Nothing listens on port 9 (discard): a POST there is refused at once, as a broken webhook would be.
REFUSING_WEBHOOK = "https://127.0.0.1:9/hooks/alerts"


def tooling(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tooling", *args],
        capture_output=True, text=True, check=False, env={**os.environ, **(env or {})}, timeout=300,
    )  # fmt: skip


@pytest.fixture
def applied(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """dev.toml with a webhook and a 1 s archive buffer (dev's 60 s would only slow the test down), applied."""
    dev = project_copy / "environments" / "dev.toml"
    text = dev.read_text()
    text = text.replace(
        '# webhook_parameter = "/ecommerce/dev/webhook-url"',
        'webhook_parameter = "/ecommerce/dev/webhook-url"',
    )
    text = text.replace("buffer_interval_seconds = 60 ", "buffer_interval_seconds = 1  ")
    dev.write_text(text)
    monkeypatch.setenv("TOOLING_WEBHOOK_URL", REFUSING_WEBHOOK)
    monkeypatch.delenv(
        "TOOLING_LOCAL_DISPATCH", raising=False
    )  # the dispatcher runs in the background, as for users
    proc = tooling("apply", "--env", "dev", "--target", "local", "-y")
    assert proc.returncode == 0, proc.stderr
    yield project_copy
    # Let the background dispatcher go before the folder is removed (it honours an exclusive taker).
    with env_lock(Workspace.for_env("dev"), Mode.EXCLUSIVE, command="test", wait_timeout=30, notify=None):
        pass


def test_every_dev_route_is_seen_and_no_canary_reaches_the_webhook(applied: Path) -> None:
    proc = tooling("smoke", "--env", "dev", "--timeout", "90s", "--json")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["summary"] == "smoke: 7/7 routes seen" and report["target"] == "local"
    routes = {r["route"]: r for r in report["routes"]}
    assert routes["high-value-orders -> notifications"]["evidence"].endswith("-notifier: Canary handled")
    assert routes["aws-service-events -> analytics"]["status"] == "seen"  # through the forwarding rule
    archive = routes["all-events -> s3-archive"]["evidence"]
    assert archive.startswith("s3://") and "/source=ecommerce." in archive
    # The event store keeps the canary for a day, not for the store's 90 days.
    stored = routes["all-events -> batch-queue"]["canary_id"]
    conn = sqlite3.connect(applied / ".tooling" / "dev" / "event_store.sqlite")
    [(expiration,)] = conn.execute(
        "SELECT expiration FROM events WHERE business_key = ?", (stored,)
    ).fetchall()
    conn.close()
    assert 0 < expiration - time.time() <= 86400 + 60


def test_a_route_whose_target_is_gone_is_silent_and_exits_1(applied: Path) -> None:
    # Out-of-band drift: the user-registration rule lost its processor target after the apply.
    conn = sqlite3.connect(applied / ".tooling" / "dev" / "local.sqlite")
    with conn:
        conn.execute("DELETE FROM targets WHERE rule_key = 'user-registration'")
    conn.close()

    proc = tooling("smoke", "--env", "dev", "--timeout", "8s")

    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = next(
        x for x in proc.stdout.splitlines() if x.lstrip().startswith("user-registration -> processor")
    )
    assert "silent" in line and "not seen in the processor log within 8 s" in line
    assert proc.stdout.rstrip().splitlines()[-1].startswith("smoke: 6/7 routes seen, 1 silent")


def test_smoke_before_any_apply_says_nothing_is_deployed(project_copy: Path) -> None:
    proc = tooling("smoke", "--env", "dev")

    assert proc.returncode == 2
    assert proc.stderr.startswith("error: nothing applied yet for environment 'dev'")
    assert "hint:" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("value", "line"),
    [("soon", "error: bad duration 'soon'"), ("2h", "error: --timeout must be from 1s to 60m, not 7200 s")],
)
def test_a_bad_timeout_is_one_line_and_exit_2(project_copy: Path, value: str, line: str) -> None:
    proc = tooling("smoke", "--env", "dev", "--timeout", value)

    assert proc.returncode == 2 and proc.stderr.startswith(line), proc.stderr
    assert "hint:" in proc.stderr


def test_a_path_like_env_is_refused_before_anything_is_read() -> None:
    proc = tooling("smoke", "--env", "../x")

    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "environment name '../x' is not valid" in proc.stderr
