"""Run the deployed functions' Python code on the e2e server while asked to (the failover drill needs the
consumers' effects: the event store items it counts).

moto without Docker records an invocation and answers with its payload: no code runs, so nothing the stack's
functions write (the event store, the idempotency table) ever appears. Between `POST /_e2e/functions
{"run": true}` and `{"run": false}` (harness/run.py turns it on around the drill only, so every other e2e check
keeps what it was written against), each invocation of a Python zip function instead runs its handler:

- in a worker process per function and code version, kept warm as a Lambda container is (imports and
  clients are made once), one invocation at a time per worker;
- with the function's environment variables, AWS_REGION / AWS_DEFAULT_REGION of its region,
  AWS_LAMBDA_FUNCTION_NAME, test credentials and AWS_ENDPOINT_URL pointing back at this server, so its
  boto3 calls land in the emulated region it was deployed to;
- a handler that raises, or returns `batchItemFailures` (an SQS batch), is a function error: moto's event
  source mapping then leaves the messages in the queue, as Lambda returns failed items;
- what the handler printed goes to the function's log group (`/aws/lambda/<name>`, one stream per invocation),
  as Lambda writes a function's output, so `tooling logs` and `tooling smoke` read it with FilterLogEvents.

The worker runs the zip's own code with this Python; it is a stand-in for the runtime, not a sandbox.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import IO, Any

SWITCH_PATH = "/_e2e/functions"
_state = {"run": False}
_endpoint: list[str] = []
_lock = threading.Lock()
# (account, region, function, code digest) -> its warm workers: more than one when an invocation arrives while
# the others are busy (a handler whose own call leads to another invocation of it must not wait for itself).
_workers: dict[tuple[str, str, str, str], list[Worker]] = {}
MAX_WORKERS = 4  # per function version: beyond that an invocation waits for a busy one
_root: list[Path] = []  # where code is unpacked: made on first use, removed at exit


def set_endpoint(url: str) -> None:
    _endpoint[:] = [url]


def running() -> bool:
    return _state["run"]


def set_running(run: bool) -> None:
    _state["run"] = run
    if not run:
        stop_all()


class Worker:
    """One warm process running one function version's handler (tooling_testing/emulator/function_worker.py)."""

    def __init__(self, function: Any, code_dir: Path) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "TOOLING_")) and k != "PYTHONPATH"
        }
        env.update({str(k): str(v) for k, v in (function.environment_vars or {}).items()})
        env.update(
            AWS_REGION=function.region, AWS_DEFAULT_REGION=function.region, AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing", AWS_ENDPOINT_URL=_endpoint[0] if _endpoint else "",
            AWS_LAMBDA_FUNCTION_NAME=function.function_name, AWS_LAMBDA_FUNCTION_VERSION=str(function.version),
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(function.memory_size), PYTHONPATH=str(code_dir),
            PYTHONDONTWRITEBYTECODE="1",
        )  # fmt: skip
        self.name = function.function_name
        self.lock = threading.Lock()
        self.busy = False  # reserved by worker_for for one invocation; released by release()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tooling_testing.emulator.function_worker", str(function.handler)],
            cwd=code_dir, env={**env, "PYTHONPATH": os.pathsep.join([str(code_dir), _tooling_path()])},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sys.stderr, text=True,
        )  # fmt: skip

    def invoke(self, event: Any, request_id: str, timeout: float) -> tuple[bool, Any, list[str]]:
        """(ok, the handler's result or error, the lines it printed) of one invocation."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        with self.lock:
            if self.process.poll() is not None:
                return (
                    False,
                    {"errorMessage": f"the worker of {self.name} exited ({self.process.returncode})"},
                    [],
                )
            stdin.write(json.dumps({"event": event, "request_id": request_id, "timeout": timeout}) + "\n")
            stdin.flush()
            line = _read_line(stdout, timeout + 30)
        if not line:
            exited = self.process.poll() is not None
            self.stop()
            reason = "its worker exited (see the log)" if exited else f"no answer within {timeout + 30:.0f} s"
            return False, {"errorMessage": f"{self.name}: {reason}"}, []
        answer = json.loads(line)
        return bool(answer["ok"]), answer.get("result", answer.get("error")), list(answer.get("logs", []))

    def release(self) -> None:
        with _lock:
            self.busy = False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()


def _read_line(stream: IO[str], timeout: float) -> str:
    """A line from the worker, or "" when it says nothing in time."""
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else ""


def _tooling_path() -> str:
    """Where this package is imported from (the worker module lives there too)."""
    import tooling_testing

    return str(Path(tooling_testing.__file__).resolve().parent.parent)


def _code_dir(function: Any) -> Path:
    if not _root:
        _root.append(Path(tempfile.mkdtemp(prefix="tooling-e2e-functions-")))
    digest = hashlib.sha256(function.code_bytes).hexdigest()[:16]
    target = _root[0] / f"{function.function_name}-{digest}"
    if not target.is_dir():
        partial = target.with_suffix(".partial")
        with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
            archive.extractall(partial)
        partial.rename(target)
    return target


def worker_for(function: Any) -> Worker | None:
    """A warm worker of a Python zip function, reserved for one invocation (release() it after), or None for
    any other kind of function (moto's answer stands)."""
    code = getattr(function, "code_bytes", b"")
    if not code or not str(function.run_time or "").startswith("python") or not function.handler:
        return None
    key = (function.account_id, function.region, function.function_name, hashlib.sha256(code).hexdigest())
    with _lock:
        for old in [k for k in _workers if k[:3] == key[:3] and k != key]:
            for stale in _workers.pop(old):  # a new code version replaces the old containers
                stale.stop()
        pool = _workers.setdefault(key, [])
        pool[:] = [w for w in pool if w.process.poll() is None]
        worker = next((w for w in pool if not w.busy), None)
        if worker is None and len(pool) < MAX_WORKERS:
            worker = Worker(function, _code_dir(function))
            pool.append(worker)
        worker = worker or pool[0]
        worker.busy = True
        return worker


def stop_all() -> None:
    with _lock:
        workers = [w for pool in _workers.values() for w in pool]
        _workers.clear()
    for worker in workers:
        worker.stop()


def _clean_up() -> None:
    stop_all()
    for root in _root:
        shutil.rmtree(root, ignore_errors=True)


atexit.register(_clean_up)


def patch() -> str:
    """Run the handler on invoke while switched on (moto_patches.apply_all calls this)."""
    import importlib

    Simple = importlib.import_module("moto.awslambda_simple.models").LambdaSimpleBackend
    mock_random = importlib.import_module("moto.moto_api._internal").mock_random
    invoke = Simple.invoke

    def invoke_running(
        self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> Any:
        if not running():
            return invoke(self, function_name, qualifier, body, headers, response_headers)
        function = self.get_function(function_name, qualifier)
        worker = worker_for(function)
        if worker is None:
            return invoke(self, function_name, qualifier, body, headers, response_headers)
        event = json.loads(body) if isinstance(body, str | bytes) and body else (body or {})
        request_id = str(mock_random.uuid4())
        try:
            ok, result, lines = worker.invoke(event, request_id, float(function.timeout or 3))
        finally:
            worker.release()
        write_log(function, request_id, lines)
        failed_items = isinstance(result, dict) and bool(result.get("batchItemFailures"))
        if not ok or failed_items:
            response_headers["x-amz-function-error"] = "Unhandled" if not ok else "Handled"
            print(f"function {function.function_name} ({function.region}) failed: {result}", file=sys.stderr)
        return json.dumps(result).encode()

    Simple.invoke = invoke_running
    return "lambda: between POST /_e2e/functions on and off, Python zip functions run their handler"


def write_log(function: Any, request_id: str, lines: list[str]) -> None:
    """The invocation's output in the function's log group, one stream per invocation (Lambda's stream names
    one container; the lines are what matter to the readers)."""
    import importlib
    import time
    from datetime import UTC, datetime

    if not lines:
        return
    logs = importlib.import_module("moto.logs.models").logs_backends[function.account_id][function.region]
    group = f"/aws/lambda/{function.function_name}"
    stream = f"{datetime.now(UTC):%Y/%m/%d}/[{function.version}]{request_id}"
    logs.ensure_log_group(group)
    logs.create_log_stream(group, stream)
    now = int(time.time() * 1000)
    logs.put_log_events(group, stream, [{"timestamp": now, "message": line} for line in lines])


class Switch:
    """WSGI middleware: `POST /_e2e/functions` with {"run": true|false} turns the runner on or off."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != SWITCH_PATH:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if environ.get("REQUEST_METHOD") == "POST":
            body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
            set_running(bool(body.get("run")))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"run": running()}).encode()]
