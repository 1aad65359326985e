"""The local target's state: one SQLite database per environment, `.tooling/<env>/local.sqlite`.

WAL mode, so readers (monitor, logs) never block the writer and a crash never tears a transaction. A file
SQLite cannot read (truncated, overwritten, corrupted by a crash of the disk) is a DamagedStateError naming
the file and the way back (destroy + apply the local target), whichever statement finds it.
Every PutEvents call is one transaction: the accepted events, their archive copies, the SQS messages and SNS
notifications they produce and the Lambda invocations they queue are committed together or not at all.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tooling.errors import DamagedStateError, ToolingError
from tooling.workspace import Workspace, create_private, damaged, make_dir

DB_NAME = "local.sqlite"
SCHEMA_VERSION = "1"
# Counters are kept per second: the monitor sums them over its window.
BUCKET_SECONDS = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rules (
    key TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, arn TEXT NOT NULL, description TEXT NOT NULL,
    state TEXT NOT NULL, pattern TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS targets (
    rule_key TEXT NOT NULL, target_id TEXT NOT NULL, kind TEXT NOT NULL, arn TEXT NOT NULL,
    input_transformer TEXT, max_retry_attempts INTEGER NOT NULL, max_event_age_seconds INTEGER NOT NULL,
    dlq_url TEXT, position INTEGER NOT NULL, PRIMARY KEY (rule_key, target_id));
CREATE TABLE IF NOT EXISTS functions (
    key TEXT PRIMARY KEY, name TEXT NOT NULL, arn TEXT NOT NULL, handler TEXT NOT NULL,
    timeout_seconds INTEGER NOT NULL, memory_mb INTEGER NOT NULL, environment TEXT NOT NULL,
    log_group TEXT NOT NULL, dlq_url TEXT, code_dir TEXT NOT NULL, code_sha256 TEXT NOT NULL,
    async_max_retry_attempts INTEGER NOT NULL, async_max_event_age_seconds INTEGER NOT NULL DEFAULT 21600);
CREATE TABLE IF NOT EXISTS queues (
    url TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, arn TEXT NOT NULL, role TEXT NOT NULL,
    visibility_timeout INTEGER NOT NULL, redrive_url TEXT, max_receive_count INTEGER);
CREATE TABLE IF NOT EXISTS subscriptions (
    arn TEXT PRIMARY KEY, topic_arn TEXT NOT NULL, protocol TEXT NOT NULL, endpoint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, queue_url TEXT NOT NULL,
    body TEXT NOT NULL, attributes TEXT NOT NULL, sent_at REAL NOT NULL, visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0, receipt_handle TEXT);
CREATE INDEX IF NOT EXISTS messages_queue ON messages (queue_url, visible_at);
CREATE TABLE IF NOT EXISTS archive (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, event_time REAL NOT NULL,
    ingested_at REAL NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS archive_time ON archive (event_time);
CREATE TABLE IF NOT EXISTS notifications (
    message_id TEXT PRIMARY KEY, topic_arn TEXT NOT NULL, message TEXT NOT NULL, published_at REAL NOT NULL,
    rule_key TEXT, event_id TEXT);
CREATE TABLE IF NOT EXISTS notification_deliveries (
    message_id TEXT NOT NULL, subscription_arn TEXT NOT NULL, protocol TEXT NOT NULL, endpoint TEXT NOT NULL,
    status TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, function_key TEXT NOT NULL, payload TEXT NOT NULL,
    source TEXT NOT NULL, rule_key TEXT, target_id TEXT, event_id TEXT, ingested_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL, deadline REAL NOT NULL,
    not_before REAL NOT NULL, claimed INTEGER NOT NULL DEFAULT 0, request_id TEXT NOT NULL,
    last_error_type TEXT, last_error_message TEXT, capture_path TEXT, capture_offset INTEGER,
    capture_stream TEXT);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (claimed, not_before);
CREATE TABLE IF NOT EXISTS invocations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, function_key TEXT NOT NULL, request_id TEXT NOT NULL,
    event_id TEXT, rule_key TEXT, attempt INTEGER NOT NULL, started_at REAL NOT NULL, duration_ms REAL NOT NULL,
    status TEXT NOT NULL, error_type TEXT, error_message TEXT, result TEXT);
CREATE TABLE IF NOT EXISTS counters (
    bucket INTEGER NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL, metric TEXT NOT NULL,
    value REAL NOT NULL, PRIMARY KEY (scope, name, metric, bucket));
CREATE TABLE IF NOT EXISTS samples (
    ts REAL NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL);
CREATE INDEX IF NOT EXISTS samples_idx ON samples (scope, name, metric, ts);
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, log_group TEXT NOT NULL, log_stream TEXT NOT NULL, ts REAL NOT NULL,
    message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS logs_group ON logs (log_group, ts);
CREATE TABLE IF NOT EXISTS alarm_states (name TEXT PRIMARY KEY, state TEXT NOT NULL, since REAL NOT NULL);
CREATE TABLE IF NOT EXISTS state_machines (
    key TEXT PRIMARY KEY, name TEXT NOT NULL, arn TEXT NOT NULL, type TEXT NOT NULL,
    high_value_threshold REAL NOT NULL, log_group TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS executions (
    arn TEXT PRIMARY KEY, state_machine_arn TEXT NOT NULL, name TEXT NOT NULL, input TEXT NOT NULL,
    status TEXT NOT NULL, output TEXT, error TEXT, cause TEXT, states TEXT NOT NULL, started_at REAL NOT NULL,
    stopped_at REAL, rule_key TEXT, event_id TEXT);
CREATE INDEX IF NOT EXISTS executions_started ON executions (state_machine_arn, started_at);
CREATE TABLE IF NOT EXISTS delivery_streams (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL UNIQUE, bucket TEXT NOT NULL, buffer_bytes INTEGER NOT NULL,
    buffer_seconds INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS firehose_records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, partition_prefix TEXT NOT NULL,
    data TEXT NOT NULL, arrived_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS firehose_records_partition ON firehose_records (stream, partition_prefix, seq);
CREATE TABLE IF NOT EXISTS event_source_mappings (
    uuid TEXT PRIMARY KEY, queue_url TEXT NOT NULL, queue_arn TEXT NOT NULL, function_key TEXT NOT NULL,
    batch_size INTEGER NOT NULL, window_seconds INTEGER NOT NULL, enabled INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS replays (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,
    event_start REAL NOT NULL, event_end REAL NOT NULL, rule_arns TEXT NOT NULL, events_replayed INTEGER NOT NULL,
    last_replayed REAL, started_at REAL NOT NULL, ended_at REAL);
CREATE TABLE IF NOT EXISTS replication_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, accepted_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS alarm_overrides (
    name TEXT PRIMARY KEY, state TEXT NOT NULL, reason TEXT NOT NULL, set_at REAL NOT NULL);
"""
# The table SCHEMA added last: a database without it gets the tables it lacks (every statement is IF NOT EXISTS).
NEWEST_TABLE = "alarm_overrides"


# (table, column, declaration) of every column added to SCHEMA since its first version.
ADDED_COLUMNS = (
    ("functions", "async_max_event_age_seconds", "INTEGER NOT NULL DEFAULT 21600"),
    ("deliveries", "capture_path", "TEXT"),
    ("deliveries", "capture_offset", "INTEGER"),
    ("deliveries", "capture_stream", "TEXT"),
    # [batch_processor] filter_pattern: the mapping's FilterCriteria pattern (JSON text), NULL for none.
    ("event_source_mappings", "filter_pattern", "TEXT"),
)


# SQLite's result codes for a file that is not (or no longer) a readable database; a busy or locked database,
# a full disk or a missing table are other problems with other fixes.
DAMAGE_CODES = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


class LocalStateMissing(ToolingError):
    """Nothing is provisioned on the local target for this environment."""


def db_path(workspace: Workspace) -> Path:
    return workspace.state_dir / DB_NAME


def database_damaged(path: Path, why: str) -> DamagedStateError:
    """The error for a damaged database of the local target (local.sqlite, the event store, ...)."""
    state = path.parent
    if state.parent.name == ".tooling":
        workspace = Workspace(root=state.parent.parent, env=state.name)
        hint = (
            f"{workspace.local_recovery()} rebuilds the local target from the environment file (its events "
            f"and messages are lost); `tooling doctor --env {workspace.env}` checks every state file"
        )
    else:
        hint = "remove it and provision the local target again (tooling apply --target local)"
    return damaged(path, why, hint, what="the local state")


@contextmanager
def damage_named(path: Path) -> Iterator[None]:
    """Turn SQLite's "database disk image is malformed" (and kin) into a DamagedStateError naming `path`."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorname", "") or ""
        if not (code.startswith(DAMAGE_CODES) or type(exc) is sqlite3.DatabaseError):
            raise
        raise database_damaged(path, str(exc)) from None


class Store:
    """One connection, shared by the threads of one process under a lock (PutEvents callers may be many)."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        if (path.exists() or path.is_symlink()) and not path.is_file():
            raise database_damaged(path, "not a regular file")
        if not create and not path.is_file():
            raise LocalStateMissing(
                f"the local target has no state at {path}",
                hint="provision it first: tooling apply --target local",
            )
        make_dir(path.parent)
        # Events, messages and logs: owner-only, whatever the umask (SQLite gives its -wal and -shm files
        # the database's mode).
        create_private(path)
        self.path = path
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        try:
            with damage_named(path):
                self._prepare(create)
        except BaseException:
            self.conn.close()
            raise

    def _prepare(self, create: bool) -> None:
        self.conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives a process crash; only an OS crash may lose the last commits.
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA busy_timeout=30000")
        # A database from before the newest table gets the tables it lacks.
        if (
            create
            or not self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (NEWEST_TABLE,)).fetchone()
        ):
            with self.lock:
                self.conn.executescript(SCHEMA)
        self._add_columns()
        if create:
            self.set_meta("schema_version", SCHEMA_VERSION)

    def _add_columns(self) -> None:
        """Columns added after a database was first created (CREATE TABLE IF NOT EXISTS keeps old tables)."""
        with self.lock:
            for table, column, declaration in ADDED_COLUMNS:
                present = {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    @classmethod
    def open(cls, workspace: Workspace, *, create: bool = False) -> Store:
        return cls(db_path(workspace), create=create)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error), holding the process-wide lock."""
        with self.lock, damage_named(self.path):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] | Mapping[str, Any] = ()) -> list[sqlite3.Row]:
        with self.lock, damage_named(self.path):
            return list(self.conn.execute(sql, params))

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def meta(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return default if value is None else str(value)

    def set_meta(self, key: str, value: str, conn: sqlite3.Connection | None = None) -> None:
        sql = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        if conn is not None:
            conn.execute(sql, (key, value))
        else:
            with self.lock, damage_named(self.path):
                self.conn.execute(sql, (key, value))


def expire_archive(store: Store, now: float | None = None) -> int:
    """Drop archived events older than the archive's retention (0 keeps them forever); return how many."""
    days = int(store.meta("archive_retention_days") or "0")
    if days <= 0:
        return 0
    cutoff = (time.time() if now is None else now) - days * 86400
    with store.transaction() as conn:
        return int(conn.execute("DELETE FROM archive WHERE ingested_at < ?", (cutoff,)).rowcount)


class Counters:
    """Metric increments gathered during one transaction, written at its end in one statement."""

    def __init__(self) -> None:
        self._values: dict[tuple[int, str, str, str], float] = {}
        self._samples: list[tuple[float, str, str, str, float]] = []

    def add(self, scope: str, name: str, metric: str, value: float = 1.0, at: float | None = None) -> None:
        bucket = int((at if at is not None else time.time()) // BUCKET_SECONDS) * BUCKET_SECONDS
        key = (bucket, scope, name, metric)
        self._values[key] = self._values.get(key, 0.0) + value

    def sample(self, scope: str, name: str, metric: str, value: float, at: float | None = None) -> None:
        self._samples.append((at if at is not None else time.time(), scope, name, metric, value))

    def flush(self, conn: sqlite3.Connection) -> None:
        if self._values:
            conn.executemany(
                "INSERT INTO counters (bucket, scope, name, metric, value) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(scope, name, metric, bucket) DO UPDATE SET value = value + excluded.value",
                [(*key, value) for key, value in self._values.items()],
            )
        if self._samples:
            conn.executemany(
                "INSERT INTO samples (ts, scope, name, metric, value) VALUES (?, ?, ?, ?, ?)", self._samples
            )
        self._values.clear()
        self._samples.clear()
