"""`monitor --watch` and `logs --follow` on an environment replaced under them (issue 22, item 2): they hold
the environment's lock only during a refresh, so a `destroy`/`apply`/`demo` elsewhere runs between two, and
they reopen the new state (or say it is gone, or in use) instead of reading a deleted database forever.
The watch loop runs in-process through the typer app; its sleep is where the other commands happen.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import tooling.cli.monitor as monitor_cli
from tooling import local, targets
from tooling.cli.app import app
from tooling.deploy import pipeline as deploy
from tooling.outputs import load_outputs
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow

REPLACED = "environment 'dev' was applied again or replaced: reopened"
GONE = "environment 'dev' is gone (destroyed?); watching for it to come back"
HOLD_EXCLUSIVE = """
import sys
from tooling.envlock import Mode, env_lock
from tooling.workspace import Workspace
with env_lock(Workspace.for_env("dev"), Mode.EXCLUSIVE, command="demo"):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def applied(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    workspace = Workspace.for_env("dev")
    local.apply_local(deploy.prepare(workspace))
    return workspace


def tooling(*args: str) -> None:
    """A command run elsewhere (another process)."""
    proc = subprocess.run(
        [sys.executable, "-m", "tooling", *args], capture_output=True, text=True, check=False, timeout=180
    )
    assert proc.returncode == 0, proc.stderr


def destroy(workspace: Workspace) -> None:
    assert targets.destroy(workspace, "local", None, confirm=lambda _question: True, wait_timeout=5)


def publish_users(workspace: Workspace, *user_ids: str) -> list[str]:
    bus = local.open_local_bus(workspace, load_outputs(workspace), dispatch=False)
    entries = [
        {"Source": "ecommerce.users", "DetailType": "User Registered", "Detail": json.dumps({"userId": u})}
        for u in user_ids
    ]
    results = bus.put_events(entries)
    assert local.drain(workspace, timeout=60).complete
    return [str(r["EventId"]) for r in results]


def matched(snapshot: dict[str, Any]) -> int:
    return sum(int(rule["metrics"]["matched_events"]) for rule in snapshot["rules"])


def on_sleeps(monkeypatch: pytest.MonkeyPatch, *steps: Callable[[], None]) -> None:
    """Run one step at each sleep of the watch loop, then interrupt it (Ctrl-C)."""
    pending = list(steps)

    def sleep(_seconds: float) -> None:
        if not pending:
            raise KeyboardInterrupt
        pending.pop(0)()

    monkeypatch.setattr(monitor_cli, "_sleep", sleep)


def test_monitor_watch_reopens_an_environment_destroyed_and_applied_again_elsewhere(
    applied: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_users(applied, "u-1", "u-2", "u-3")

    def replace() -> None:  # a second terminal: the destroy would refuse if the watch held the lock
        tooling("destroy", "--target", "local", "-y", "--wait-timeout", "5")
        tooling("apply", "--target", "local")

    on_sleeps(monkeypatch, replace)

    result = CliRunner().invoke(app, ["monitor", "--watch", "--json", "--interval", "1"])

    assert result.exit_code == 0, result.output
    before, after = (json.loads(line) for line in result.stdout.splitlines())
    assert matched(before) >= 3
    assert matched(after) == 0  # the new, empty environment, not the deleted database
    assert result.stderr.splitlines() == [REPLACED]


def test_monitor_watch_says_the_environment_is_gone_and_picks_it_up_again(
    applied: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_users(applied, "u-1")
    # In-process: were the watch holding the lock between refreshes, this destroy would be refused.
    on_sleeps(monkeypatch, lambda: destroy(applied), lambda: local.apply_local(deploy.prepare(applied)))

    result = CliRunner().invoke(app, ["monitor", "--watch", "--json", "--interval", "1"])

    assert result.exit_code == 0, result.output
    before, after = (json.loads(line) for line in result.stdout.splitlines())  # nothing while it was gone
    assert matched(before) > 0 and matched(after) == 0
    assert result.stderr.splitlines() == [GONE, REPLACED]


def test_monitor_watch_skips_refreshes_while_an_exclusive_command_holds_the_environment(
    applied: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_EXCLUSIVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )

    def hold() -> None:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"

    def release() -> None:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)

    try:
        on_sleeps(monkeypatch, hold, release)

        result = CliRunner().invoke(app, ["monitor", "--watch", "--json", "--interval", "1"])
    finally:
        holder.kill()
        holder.wait()

    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2  # the first and the third refresh
    [busy] = result.stderr.splitlines()
    assert busy.startswith(f"environment 'dev' is in use by demo (pid {holder.pid}, since ")
    assert busy.endswith("); waiting")


def test_logs_follow_prints_the_new_environments_lines_after_destroy_and_apply(
    applied: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    [old_event] = publish_users(applied, "u-old")
    new_events: list[str] = []

    def replace_and_publish() -> None:  # in-process: the follow holds no lock between two polls
        destroy(applied)
        local.apply_local(deploy.prepare(applied))
        new_events.extend(publish_users(applied, "u-new"))

    on_sleeps(monkeypatch, replace_and_publish)

    result = CliRunner().invoke(
        app, ["logs", "--follow", "--json", "--function", "processor", "--interval", "1"]
    )

    assert result.exit_code == 0, result.output
    messages = [json.loads(line)["message"] for line in result.stdout.splitlines()]
    # The new store numbers its lines from 1 again: they are not mistaken for lines already printed.
    assert any(old_event in m for m in messages) and any(new_events[0] in m for m in messages)
    starts = [m for m in messages if m.startswith("START RequestId")]
    assert len(starts) == 2
    assert result.stderr.splitlines() == [REPLACED]
