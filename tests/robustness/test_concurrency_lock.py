"""Commands that run at the same time on one local environment (issue 22, item 1): `destroy` never signals
a process by a pid read from a file, waits for the commands using the environment or refuses (exit 2) after
--wait-timeout without touching anything, stops the background dispatcher cooperatively, and two demos
never run together. Each test drives real `python -m tooling` processes on a throwaway project copy.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tooling import local
from tooling.deploy import pipeline as deploy
from tooling.envlock import Holder, holders
from tooling.local.store import db_path
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow

SINCE = r"since \d\d:\d\d:\d\d"


@pytest.fixture
def applied(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    workspace = Workspace.for_env("dev")
    local.apply_local(deploy.prepare(workspace))
    return workspace


def tooling(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tooling", *args],
        capture_output=True, text=True, check=False, timeout=180, env={**os.environ, **env},
    )  # fmt: skip


def start(*args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tooling", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env},
    )  # fmt: skip


def wait_for_holder(
    workspace: Workspace, command: str, process: subprocess.Popen[str] | None = None
) -> Holder:
    """The live holder of the environment's lock running `command`, once it holds it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [h for h in holders(workspace) if h.command == command and not h.waiting]
        if found:
            return found[0]
        if process is not None and process.poll() is not None:
            pytest.fail(f"{command} ended before it held the lock: {process.communicate()}")
        time.sleep(0.02)
    pytest.fail(f"{command} never held the environment's lock")


def running(pid: int) -> bool:
    """The process exists and is not a zombie waiting for a parent that will never reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def exited(pid: int) -> bool:
    """Whether the process is gone (or soon is: it may still be tearing down the interpreter)."""
    deadline = time.monotonic() + 30
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not running(pid)


def tree(folder: Path) -> list[tuple[str, int, int]]:
    return sorted(
        (str(p.relative_to(folder)), p.stat().st_size if p.is_file() else -1, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    )


def test_destroy_never_signals_the_process_dispatcher_pid_names(applied: Workspace) -> None:
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        # As the issue found it: a pid file naming some other process, the dispatcher lock held.
        (applied.state_dir / "dispatcher.pid").write_text(f"{bystander.pid}\n")
        with (applied.state_dir / "dispatcher.lock").open("a+") as held:
            fcntl.flock(held.fileno(), fcntl.LOCK_EX)
            destroyed = tooling("destroy", "--target", "local", "-y")

        assert destroyed.returncode == 0, destroyed.stderr
        assert bystander.poll() is None  # never signalled
        assert not db_path(applied).exists()
    finally:
        bystander.kill()
        bystander.wait()


def test_destroy_waits_for_a_running_publish_saying_for_whom(applied: Workspace) -> None:
    publisher = start("publish", "batch", "--count", "30", "--rate", "10", "--seed", "1", "--json")
    wait_for_holder(applied, "publish batch", publisher)

    destroyed = tooling("destroy", "--target", "local", "-y")
    out, err = publisher.communicate(timeout=120)

    assert publisher.returncode == 0, err
    assert json.loads(out)["published"] == 30
    assert destroyed.returncode == 0, destroyed.stderr
    waiting = [line for line in destroyed.stderr.splitlines() if line.startswith("waiting for")]
    assert len(waiting) == 1
    assert re.fullmatch(
        rf"waiting for publish batch \(pid {publisher.pid}, {SINCE}\) to finish \.\.\.", waiting[0]
    )
    assert not db_path(applied).exists()


def test_destroy_refuses_after_its_wait_timeout_and_leaves_the_publish_whole(applied: Workspace) -> None:
    # Five seconds of publishing: the destroy below gives up long before it ends.
    publisher = start("publish", "batch", "--count", "50", "--rate", "10", "--seed", "2", "--json")
    wait_for_holder(applied, "publish batch", publisher)

    refused = tooling("destroy", "--target", "local", "-y", "--wait-timeout", "0.5")
    out, err = publisher.communicate(timeout=120)

    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    error, hint = refused.stderr.splitlines()[-2:]
    assert re.fullmatch(
        rf"error: environment 'dev' is in use by publish batch \(pid {publisher.pid}, {SINCE}\); "
        r"gave up after 0\.5 s",
        error,
    )
    assert hint.startswith("  hint: ") and "--wait-timeout SECONDS" in hint
    # Nothing was removed: every event the publisher reports is in the store, the outputs are still there.
    assert publisher.returncode == 0, err
    assert json.loads(out)["published"] == 50
    with sqlite3.connect(db_path(applied)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM archive").fetchone()[0] == 50
    assert applied.outputs_path.is_file()


def test_destroy_stops_the_background_dispatcher_which_writes_nothing_afterwards(applied: Workspace) -> None:
    # The publish starts a background dispatcher; it stays up while the S3 archive's stream buffers records
    # (Firehose writes them after buffer_interval_seconds, 60 in dev.toml).
    published = tooling(
        "publish", "batch", "--count", "10", "--seed", "3", TOOLING_LOCAL_DISPATCH="background"
    )
    assert published.returncode == 0, published.stderr
    dispatcher = wait_for_holder(applied, "dispatcher")
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        (applied.state_dir / "dispatcher.pid").write_text(f"{bystander.pid}\n")

        destroyed = tooling("destroy", "--target", "local", "-y")

        assert destroyed.returncode == 0, destroyed.stderr
        assert exited(dispatcher.pid)  # it released the lock (so the destroy could go on) as it ended
        assert bystander.poll() is None
        after = tree(applied.state_dir)
        assert not (applied.state_dir / "s3").exists()
        time.sleep(2)  # a dispatcher left running would write archive objects or its log here
        assert tree(applied.state_dir) == after
    finally:
        bystander.kill()
        bystander.wait()


def test_a_second_demo_refuses_cleanly_while_one_runs_and_the_store_stays_whole(project_copy: Path) -> None:
    first = start("demo", "--env", "dev", "--count", "20", TOOLING_LOCAL_DISPATCH="off")
    workspace = Workspace.for_env("dev")
    wait_for_holder(workspace, "demo", first)

    second = tooling("demo", "--env", "dev", "--count", "20", "--wait-timeout", "1")
    out, err = first.communicate(timeout=180)

    assert second.returncode == 2
    assert "Traceback" not in second.stderr and "Traceback" not in err
    error, hint = second.stderr.splitlines()[-2:]
    assert re.fullmatch(
        rf"error: environment 'dev' is in use by demo \(pid {first.pid}, {SINCE}\); gave up after 1 s", error
    )
    assert hint.startswith("  hint: ")
    assert first.returncode == 0, out + err
    assert re.search(r"demo finished in [\d.]+ s: OK", out)
    with sqlite3.connect(db_path(workspace)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    monitored = tooling("monitor", "--json")
    assert monitored.returncode == 0, monitored.stderr
    assert json.loads(monitored.stdout)["health"]["status"] == "OK"
