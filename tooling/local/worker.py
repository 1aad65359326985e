"""A warm worker process per function: the local Lambda execution environment.

The worker runs `lambda_runtime.py` with `python -I -S -u`: no PYTHONPATH, no site-packages (so not the
tooling either); on its sys.path the unpacked zip first, then the standard library, then only the AWS SDK
stack (`.tooling/<env>/runtime/`, Lambda's /var/runtime). It gets the function's environment variables and
none of ours, and runs in the code folder. It stays warm between invocations. An invocation that outlives the function's timeout
gets the process killed (as Lambda does) and the next invocation starts a fresh one (a cold start).
"""

from __future__ import annotations

import json
import math
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tooling.local.delivery import Outcome
from tooling.workspace import PRIVATE_MODE, make_dir, write_file

RUNTIME = Path(__file__).with_name("lambda_runtime.py")
# Lambda's init phase limit.
INIT_TIMEOUT_SECONDS = 10.0
CAPTURE_TRUNCATE_BYTES = 1 << 20


class FunctionSpec:
    """What a worker needs of a `functions` row."""

    def __init__(self, row: sqlite3.Row) -> None:
        self.key = str(row["key"])
        self.name = str(row["name"])
        self.arn = str(row["arn"])
        self.handler = str(row["handler"])
        self.timeout_seconds = int(row["timeout_seconds"])
        self.memory_mb = int(row["memory_mb"])
        self.environment: dict[str, str] = json.loads(row["environment"])
        self.log_group = str(row["log_group"])
        self.code_dir = str(row["code_dir"])

    def identity(self) -> tuple[str, str, int, str]:
        """Changes when the worker must be replaced (new code, handler, timeout or environment)."""
        return (
            self.code_dir,
            self.handler,
            self.timeout_seconds,
            json.dumps(self.environment, sort_keys=True),
        )


class Worker:
    def __init__(self, spec: FunctionSpec, workers_dir: Path) -> None:
        self.spec = spec
        self.workers_dir = workers_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.capture_path: Path | None = None
        self.offset = 0
        self.log_stream = ""
        self.init_ms: float | None = None  # set after a cold start, reported once in REPORT
        self.init_error: dict[str, Any] | None = None
        self._buffer = b""
        self.cold_starts = 0
        self._fresh = False  # started and not yet invoked: the next REPORT carries the init duration

    # -- lifecycle ----------------------------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        spec = self.spec
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": spec.code_dir,
            "_HANDLER": spec.handler,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python_local",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
            "LOCAL_FUNCTION_ARN": spec.arn,
        }
        env.update(spec.environment)
        return env

    def start(self) -> None:
        self.stop()
        make_dir(self.workers_dir)
        instance = uuid.uuid4().hex
        self.log_stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{instance}"
        self.capture_path = self.workers_dir / f"{self.spec.key}-{instance[:12]}.log"
        write_file(self.capture_path, b"", PRIVATE_MODE)  # what the function logs: owner-only
        self.offset = 0
        self._buffer = b""
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-I",  # isolated: no PYTHONPATH, no user site, not the tooling's cwd
                "-S",  # no site-packages: only the zip and the runtime's SDK stack, as in Lambda
                "-u",  # unbuffered, so what the handler printed before a timeout kill is kept
                str(RUNTIME),
                self.spec.code_dir,
                self.spec.handler,
                str(self.capture_path),
                str(self.workers_dir.parent / "runtime"),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=self.spec.code_dir,
            env=self._environment(),
            start_new_session=True,
        )
        self.cold_starts += 1
        self._fresh = True
        ready = self._read_line(time.monotonic() + INIT_TIMEOUT_SECONDS)
        if ready is None:
            self.stop()
            self.init_ms = None
            self.init_error = {"errorType": "Runtime.InitError", "errorMessage": "the runtime did not start"}
            return
        self.init_ms = float(ready.get("init_ms") or 0.0)
        self.init_error = ready.get("init_error")

    def ensure_started(self) -> None:
        """Start the process unless it is warm (so the capture file and its offset are known before the
        invocation: the dispatcher records them with the claim, to keep the lines of an interrupted one)."""
        if not self.alive():
            self.start()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()
        if self.capture_path is not None:
            self.capture_path.unlink(missing_ok=True)
            self.capture_path = None

    # -- protocol -----------------------------------------------------------------------------------------
    def _read_line(self, deadline: float) -> dict[str, Any] | None:
        """The next JSON line from the runtime; None on timeout or when the process died."""
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        fd = proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        parsed: dict[str, Any] = json.loads(line)
        return parsed

    def _captured(self) -> list[str]:
        if self.capture_path is None or not self.capture_path.exists():
            return []
        with self.capture_path.open("rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        self.offset += len(data)
        if self.offset > CAPTURE_TRUNCATE_BYTES:
            os.truncate(self.capture_path, 0)
            self.offset = 0
        return [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]

    def invoke(self, payload: str, request_id: str) -> Outcome:
        """Run the handler on `payload` (the JSON the target receives); never raises for handler trouble."""
        if not self.alive() and not self._fresh:  # a start that just failed is not retried here
            self.start()
        init_ms = self.init_ms if self._fresh else None
        self._fresh = False
        started_at = time.time()
        begin = time.monotonic()
        timeout = float(self.spec.timeout_seconds)
        try:
            json.loads(payload)
            event_json = payload
        except ValueError:
            event_json = json.dumps(payload)  # a transformer's plain text reaches the handler as a string
        response: dict[str, Any] | None = None
        if self.alive():
            assert self.proc is not None and self.proc.stdin is not None
            line = '{"request_id":%s,"timeout_ms":%d,"event":%s}\n' % (  # noqa: UP031 - splices raw JSON
                json.dumps(request_id),
                int(timeout * 1000),
                event_json,
            )
            try:
                self.proc.stdin.write(line.encode())
                self.proc.stdin.flush()
                response = self._read_line(begin + timeout)
            except (BrokenPipeError, OSError):
                response = None
        elapsed_ms = (time.monotonic() - begin) * 1000
        captured = self._captured()
        outcome = Outcome(ok=False, started_at=started_at, duration_ms=elapsed_ms, log_stream=self.log_stream)
        if response is None and self.init_error is not None and not self.alive():
            outcome.error_type = self.init_error.get("errorType")
            outcome.error_message = self.init_error.get("errorMessage")
        elif response is None:
            exited = self.alive() is False and elapsed_ms < timeout * 1000
            self.stop()
            outcome.timed_out = not exited
            outcome.error_type = "Runtime.ExitError" if exited else "Sandbox.Timedout"
            outcome.error_message = (
                f"RequestId: {request_id} Error: Runtime exited unexpectedly"
                if exited
                else f"Task timed out after {timeout:.2f} seconds"
            )
            outcome.duration_ms = elapsed_ms if exited else timeout * 1000
        else:
            outcome.ok = bool(response.get("ok"))
            outcome.duration_ms = float(response.get("duration_ms") or elapsed_ms)
            outcome.result = response.get("result")
            if not outcome.ok:
                outcome.error_type = str(response.get("errorType"))
                outcome.error_message = str(response.get("errorMessage"))
                outcome.stack_trace = list(response.get("stackTrace") or [])
                if outcome.error_type == "Runtime.ExitError":
                    self.stop()
        outcome.log_lines = self._log_lines(request_id, started_at, captured, outcome, init_ms, response)
        return outcome

    def _log_lines(
        self,
        request_id: str,
        started_at: float,
        captured: list[str],
        outcome: Outcome,
        init_ms: float | None,
        response: Mapping[str, Any] | None,
    ) -> list[tuple[float, str]]:
        """The function's log events as Lambda writes them: START, the handler's lines, errors, END, REPORT."""
        end = started_at + outcome.duration_ms / 1000
        lines = [(started_at, f"START RequestId: {request_id} Version: $LATEST")]
        lines += [(end, line) for line in captured]
        if outcome.timed_out:
            stamp = datetime.fromtimestamp(end, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            lines.append(
                (end, f"{stamp} {request_id} Task timed out after {self.spec.timeout_seconds:.2f} seconds")
            )
        elif not outcome.ok:
            error = {
                "errorMessage": outcome.error_message,
                "errorType": outcome.error_type,
                "requestId": request_id,
                "stackTrace": outcome.stack_trace,
            }
            lines.append((end, f"[ERROR] {outcome.error_type}: {outcome.error_message}\n{json.dumps(error)}"))
        memory = int((response or {}).get("max_memory_mb") or 0)
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {outcome.duration_ms:.2f} ms\t"
            f"Billed Duration: {math.ceil(outcome.duration_ms)} ms\tMemory Size: {self.spec.memory_mb} MB\t"
            f"Max Memory Used: {memory} MB"
        )
        if init_ms is not None:
            report += f"\tInit Duration: {init_ms:.2f} ms"
        if outcome.timed_out:
            report += "\tStatus: timeout"
        lines += [(end, f"END RequestId: {request_id}"), (end, report)]
        return lines
