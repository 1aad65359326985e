"""Event store items in a SQLite file (``EVENT_STORE_SQLITE_PATH``), for the local target: the same key and
the same idempotency as the DynamoDB table (INSERT OR IGNORE on the primary key (pk, sk) is the conditional
put). `tooling events query` reads this table on the local target; the schema is declared here and there."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from event_processors.event_store import StoredEvent, WriteOutcome

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    pk TEXT NOT NULL, sk TEXT NOT NULL, id TEXT NOT NULL, source TEXT NOT NULL, detail_type TEXT NOT NULL,
    time TEXT NOT NULL, event TEXT NOT NULL, expiration INTEGER NOT NULL, PRIMARY KEY (pk, sk))
"""
# Attributes added with the business key (a DynamoDB item simply gains them); a file written before has the
# table without them, so they are added in place: its old rows keep NULL there, nothing is rewritten.
ADDED_COLUMNS = ("business_key", "region", "processed_in")
COLUMNS = ("pk", "sk", "id", "source", "detail_type", "time", "event", "expiration", *ADDED_COLUMNS)


class SQLiteEventStore:
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
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(SCHEMA)
            _add_missing_columns(connection)
            self._connection = connection
        return self._connection

    def put_once(self, item: StoredEvent) -> WriteOutcome:
        values = {name: None for name in COLUMNS} | item.attributes()
        cursor = self._connect().execute(
            f"INSERT OR IGNORE INTO events ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join(':' + name for name in COLUMNS)})",
            values,
        )
        return "stored" if cursor.rowcount == 1 else "duplicate"


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    present = {str(row[1]) for row in connection.execute("PRAGMA table_info(events)")}
    for name in ADDED_COLUMNS:
        if name not in present:
            try:
                connection.execute(f"ALTER TABLE events ADD COLUMN {name} TEXT")
            except sqlite3.OperationalError as error:
                # Another region's consumer sharing the file (the local global table) added it first.
                if "duplicate column" not in str(error):
                    raise
