"""The event store on the local target: the batch processor's SQLite file (`.tooling/<env>/event_store.sqlite`,
table `events`, the DynamoDB table's items; see lambda_src/event_processors/sqlite_event_store.py), read
with the same key conditions as the DynamoDB Query."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from tooling.local.store import damage_named, database_damaged
from tooling.observe.event_store import EventQuery, StoredEvent, stored_event

COLUMNS = ("id", "source", "detail_type", "time", "event")
# Written since the business key; a file from before lacks them (the batch processor adds them on its next
# write), and the rows it holds read without them.
NEWER_COLUMNS = ("business_key", "region", "processed_in")
# In the environment's state folder; provision points the batch processor's EVENT_STORE_SQLITE_PATH at it.
EVENT_STORE_FILE = "event_store.sqlite"


class LocalEventStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection | None:
        """None until the batch processor has written its first event (the table does not exist yet)."""
        if not self.path.is_file():
            if self.path.exists():
                raise database_damaged(self.path, "not a regular file")
            return None
        # Not mode=ro: reading a WAL database may need to create its -shm file; nothing here writes.
        conn = sqlite3.connect(self.path, timeout=10.0)
        conn.row_factory = sqlite3.Row
        try:
            with damage_named(self.path):
                found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone()
        except BaseException:
            conn.close()
            raise
        if found is None:
            conn.close()
            return None
        return conn

    def query(self, query: EventQuery, now: datetime) -> list[StoredEvent]:
        conn = self._connect()
        if conn is None:
            return []
        where = ["expiration > ?"]
        params: list[object] = [int(now.timestamp())]
        if query.detail_type is not None:
            where.append("pk = ?")
            params.append(f"{query.source}#{query.detail_type}")
        else:
            where.append("source = ?")
            params.append(query.source)
        since = query.since_text(now)
        if since is not None:
            where.append("sk >= ?")
            params.append(since)
        try:
            with damage_named(self.path):
                present = {str(row[1]) for row in conn.execute("PRAGMA table_info(events)")}
                columns = ", ".join([*COLUMNS, *(name for name in NEWER_COLUMNS if name in present)])
                rows = conn.execute(
                    f"SELECT {columns} FROM events WHERE {' AND '.join(where)} ORDER BY sk DESC LIMIT ?",
                    (*params, query.limit),
                ).fetchall()
        finally:
            conn.close()
        return [stored_event(dict(row)) for row in rows]

    def item_count(self) -> int | None:
        conn = self._connect()
        if conn is None:
            return 0
        try:
            with damage_named(self.path):
                return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
        finally:
            conn.close()
