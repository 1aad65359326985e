"""`LogSource` for the local target: the functions' log events as their workers wrote them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from tooling.local.store import Store
from tooling.observe.logs import EMF_PREFIX, LogRecord


class LocalLogSource:
    table = "logs"  # benchmarks/logs.py reads "logs NOT INDEXED" for its baseline

    def __init__(self, store: Store) -> None:
        self.store = store

    def close(self) -> None:
        self.store.close()

    def events(
        self,
        log_group: str,
        start: datetime,
        end: datetime | None = None,
        text: str | None = None,
        *,
        newest: int | None = None,
        metrics: bool = True,
    ) -> Iterable[LogRecord]:
        # One range scan of the (log_group, ts) index; with `newest`, read backwards from the end of the
        # range and stop after N rows, so `--since 1h` costs the same over 200 or 200,000 stored lines.
        sql = f"SELECT id, ts, message, log_stream FROM {self.table} WHERE log_group = ? AND ts >= ?"
        params: list[object] = [log_group, start.timestamp()]
        if end is not None:
            sql += " AND ts < ?"
            params.append(end.timestamp())
        if text:
            # instr() is case-sensitive, like FilterLogEvents' plain-text terms.
            sql += " AND instr(message, ?) > 0"
            params.append(text)
        if not metrics:
            sql += " AND substr(message, 1, ?) != ?"
            params += [len(EMF_PREFIX), EMF_PREFIX]
        if newest is None:
            sql += " ORDER BY ts, id"
        else:
            sql = f"SELECT * FROM ({sql} ORDER BY ts DESC, id DESC LIMIT ?) ORDER BY ts, id"
            params.append(newest)
        return [
            LogRecord(
                timestamp=datetime.fromtimestamp(row["ts"], UTC),
                message=row["message"],
                log_stream=row["log_stream"],
                event_id=str(row["id"]),
            )
            for row in self.store.query(sql, tuple(params))
        ]
