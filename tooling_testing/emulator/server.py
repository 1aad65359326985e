"""Start and stop the e2e moto server (tooling_testing.emulator) as a child process."""

from __future__ import annotations

import importlib.util
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tooling.errors import ToolingError, UnavailableError, UsageError

START_TIMEOUT = 60.0


@contextmanager
def moto_server(log_path: Path, port: int = 0, calls: Path | None = None) -> Iterator[str]:
    """A patched moto server on 127.0.0.1 (a free port unless `port`); yields its URL, stops it on exit.

    The server runs in its own session, so the whole process group is stopped here even when the caller
    is interrupted (KeyboardInterrupt and SIGTERM both unwind through this `finally`). With `calls`, the
    requests of the recorded steps are logged there (recorder.py).
    """
    if importlib.util.find_spec("moto") is None:
        raise UnavailableError(
            "moto is not installed, so there is no emulator to apply to",
            hint="install the dev extra: make install (or pip install -e '.[dev]')",
        )
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tooling_testing.emulator", "--port", str(port),
             *(["--calls", str(calls)] if calls else [])],
            stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True,
        )  # fmt: skip
        try:
            yield f"http://127.0.0.1:{_wait_for_port(process, log_path)}"
        finally:
            _stop(process)


def _wait_for_port(process: subprocess.Popen[str], log_path: Path) -> int:
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            if line.startswith("listening "):
                return int(line.split()[1])
        if process.poll() is not None:
            errors = [x for x in log_path.read_text().splitlines() if x.startswith("error: ")]
            reason = errors[-1].removeprefix("error: ") if errors else f"exit {process.returncode}"
            # 3: moto missing or another version; 4: the port asked for is taken.
            kind = {3: UnavailableError, 4: UsageError}.get(process.returncode, ToolingError)
            raise kind(f"the moto server did not start: {reason}", hint=f"see {log_path}")
    raise ToolingError(f"the moto server did not start within {START_TIMEOUT:.0f} s", hint=f"see {log_path}")


@contextmanager
def functions_running(url: str) -> Iterator[None]:
    """While inside, the server runs the deployed Python functions' handlers on invoke (function_runner.py);
    off again on exit, whatever happens inside."""
    _switch_functions(url, True)
    try:
        yield
    finally:
        _switch_functions(url, False)


def _switch_functions(url: str, run: bool) -> None:
    import json
    import urllib.request

    from tooling_testing.emulator.function_runner import SWITCH_PATH

    request = urllib.request.Request(url + SWITCH_PATH, method="POST", data=json.dumps({"run": run}).encode())
    with urllib.request.urlopen(request, timeout=30) as answer:
        if json.loads(answer.read()).get("run") is not run:
            raise ToolingError(f"the moto server did not turn function execution {'on' if run else 'off'}")


def run_group(argv: list[str], *, cwd: Path, env: dict[str, str], stderr: Any) -> tuple[int, str]:
    """Run a command to completion in its own process group; return (exit code, stdout). On any
    interruption the whole group (terraform and its provider plugins included) is stopped first."""
    process = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True
    )
    try:
        out, _ = process.communicate()
    except BaseException:
        _stop(process)
        raise
    return process.returncode, out


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
    if process.stdout is not None:
        process.stdout.close()
