"""Two Ctrl-C presses in a multi-process `publish batch` (aws target, signed-HTTP engine) whose PutEvents
calls stop answering: the first waits for them (and says so), the second stops waiting and reports their
events unknown with their ids. The endpoint answers them later, accepting them: exactly those events are
on the bus besides the ones reported published, and none of them was reported failed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tooling.outputs import OUTPUT_NAMES

REGION = "us-east-1"
BUS = "held-bus"
COUNT = 20000
ANSWERED = 60  # requests answered at once; every later one is held until the test releases it


class HoldingEventBridge:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.held = 0
        self.release = threading.Event()
        self.accepted: Counter[str] = Counter()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with owner.lock:
                    owner.requests += 1
                    hold = owner.requests > ANSWERED
                    owner.held += hold
                if hold:
                    owner.release.wait(60)
                keys = [json.loads(e["Detail"])["idempotencyKey"] for e in body["Entries"]]
                with owner.lock:
                    owner.accepted.update(keys)
                payload = json.dumps(
                    {"FailedEntryCount": 0, "Entries": [{"EventId": f"id-{k}"} for k in keys]}
                ).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/x-amz-json-1.1")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client stopped waiting and is gone
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[HoldingEventBridge]:
    server = HoldingEventBridge()
    server.thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    yield server
    server.release.set()
    server.server.shutdown()
    server.server.server_close()


def readable(stdout: str) -> dict[str, Any]:
    """The figures of the readable summary: its first line, and the ids in the unknown table."""
    first = stdout.splitlines()[0]
    assert first.startswith("incomplete: published ") and first.endswith("(interrupted)"), stdout
    published = int(first.split()[2])
    failed = int(first.split(" failed")[0].split()[-1])
    unknown = int(first.split(" unknown (may have been accepted)")[0].split()[-1])
    assert "a re-send should skip them" in stdout
    keys = [
        word.removeprefix("idempotencyKey=") for word in stdout.split() if word.startswith("idempotencyKey=")
    ]
    return {
        "requested": int(first.split(" of ")[1].split()[0]),
        "published": published,
        "failed": failed,
        "unknown": unknown,
        "keys": keys,
    }


@pytest.mark.parametrize("json_out", [True, False], ids=["json", "readable"])
def test_second_ctrl_c_in_a_multi_process_run_reports_held_calls_unknown(
    endpoint: HoldingEventBridge, tmp_path: Path, json_out: bool
) -> None:
    outputs_file = tmp_path / "outputs.json"
    values = {"region": REGION, "event_bus_name": BUS, "event_bus_arn": f"arn:aws:events:{REGION}:1:x"}
    maps = ("rule_arns", "dead_letter_queue_urls", "function_names", "log_group_names")
    outputs_file.write_text(
        json.dumps(
            {
                n: {"value": values.get(n, None if n == "failover" else {} if n in maps else "")}
                for n in OUTPUT_NAMES
            }
        )
    )
    command = [sys.executable, "-m", "tooling", "publish", "batch", "--count", str(COUNT), "--processes", "2"]
    proc = subprocess.Popen(
        [*command, *(["--json"] if json_out else []), "--outputs", str(outputs_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TOOLING_ROOT": str(tmp_path), "COLUMNS": "400"},
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while endpoint.held < 2 and time.monotonic() < deadline:  # a held call in each worker
        time.sleep(0.02)
    time.sleep(0.1)

    os.killpg(proc.pid, signal.SIGINT)  # as the terminal sends it: to the parent and its workers
    time.sleep(1.0)  # it waits (the calls are held), and says so
    assert proc.poll() is None
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    held = endpoint.held

    assert proc.returncode in (130, -signal.SIGINT), stderr
    assert "waiting for 2 worker process(es)" in stderr and "Ctrl-C again" in stderr
    if json_out:
        summary = json.loads(stdout)
        assert sum(f["count"] for f in summary["failures"]) == summary["failed"]
        assert {f["code"] for f in summary["failures"]} == {"NotSent"}
        assert all("may have been accepted" in u["reason"] for u in summary["unknown_events"])
        unknown_keys = [u["ids"]["idempotencyKey"] for u in summary["unknown_events"]]
    else:
        summary = readable(stdout)
        unknown_keys = summary["keys"]
    assert summary["published"] + summary["failed"] + summary["unknown"] == summary["requested"] == COUNT
    assert summary["unknown"] == 10 * held  # every held call, nothing else
    # --json lists every unknown event; the readable table the first 20 (and says how many more).
    assert len(unknown_keys) == (summary["unknown"] if json_out else min(summary["unknown"], 20))
    if not json_out and summary["unknown"] > 20:
        assert f"... and {summary['unknown'] - 20} more (use --json for all of them)" in stdout
    assert summary["published"] == sum(endpoint.accepted.values()) == 10 * ANSWERED

    # The endpoint answers the held calls after all, accepting their events: the unknown ones, no other.
    endpoint.release.set()
    deadline = time.monotonic() + 10
    while sum(endpoint.accepted.values()) < 10 * (ANSWERED + held) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert set(endpoint.accepted.values()) == {1}
    assert len(endpoint.accepted) == summary["published"] + summary["unknown"]
    assert set(unknown_keys) <= set(endpoint.accepted)
