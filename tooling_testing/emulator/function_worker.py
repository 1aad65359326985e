"""One warm "container" of function_runner.py: `python -m tooling_testing.emulator.function_worker MODULE.HANDLER`.

Reads one JSON request a line on stdin ({"event", "request_id", "timeout"}), calls the handler with the event
and a Lambda-like context, writes one JSON answer a line ({"ok": true, "result"} or {"ok": false, "error"},
each with "logs": the lines the handler printed during the invocation) on the stdout it was started with.
What the handler prints goes to stderr (the emulator's log) as well; the runner writes the answer's lines to
the function's log group, as Lambda does with a function's output.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
import time
import traceback
from typing import Any


class Context:
    """The attributes of Lambda's context object that handlers read."""

    def __init__(self, request_id: str, timeout: float) -> None:
        name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        region = os.environ.get("AWS_REGION", "us-east-1")
        self.aws_request_id = request_id
        self.function_name = name
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{name}"
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = f"e2e/{request_id}"
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Output(io.TextIOBase):
    """What the handler prints: to stderr (the emulator's log) and kept per invocation for its log group.
    Installed as sys.stdout before the handler's module is imported, so a logger that keeps the stream it
    found at import (Powertools) writes here too."""

    def __init__(self) -> None:
        self.kept: list[str] = []

    def write(self, text: str) -> int:
        sys.stderr.write(text)
        self.kept.append(text)
        return len(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def take(self) -> list[str]:
        lines = [line for line in "".join(self.kept).splitlines() if line.strip()]
        self.kept.clear()
        return lines


def main(argv: list[str]) -> int:
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    output = Output()
    sys.stdout = output  # the handler's prints must not mix with the answers
    module_name, _, function_name = argv[0].rpartition(".")
    handler = getattr(importlib.import_module(module_name), function_name)
    for line in sys.stdin:
        request = json.loads(line)
        answer: dict[str, Any]
        output.take()  # what was printed between invocations (imports, a previous timeout) is no one's
        try:
            result = handler(request["event"], Context(request["request_id"], float(request["timeout"])))
            answer = {"ok": True, "result": result}
        except Exception as exc:  # the function's error, reported as Lambda reports it
            traceback.print_exc(file=output)
            answer = {"ok": False, "error": {"errorType": type(exc).__name__, "errorMessage": str(exc)}}
        answer["logs"] = output.take()
        answers.write(json.dumps(answer, default=str) + "\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
