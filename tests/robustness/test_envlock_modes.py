"""The environment lock itself (tooling/envlock.py): modes, re-entrance, who waits for whom, the one line a
waiter prints, the refusal after the wait timeout, stale holder entries, and file modes under umask 000.
Other holders are real processes (a lock held by this process would be re-entrant)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tooling.envlock import (
    EnvironmentBusy,
    Mode,
    env_lock,
    env_lock_if_free,
    exclusive_requested,
    held,
    holders,
    holders_dir,
    lock_path,
)
from tooling.errors import ToolingError
from tooling.workspace import Workspace

HOLD = """
import sys
from tooling.envlock import Mode, env_lock
from tooling.workspace import Workspace
mode, command, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
with env_lock(Workspace.for_env("dev"), Mode(mode), command=command, wait_timeout=timeout, notify=None):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("TOOLING_ROOT", str(tmp_path))
    ws = Workspace.for_env("dev")
    ws.ensure()
    return ws


class Holder:
    """Another process holding (or waiting for) the lock until released."""

    def __init__(self, mode: Mode, command: str, timeout: float = 60.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLD, mode.value, command, str(timeout)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ},
        )  # fmt: skip
        self.pid = self.proc.pid

    def wait_held(self) -> None:
        assert self.proc.stdout is not None and self.proc.stdout.readline() == "held\n"

    def release(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(timeout=30) == 0


@pytest.fixture
def others() -> Iterator[list[Holder]]:
    started: list[Holder] = []
    yield started
    for holder in started:
        holder.proc.kill()
        holder.proc.wait()


def hold(others: list[Holder], mode: Mode, command: str, *, wait: bool = True) -> Holder:
    holder = Holder(mode, command)
    others.append(holder)
    if wait:
        holder.wait_held()
    return holder


def test_a_destructive_command_gives_up_after_its_timeout_naming_the_holder_in_one_line(
    workspace: Workspace, others: list[Holder]
) -> None:
    publisher = hold(others, Mode.SHARED, "publish batch")
    lines: list[str] = []

    with (
        pytest.raises(EnvironmentBusy) as refused,
        env_lock(workspace, Mode.EXCLUSIVE, command="destroy", wait_timeout=1.0, notify=lines.append),
    ):
        pytest.fail("the lock was taken from under a running publish")

    assert refused.value.exit_code == 2
    assert refused.value.message.startswith(
        f"environment 'dev' is in use by publish batch (pid {publisher.pid}, since "
    )
    assert len(lines) == 1 and lines[0].startswith(f"waiting for publish batch (pid {publisher.pid}, since ")
    assert holders(workspace)[0].pid == publisher.pid  # the refusal left the holder's entry alone
    assert not list(holders_dir(workspace).glob(f"{os.getpid()}.*"))  # and took its own request back


def test_readers_and_writers_share_it(workspace: Workspace, others: list[Holder]) -> None:
    hold(others, Mode.SHARED, "publish batch")
    hold(others, Mode.SHARED, "monitor")

    with env_lock(workspace, Mode.SHARED, command="dlq list", wait_timeout=0.0, notify=None):
        assert held(workspace) is Mode.SHARED

    assert sorted(h.command for h in holders(workspace)) == ["monitor", "publish batch"]


def test_an_exclusive_waiter_goes_before_new_shared_takers_and_stops_background_work(
    workspace: Workspace, others: list[Holder]
) -> None:
    publisher = hold(others, Mode.SHARED, "publish batch")
    destroy = hold(others, Mode.EXCLUSIVE, "destroy", wait=False)
    deadline = time.monotonic() + 30
    while exclusive_requested(workspace) is None and time.monotonic() < deadline:
        time.sleep(0.02)

    # Only a publish holds it, so flock alone would grant SHARED: the waiting destroy comes first.
    with env_lock_if_free(workspace, Mode.SHARED, command="dispatcher") as free:
        assert not free
    requested = exclusive_requested(workspace)
    assert requested is not None and requested.pid == destroy.pid and requested.waiting

    publisher.release()
    destroy.wait_held()
    destroy.release()
    with env_lock_if_free(workspace, Mode.SHARED, command="dispatcher") as free:
        assert free


def test_it_is_reentrant_in_one_process_and_never_upgraded(workspace: Workspace) -> None:
    with env_lock(workspace, Mode.EXCLUSIVE, command="demo", wait_timeout=0.0):
        with (
            env_lock(workspace, Mode.EXCLUSIVE, command="destroy", wait_timeout=0.0),
            env_lock(workspace, Mode.SHARED, command="drain", wait_timeout=0.0),
        ):
            assert held(workspace) is Mode.EXCLUSIVE
        assert held(workspace) is Mode.EXCLUSIVE
        [me] = holders(workspace)
        assert (me.pid, me.command, me.mode) == (os.getpid(), "demo", Mode.EXCLUSIVE)
    assert held(workspace) is None and holders(workspace) == []

    with env_lock(workspace, Mode.SHARED, command="monitor"):
        # Upgrading would wait for itself: refused at once instead.
        with (
            pytest.raises(ToolingError, match="already uses it"),
            env_lock(workspace, Mode.EXCLUSIVE, command="destroy", wait_timeout=5.0),
        ):
            pass
        assert held(workspace) is Mode.SHARED


def test_entries_of_processes_that_are_gone_name_no_one(workspace: Workspace) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead_pid = int(finished.stdout)
    folder = holders_dir(workspace)
    folder.mkdir(exist_ok=True)
    stale = {
        # a process that has exited; and pid 1, alive, but not the process that wrote the entry
        folder / f"{dead_pid}.exclusive.json": {"pid": dead_pid, "start": None},
        folder / "1.exclusive.json": {"pid": 1, "start": "0"},
    }
    for path, record in stale.items():
        path.write_text(json.dumps({**record, "command": "destroy", "mode": "exclusive", "waiting": True,
                                    "since": time.time()}))  # fmt: skip

    assert holders(workspace) == [] and exclusive_requested(workspace) is None
    with env_lock(workspace, Mode.SHARED, command="publish batch", wait_timeout=0.0, notify=None):
        pass
    assert not any(path.exists() for path in stale)


def test_the_lock_and_its_entries_are_owner_only_whatever_the_umask(workspace: Workspace) -> None:
    previous = os.umask(0)
    try:
        with env_lock(workspace, Mode.EXCLUSIVE, command="apply", wait_timeout=0.0):
            [entry] = holders_dir(workspace).iterdir()
            assert stat.S_IMODE(entry.stat().st_mode) == 0o600
        assert stat.S_IMODE(lock_path(workspace).stat().st_mode) == 0o600
    finally:
        os.umask(previous)


def test_a_reader_of_an_environment_never_applied_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLING_ROOT", str(tmp_path))
    workspace = Workspace.for_env("prod")

    with env_lock(workspace, Mode.SHARED, command="monitor"):
        pass

    assert not (tmp_path / ".tooling").exists()
