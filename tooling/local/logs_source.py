"""`LogSource` for the local target: the functions' log events as their workers wrote them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from tooling.local.store import Store
from tooling.observe.logs import LogRecord


class LocalLogSource:
    def __init__(self, store: Store) -> None:
        self.store = store

    def events(
        self, log_group: str, start: datetime, end: datetime | None = None, text: str | None = None
    ) -> Iterable[LogRecord]:
        sql = "SELECT * FROM logs WHERE log_group = ? AND ts >= ?"
        params: list[object] = [log_group, start.timestamp()]
        if end is not None:
            sql += " AND ts < ?"
            params.append(end.timestamp())
        if text:
            # instr() is case-sensitive, like FilterLogEvents' plain-text terms.
            sql += " AND instr(message, ?) > 0"
            params.append(text)
        sql += " ORDER BY ts, id"
        return [
            LogRecord(
                timestamp=datetime.fromtimestamp(row["ts"], UTC),
                message=row["message"],
                log_stream=row["log_stream"],
                event_id=str(row["id"]),
            )
            for row in self.store.query(sql, tuple(params))
        ]
