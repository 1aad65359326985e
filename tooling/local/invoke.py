"""`tooling invoke`: run one function's handler on one event, as `sam local invoke` does.

The same worker the local target's Lambda uses (`worker.py`: an isolated process, the function's
environment, timeout and log format) runs the code of `build/lambda.zip`: the code the local target
unpacked at apply when the zip is unchanged, else the zip unpacked into a temporary folder (so the
deployed code is never touched). Nothing is recorded: no invocation, metric or log line reaches the store.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooling.errors import UsageError
from tooling.local.store import Store, db_path
from tooling.local.worker import FunctionSpec, Worker
from tooling.workspace import Workspace


@dataclass
class InvokeResult:
    function: str  # processor | notifier | analytics
    name: str  # the function's deployed name
    request_id: str
    ok: bool
    duration_ms: float
    result: Any = None
    error_type: str | None = None
    error_message: str | None = None
    code: str = ""  # where the code ran from: "applied" or "build/lambda.zip (newer than the last apply)"
    log_lines: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "name": self.name,
            "request_id": self.request_id,
            "ok": self.ok,
            "duration_ms": round(self.duration_ms, 2),
            "result": self.result,
            "error_type": self.error_type,
            "error_message": self.error_message,
            "code": self.code,
            "logs": self.log_lines,
        }


def _function_row(workspace: Workspace, function: str) -> Any:
    if not db_path(workspace).is_file():
        raise UsageError(
            f"nothing is deployed on the local target for {workspace.env}",
            hint=f"deploy it first: tooling apply --env {workspace.env} --target local",
        )
    store = Store.open(workspace)
    try:
        rows = {str(r["key"]): r for r in store.query("SELECT * FROM functions ORDER BY key")}
    finally:
        store.close()
    if function not in rows:
        raise UsageError(
            f"unknown function {function!r}", hint=f"choose from: {', '.join(rows) or '(none deployed)'}"
        )
    return rows[function]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def invoke_function(workspace: Workspace, function: str, event: Any) -> InvokeResult:
    """Run `function`'s handler once on `event` (parsed JSON) in a fresh worker; the result, its log lines
    (START, the handler's output, END, REPORT) and its duration. Handler errors are results, not raised."""
    row = _function_row(workspace, function)
    spec = FunctionSpec(row)
    zip_path = workspace.zip_path
    with tempfile.TemporaryDirectory(prefix="tooling-invoke-") as scratch:
        code = "applied"
        if zip_path.is_file() and _sha256(zip_path) != str(row["code_sha256"]):
            with zipfile.ZipFile(zip_path) as zf:
                zf.extractall(scratch)
            spec.code_dir = scratch
            code = "build/lambda.zip (newer than the last apply)"
        elif not Path(spec.code_dir).is_dir():
            raise UsageError(
                f"the code of {function} is missing ({spec.code_dir})",
                hint="build and deploy it again: tooling apply --target local",
            )
        worker = Worker(spec, workspace.state_dir / "workers")
        request_id = str(uuid.uuid4())
        try:
            worker.start()
            outcome = worker.invoke(_json_text(event), request_id)
        finally:
            worker.stop()
    return InvokeResult(
        function=function,
        name=spec.name,
        request_id=request_id,
        ok=outcome.ok,
        duration_ms=outcome.duration_ms,
        result=outcome.result,
        error_type=outcome.error_type,
        error_message=outcome.error_message,
        code=code,
        log_lines=[line for _, line in outcome.log_lines],
    )


def _json_text(event: Any) -> str:
    return json.dumps(event, separators=(",", ":"))
