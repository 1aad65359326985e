"""Idempotency records in a SQLite file, for the local target (stdlib sqlite3, same semantics as DynamoDB).

``BEGIN IMMEDIATE`` takes the write lock before reading, so two worker processes claiming the same key are
serialised and only one wins.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from event_processors.idempotency import COMPLETED, IN_PROGRESS, StoredRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    expiration INTEGER NOT NULL,
    in_progress_expiration REAL,
    data TEXT
)
"""


class SQLiteIdempotencyStore:
    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        # Opened once per container (on first use) and kept, like a boto3 client.
        if self._connection is None:
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
            # Event data: created owner-only whatever the umask; SQLite gives its journal files this mode.
            os.close(os.open(self._path, os.O_WRONLY | os.O_CREAT, 0o600))
            connection = sqlite3.connect(self._path, timeout=10.0, isolation_level=None)
            connection.execute(_SCHEMA)
            self._connection = connection
        return self._connection

    def claim(
        self, key: str, *, now: float, expires_at: int, in_progress_until: float
    ) -> StoredRecord | None:
        connection = self._connect()
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(
                "SELECT status, expiration, in_progress_expiration, data FROM idempotency WHERE id = ?",
                (key,),
            ).fetchone()
            if row is not None:
                status, expiration, in_progress_expiration, data = row
                expired = expiration < now
                abandoned = status == IN_PROGRESS and (in_progress_expiration or 0) < now
                if not expired and not abandoned:
                    connection.execute("COMMIT")
                    result: dict[str, Any] | None = json.loads(data) if data else None
                    return StoredRecord(
                        status=COMPLETED if status == COMPLETED else IN_PROGRESS, result=result
                    )
            connection.execute(
                "INSERT OR REPLACE INTO idempotency (id, status, expiration, in_progress_expiration, data) "
                "VALUES (?, ?, ?, ?, NULL)",
                (key, IN_PROGRESS, expires_at, in_progress_until),
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return None

    def complete(self, key: str, result: dict[str, Any], *, expires_at: int) -> None:
        self._connect().execute(
            "UPDATE idempotency SET status = ?, expiration = ?, in_progress_expiration = NULL, data = ? "
            "WHERE id = ?",
            (COMPLETED, expires_at, json.dumps(result, separators=(",", ":")), key),
        )

    def release(self, key: str) -> None:
        self._connect().execute("DELETE FROM idempotency WHERE id = ?", (key,))
