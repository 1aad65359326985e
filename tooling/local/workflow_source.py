"""`WorkflowSource` for the local target: the executions the emulation recorded (workflow_target.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from tooling.local.store import Store
from tooling.observe.workflow import WorkflowExecution


class LocalWorkflowSource:
    def __init__(self, store: Store) -> None:
        self.store = store

    def close(self) -> None:
        self.store.close()

    def executions(self, since: datetime) -> list[WorkflowExecution] | None:
        rows = self.store.query(
            "SELECT name, status, input, error, cause, started_at FROM executions WHERE started_at >= ? "
            "ORDER BY started_at",
            (since.timestamp(),),
        )
        return [
            WorkflowExecution(
                name=row["name"],
                status=row["status"],
                started=datetime.fromtimestamp(row["started_at"], UTC),
                input=row["input"],
                error=row["error"],
                cause=row["cause"],
            )
            for row in rows
        ]
