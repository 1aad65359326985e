"""The runtime inside a local function's worker process (the local stand-in for Lambda's runtime client).

Run as a script with `python -I`: it imports nothing from tooling, puts the unpacked zip first on its own
sys.path (as /var/task is), imports the handler once (the cold start), then serves invocations read as JSON
lines from its original stdin and answers on its original stdout. The handler's own stdout and stderr (the
structured logs) go to a capture file the parent reads after each invocation, so nothing the function
prints can corrupt the protocol. Stdlib only.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The attributes and method of Lambda's Python context object that handlers and Powertools use."""

    def __init__(self, request_id: str, timeout_ms: int) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ.get("LOCAL_FUNCTION_ARN", "")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(exc: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": [line.rstrip("\n") for line in traceback.format_tb(exc.__traceback__)],
    }


def _max_rss_mb() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


def main(argv: list[str]) -> int:
    code_dir, handler_spec, capture_path = argv[1], argv[2], argv[3]
    protocol_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    capture = os.open(capture_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(capture, 1)
    os.dup2(capture, 2)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    # /var/task first, then the standard library, then the runtime's SDK stack (/var/runtime in Lambda).
    here = os.path.dirname(os.path.abspath(__file__))
    runtime = [argv[4]] if len(argv) > 4 and os.path.isdir(argv[4]) else []
    sys.path[:] = [code_dir, *(p for p in sys.path if p and os.path.abspath(p) != here), *runtime]
    os.chdir(code_dir)

    started = time.perf_counter()
    handler: Any = None
    init_error: dict[str, Any] | None = None
    module_name, _, function_name = handler_spec.rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as exc:
        init_error = {
            **_error(exc),
            "errorType": "Runtime.ImportModuleError",
            "errorMessage": f"Unable to import module '{module_name}': {exc}",
        }
    init_ms = (time.perf_counter() - started) * 1000
    sys.stdout.flush()
    protocol_out.write(json.dumps({"ready": True, "init_ms": init_ms, "init_error": init_error}) + "\n")

    for line in protocol_in:
        request = json.loads(line)
        context = LambdaContext(request["request_id"], int(request["timeout_ms"]))
        started = time.perf_counter()
        response: dict[str, Any]
        if init_error is not None:
            response = {"ok": False, **init_error}
        else:
            try:
                result = handler(request["event"], context)
                response = {"ok": True, "result": json.loads(json.dumps(result, default=str))}
            except SystemExit as exc:
                response = {
                    "ok": False,
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {context.aws_request_id} Error: Runtime exited ({exc.code})",
                    "stackTrace": [],
                }
            except Exception as exc:
                response = {"ok": False, **_error(exc)}
        response["duration_ms"] = (time.perf_counter() - started) * 1000
        response["max_memory_mb"] = _max_rss_mb()
        sys.stdout.flush()
        sys.stderr.flush()
        protocol_out.write(json.dumps(response, default=str) + "\n")
        if response.get("errorType") == "Runtime.ExitError":
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
