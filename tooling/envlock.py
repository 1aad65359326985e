"""One lock per environment, `.tooling/<env>/env.lock` (an flock), taken by every command in the mode it needs.

    SHARED     readers and writers that run side by side: monitor, logs, events query, archive, dlq, outputs,
               graph, publish, replay, invoke, the local target's background dispatcher
    EXCLUSIVE  apply, destroy, demo: they replace the local state (or outputs.json), so nothing else may run

A process takes it once; nested takes in the same process (the demo's destroy, apply and drain, a source
that starts a dispatcher) are re-entrant, and a process holding SHARED cannot ask for EXCLUSIVE (flock's
conversion is not atomic: another process could slip in between).

Who holds it is on record: `.tooling/<env>/lock-holders/<pid>.<mode>.json` (pid, command, since, the process's
start time, so a recycled pid is not mistaken for the holder); a waiter names them in its one line
"waiting for publish (pid 4242, since 12:01:03) to finish ...", and entries of processes that are gone are
ignored. An EXCLUSIVE waiter records itself before it waits: that entry is the request to yield. Background
work (the local dispatcher) stops when it sees one, and a SHARED taker waits behind it, so a stream of short
commands cannot starve a `destroy`. Nothing here ever signals a process.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path

from tooling.errors import ToolingError, UsageError
from tooling.workspace import PRIVATE_MODE, Workspace, create_private, make_dir

LOCK_NAME = "env.lock"
HOLDERS_DIR = "lock-holders"
POLL_SECONDS = 0.05
# A wait shorter than this is not worth a line (a dispatcher yields within its 50 ms poll).
NOTIFY_AFTER_SECONDS = 0.3
# How long apply/destroy/demo wait for the commands using the environment (--wait-timeout).
DEFAULT_WAIT_TIMEOUT = 60.0


class Mode(Enum):
    SHARED = "shared"
    EXCLUSIVE = "exclusive"


class EnvironmentBusy(UsageError):
    """The lock was not free within the wait timeout."""


@dataclass(frozen=True)
class Holder:
    """A process that holds the lock (or, `waiting`, asks for it EXCLUSIVE)."""

    pid: int
    command: str
    mode: Mode
    waiting: bool
    since: float

    def describe(self) -> str:
        return f"{self.command} (pid {self.pid}, since {_clock(self.since)})"


@dataclass
class _Held:
    fd: int
    mode: Mode
    depth: int
    entry: Path
    owner: int  # the pid that took it: a forked child shares the descriptor but must not release it


# Per process: lock file -> what this process holds. _GUARD is held across a whole first acquisition, so two
# threads of one process never open the file twice (two descriptors would conflict with each other).
_HELD: dict[Path, _Held] = {}
_GUARD = threading.Lock()


def lock_path(workspace: Workspace) -> Path:
    return workspace.state_dir / LOCK_NAME


def holders_dir(workspace: Workspace) -> Path:
    return workspace.state_dir / HOLDERS_DIR


def stderr_line(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextmanager
def env_lock(
    workspace: Workspace,
    mode: Mode,
    *,
    command: str,
    wait_timeout: float | None = None,
    notify: Callable[[str], None] | None = stderr_line,
) -> Iterator[None]:
    """Hold the environment's lock in `mode` for the block. Waits while others hold it in a conflicting mode
    (saying once, through `notify`, for whom); after `wait_timeout` seconds (None: no limit) raises
    EnvironmentBusy naming them. SHARED on an environment that has no state folder holds nothing: there is
    nothing to protect, and a reader must not create the folder."""
    if mode is Mode.SHARED and not workspace.state_dir.is_dir():
        yield
        return
    key = _acquire(workspace, mode, command, wait_timeout, notify)
    try:
        yield
    finally:
        _release(key)


@contextmanager
def env_lock_if_free(workspace: Workspace, mode: Mode, *, command: str) -> Iterator[bool]:
    """Hold the lock for the block if it can be had now (True), else run the block without it (False).
    A SHARED take also gives way to an EXCLUSIVE waiter: background work must not delay a destroy."""
    if mode is Mode.SHARED and not workspace.state_dir.is_dir():
        yield True  # as env_lock: nothing to protect, and no folder to create
        return
    try:
        key = _acquire(workspace, mode, command, 0.0, None)
    except EnvironmentBusy:
        yield False
        return
    try:
        yield True
    finally:
        _release(key)


def held(workspace: Workspace) -> Mode | None:
    """The mode this process holds the environment's lock in, None when it does not."""
    with _GUARD:
        found = _HELD.get(_key(workspace))
    return None if found is None else found.mode


def holders(workspace: Workspace) -> list[Holder]:
    """The live holders and exclusive waiters of the lock, oldest first (entries of dead processes are
    removed on the way)."""
    try:
        names = os.listdir(holders_dir(workspace))
    except OSError:
        return []
    return _live(workspace, [n for n in names if n.endswith(".json")])


def exclusive_requested(workspace: Workspace) -> Holder | None:
    """Another process that holds the lock EXCLUSIVE or waits for it: the request that background work
    stop. Cheap enough for a 50 ms poll (a directory listing; entries are read only when one is exclusive)."""
    try:
        names = os.listdir(holders_dir(workspace))
    except OSError:
        return None
    exclusive = [n for n in names if n.endswith(f".{Mode.EXCLUSIVE.value}.json")]
    if not exclusive:
        return None
    me = os.getpid()
    return next((h for h in _live(workspace, exclusive) if h.pid != me), None)


def _key(workspace: Workspace) -> Path:
    return lock_path(workspace).absolute()


def _acquire(
    workspace: Workspace,
    mode: Mode,
    command: str,
    wait_timeout: float | None,
    notify: Callable[[str], None] | None,
) -> Path:
    key = _key(workspace)
    with _GUARD:
        current = _HELD.get(key)
        if current is not None:
            if current.mode is Mode.SHARED and mode is Mode.EXCLUSIVE:
                raise ToolingError(
                    f"{command} needs environment {workspace.env!r} to itself, but this process already "
                    "uses it alongside others",
                    hint="run it as a command of its own",
                )
            current.depth += 1
            return key
        fd = _open(workspace)
        me = os.getpid()
        entry = holders_dir(workspace) / f"{me}.{mode.value}.json"
        try:
            _wait(workspace, fd, mode, command, entry, wait_timeout, notify)
            _write_entry(entry, command, mode, waiting=False)
        except BaseException:
            entry.unlink(missing_ok=True)
            os.close(fd)
            raise
        _HELD[key] = _Held(fd=fd, mode=mode, depth=1, entry=entry, owner=me)
        return key


def _wait(
    workspace: Workspace,
    fd: int,
    mode: Mode,
    command: str,
    entry: Path,
    wait_timeout: float | None,
    notify: Callable[[str], None] | None,
) -> None:
    if mode is Mode.EXCLUSIVE:
        _write_entry(entry, command, mode, waiting=True)  # the request that others yield
    flags = fcntl.LOCK_NB | (fcntl.LOCK_EX if mode is Mode.EXCLUSIVE else fcntl.LOCK_SH)
    begin = time.monotonic()
    notified = False
    while True:
        # A SHARED taker lets an exclusive waiter go first (its entry is written before it waits).
        if mode is Mode.EXCLUSIVE or exclusive_requested(workspace) is None:
            try:
                fcntl.flock(fd, flags)
                return
            except BlockingIOError:
                pass
        elapsed = time.monotonic() - begin
        if wait_timeout is not None and elapsed >= wait_timeout:
            raise EnvironmentBusy(
                f"environment {workspace.env!r} is in use by {_blockers(workspace, mode)}; gave up after "
                f"{wait_timeout:g} s",
                hint="let it finish (or stop it) and run again, or wait longer with --wait-timeout SECONDS",
            )
        if notify is not None and not notified and elapsed >= NOTIFY_AFTER_SECONDS:
            notify(f"waiting for {_blockers(workspace, mode)} to finish ...")
            notified = True
        time.sleep(POLL_SECONDS)


def _release(key: Path) -> None:
    with _GUARD:
        current = _HELD[key]
        current.depth -= 1
        if current.depth:
            return
        del _HELD[key]
        if current.owner == os.getpid():
            current.entry.unlink(missing_ok=True)
            fcntl.flock(current.fd, fcntl.LOCK_UN)
        os.close(current.fd)


def _open(workspace: Workspace) -> int:
    path = lock_path(workspace)
    try:
        make_dir(holders_dir(workspace))
        # Owner-only whatever the umask: its holders' entries say who runs what.
        return os.open(create_private(path), os.O_RDONLY)
    except OSError as exc:
        raise UsageError(
            f"cannot open the environment lock {path}: {exc.strerror or exc}",
            hint=f"{workspace.state_dir} must be a folder this user can write",
        ) from None


def _write_entry(entry: Path, command: str, mode: Mode, *, waiting: bool) -> None:
    pid = os.getpid()
    record = {
        "pid": pid,
        "command": command,
        "mode": mode.value,
        "waiting": waiting,
        "since": time.time(),
        "start": _start_time(pid),
    }
    # Written whole then renamed: a reader never sees half an entry.
    tmp = entry.with_name(f".{entry.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)
        os.write(fd, json.dumps(record).encode("utf-8"))
    finally:
        os.close(fd)
    os.replace(tmp, entry)


def _live(workspace: Workspace, names: list[str]) -> list[Holder]:
    found = []
    folder = holders_dir(workspace)
    for name in names:
        try:
            record = json.loads((folder / name).read_text(encoding="utf-8"))
            holder = Holder(
                pid=int(record["pid"]),
                command=str(record["command"]),
                mode=Mode(record["mode"]),
                waiting=bool(record["waiting"]),
                since=float(record["since"]),
            )
            start = record.get("start")
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written or removed right now, or not ours: it names no one
        if _alive(holder.pid, None if start is None else str(start)):
            found.append(holder)
        else:
            (folder / name).unlink(missing_ok=True)
    return sorted(found, key=lambda h: h.since)


def _blockers(workspace: Workspace, mode: Mode) -> str:
    me = os.getpid()
    others = [h for h in holders(workspace) if h.pid != me]
    if mode is Mode.SHARED:
        others = [h for h in others if h.mode is Mode.EXCLUSIVE]
    else:
        others = [h for h in others if not h.waiting] or others
    if not others:
        return f"another command using environment {workspace.env!r}"
    return ", ".join(h.describe() for h in others)


def _start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot, /proc/<pid>/stat field 22): with the pid, it names one
    process even after the pid is recycled. None where /proc is not there (or the process is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the name in parentheses may hold spaces
    return fields[19] if len(fields) > 19 else None


def _alive(pid: int, start: str | None) -> bool:
    if start is not None:
        return _start_time(pid) == start
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clock(at: float) -> str:
    moment = datetime.fromtimestamp(at)
    if moment.date() == datetime.now().date():
        return f"{moment:%H:%M:%S}"
    return f"{moment:%Y-%m-%d %H:%M:%S}"


__all__ = [
    "DEFAULT_WAIT_TIMEOUT",
    "EnvironmentBusy",
    "Holder",
    "Mode",
    "env_lock",
    "env_lock_if_free",
    "exclusive_requested",
    "held",
    "holders",
]
