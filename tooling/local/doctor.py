"""The local target's part of `tooling doctor`: its databases, lock files and folders, checked read-only.

A database is checked with SQLite's `PRAGMA quick_check` over a read-only connection. A damaged database
is repaired by provisioning the local target afresh (destroy + apply: its events and messages are lost, as
they are unreadable anyway); a lock file or a folder with something else in its place is removed, then the
target is applied again, which keeps the data.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tooling.deploy.doctor import Finding, remove
from tooling.local.dispatch import LOCK_NAME as DISPATCHER_LOCK
from tooling.local.event_store_source import EVENT_STORE_FILE
from tooling.local.firehose import LOCK_NAME as FIREHOSE_LOCK
from tooling.local.regions import secondary_db_files
from tooling.local.store import DB_NAME
from tooling.workspace import Workspace, shown

IDEMPOTENCY_FILE = "idempotency.sqlite"
DATABASES = (DB_NAME, EVENT_STORE_FILE, IDEMPOTENCY_FILE)
LOCKS = (DISPATCHER_LOCK, FIREHOSE_LOCK)
FOLDERS = ("code", "runtime", "workers", "s3")


def in_use(workspace: Workspace) -> bool:
    """Whether the environment has local state to check (the local target was applied)."""
    return any(_present(workspace.state_dir / name) for name in DATABASES)


def check_local(workspace: Workspace) -> list[Finding]:
    """Findings for the local target's files; none when it was never applied."""
    if not workspace.state_dir.is_dir() or not in_use(workspace):
        return []
    recovery = f"{workspace.local_recovery()} (or `tooling doctor --env {workspace.env} --repair`)"
    findings = [_check_database(path, recovery) for path in _databases(workspace)]
    for name in LOCKS:
        path = workspace.state_dir / name
        # An absent lock file is the usual state (it is created when first taken): only present ones are listed.
        if _present(path) and not path.is_file():
            findings.append(
                Finding("lock file", path, "damaged", "not a file", f"remove it (rm -r {shown(path)})")
            )
        elif path.is_file():
            findings.append(Finding("lock file", path, "ok"))
    for name in FOLDERS:
        path = workspace.state_dir / name
        if _present(path) and not path.is_dir():
            fix = f"remove it (rm {shown(path)}) and apply the local target again"
            findings.append(Finding("local folder", path, "damaged", "a file, not a folder", fix))
    return findings


def _databases(workspace: Workspace) -> list[Path]:
    """The primary's databases, then [failover]'s secondary region's store when there is one."""
    secondary = [path for path in secondary_db_files(workspace) if path.suffix == ".sqlite"]
    return [workspace.state_dir / name for name in DATABASES] + secondary


def _present(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _check_database(path: Path, recovery: str) -> Finding:
    if not _present(path):
        return Finding("local database", path, "absent")
    if not path.is_file():
        return Finding("local database", path, "damaged", "not a regular file", recovery)
    # Read-only, and creating nothing: a WAL database opened read-only gets -wal and -shm files, so one
    # without a -wal (nothing pending, nobody writing) is read as immutable instead.
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?{mode}", uri=True, timeout=10.0)
    except sqlite3.Error as exc:
        return Finding("local database", path, "damaged", str(exc), recovery)
    try:
        rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        return Finding("local database", path, "damaged", str(exc), recovery)
    finally:
        conn.close()
    if rows != ["ok"]:
        return Finding("local database", path, "damaged", "; ".join(rows[:3]), recovery)
    return Finding("local database", path, "ok")


def repair_paths(workspace: Workspace, damaged: list[Finding]) -> bool:
    """Remove what stands in the place of a lock file or a folder. True when a database is damaged too:
    then only provisioning afresh (destroy + apply) brings the target back."""
    if any(f.check == "local database" for f in damaged):
        return True
    for finding in damaged:
        remove(finding.path)
    return False
