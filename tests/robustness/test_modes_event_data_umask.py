"""Event data at rest is owner-only whatever the umask, and the demo's closing summary fits 80 columns.

One demo-like run under `umask 000` (the demo itself, then a publish that starts the background
dispatcher, then `tooling s3-archive ls`), shared by the tests of this module. Before: `firehose.lock` was
0666 and the archive objects (event data) 0644, their folders 0755; the summary's lines ran to 100 columns
and the demo said nothing about what to try next."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# Files of .tooling/<env>/ that hold no event data (names, hashes, a pid, a time): 0644 like the project's
# other generated files. Everything else there, outside the unpacked Lambda code, is event data or a lock.
NOT_EVENT_DATA = {"outputs.json", "terraform.tfvars.json", "suffix", "dispatcher.pid", "dispatcher.starting"}


@dataclass
class DemoRun:
    root: Path
    demo: subprocess.CompletedProcess[str]

    @property
    def state(self) -> Path:
        return self.root / ".tooling" / "dev"


def _tooling(root: Path, *args: str) -> str:
    """`tooling ARGS` under umask 000, in a shell of its own (the umask never touches this process)."""
    command = " ".join([sys.executable, "-m", "tooling", *args])
    return f"umask 000 && cd {root} && TOOLING_ROOT={root} {command}"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, copy_project: Callable[[Path], Path]) -> Iterator[DemoRun]:
    root = copy_project(tmp_path_factory.mktemp("umask") / "project")
    env = {**os.environ, "COLUMNS": "80"}
    env.pop("TOOLING_LOCAL_DISPATCH", None)  # the background dispatcher writes its log and locks too
    demo = subprocess.run(
        ["bash", "-c", _tooling(root, "demo", "--count", "20")],
        capture_output=True, text=True, env=env, timeout=180, check=False,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stdout + demo.stderr
    for args in (("publish", "order", "--amount", "2500"), ("s3-archive", "ls")):
        step = subprocess.run(
            ["bash", "-c", _tooling(root, *args)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert step.returncode == 0, step.stderr
    try:
        yield DemoRun(root, demo)
    finally:
        subprocess.run(
            ["bash", "-c", _tooling(root, "destroy", "--target", "local", "--yes")],
            capture_output=True, env=env, timeout=60, check=False,
        )  # fmt: skip


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _files(state: Path) -> dict[Path, int]:
    """{file: mode} of the regular files outside the unpacked Lambda code. The background dispatcher may
    still be working: a transient file (a SQLite journal) that goes while walking is left out."""
    found = {}
    for path in state.rglob("*"):
        if "code" in path.relative_to(state).parts:
            continue
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISREG(info.st_mode):
            found[path] = stat.S_IMODE(info.st_mode)
    return found


def test_every_file_holding_event_data_or_a_lock_is_0600_under_umask_000(run: DemoRun) -> None:
    modes = _files(run.state)
    private = [p for p in modes if p.name not in NOT_EVENT_DATA]
    names = {p.name for p in private}

    # The files the brief names are all there to be checked: stores, locks, the dispatcher's log, objects.
    expected = {
        "local.sqlite",
        "event_store.sqlite",
        "idempotency.sqlite",
        "firehose.lock",
        "dispatcher.lock",
    }
    assert expected <= names and "dispatcher.log" in names
    objects = [p for p in private if "s3" in p.relative_to(run.state).parts]
    assert objects and all(p.name.endswith(".gz") for p in objects)
    wrong = {str(p.relative_to(run.state)): oct(modes[p]) for p in private if modes[p] != 0o600}
    assert wrong == {}
    # The others are not writable by anyone else either.
    assert all(mode == 0o644 for p, mode in modes.items() if p.name in NOT_EVENT_DATA)


def test_the_archive_folders_are_owner_only(run: DemoRun) -> None:
    s3 = run.state / "s3"
    folders = [s3, *(p for p in s3.rglob("*") if p.is_dir())]

    assert len(folders) > 3  # s3/, the bucket, source=/year=/month=/day= partitions
    assert {str(p.relative_to(run.state)): oct(_mode(p)) for p in folders if _mode(p) != 0o700} == {}


def test_the_demo_closing_summary_fits_80_columns_and_ends_with_what_to_try_next(run: DemoRun) -> None:
    lines = run.demo.stdout.splitlines()
    closing = lines[next(i for i, line in enumerate(lines) if line.startswith("archive: ")) :]

    assert [line for line in closing if len(line) > 80] == []
    finished = next(i for i, line in enumerate(closing) if line.startswith("demo finished in "))
    tail = closing[finished + 1 :]
    assert tail[0] == "try next:" and 2 <= len(tail) <= 4
    commands = [line.split("  ")[1].strip() for line in tail[1:]]
    assert commands[0] == "tooling publish order --amount 2500"
    assert "tooling monitor --watch" in commands


def test_each_command_the_demo_suggests_runs(run: DemoRun) -> None:
    tail = run.demo.stdout.splitlines()[-3:]
    commands = [line.split("  ")[1].strip() for line in tail]
    env = {**os.environ, "TOOLING_ROOT": str(run.root), "TOOLING_LOCAL_DISPATCH": "off"}

    for command in commands:
        args = command.split()[1:]
        if "--watch" in args:
            args = [*args, "--help"]  # a live view runs until Ctrl-C: its options must parse
        proc = subprocess.run(
            [sys.executable, "-m", "tooling", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=run.root,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, (command, proc.stderr)
