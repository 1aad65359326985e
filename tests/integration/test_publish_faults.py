"""A fault-injecting PutEvents endpoint on 127.0.0.1, reached through boto3 via AWS_ENDPOINT_URL.

It fails entries with retryable codes for their first few attempts, always refuses "poison" entries with a
non-retryable code, keeps "stubborn" entries throttled forever, and fails every fifth call as a whole
(throttling, 500, 503, or a dropped connection). It counts what it accepted, so "exactly once" is checked
where it matters: at the receiving end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import tooling.clients
from tooling.cli.app import app
from tooling.outputs import OUTPUT_NAMES
from tooling.publish.bus import AwsBus
from tooling.publish.events import EventFactory
from tooling.publish.publisher import PublishSettings, publish

REGION = "us-east-1"
WHOLE_CALL_FAULTS: list[tuple[int, str] | None] = [
    (400, "ThrottlingException"),
    (500, "InternalException"),
    (503, "ServiceUnavailableException"),
    None,  # drop the connection without answering
]


class FaultyEventBridge:
    def __init__(self, whole_every: int = 5) -> None:
        self.whole_every = whole_every
        self.lock = threading.Lock()
        self.calls = 0
        self.whole_failures = 0
        self.entry_failures = 0
        self.accepted: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        with self.lock:
            self.calls += 1
            if self.calls % self.whole_every == 0:
                self.whole_failures += 1
                fault = WHOLE_CALL_FAULTS[(self.calls // self.whole_every) % len(WHOLE_CALL_FAULTS)]
                if fault is None:
                    return None
                status, code = fault
                return status, {"__type": code, "message": f"injected {code}"}
            results = [self._entry(entry) for entry in body["Entries"]]
        failed = sum(1 for r in results if "ErrorCode" in r)
        return 200, {"FailedEntryCount": failed, "Entries": results}

    def _entry(self, entry: dict[str, Any]) -> dict[str, str]:
        detail = json.loads(entry["Detail"])
        key = str(detail["idempotencyKey"])
        self.attempts[key] += 1
        if detail.get("poison"):
            return {
                "ErrorCode": "InvalidArgument",
                "ErrorMessage": "Parameter Detail is not valid (injected)",
            }
        transient = 99 if detail.get("stubborn") else zlib.crc32(key.encode()) % 3
        if self.attempts[key] <= transient:
            self.entry_failures += 1
            code = ("ThrottlingException", "InternalFailure")[self.attempts[key] % 2]
            return {"ErrorCode": code, "ErrorMessage": f"injected {code}"}
        self.accepted[key] += 1
        return {"EventId": f"evt-{key}"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                assert self.headers["X-Amz-Target"] == "AWSEvents.PutEvents"
                answer = owner._answer(body)
                if answer is None:
                    self.close_connection = True
                    return
                status, document = answer
                payload = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def faulty(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultyEventBridge]:
    server = FaultyEventBridge()
    server.thread.start()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": server.url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield server
    server.server.shutdown()
    server.server.server_close()


def _key(entry: dict[str, Any]) -> str:
    return str(json.loads(entry["Detail"])["idempotencyKey"])


def test_retryable_events_are_published_exactly_once_and_poison_is_reported(
    faulty: FaultyEventBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore's own retries off: every injected fault reaches the publisher's retry logic.
    monkeypatch.setattr(tooling.clients, "_RETRIES", {"mode": "standard", "max_attempts": 1})
    factory = EventFactory(seed=21)
    sent = [
        factory.entry("order", overrides={"poison": True}) if i % 17 == 5 else factory.entry("payment")
        for i in range(200)
    ]
    poison = {i for i in range(200) if i % 17 == 5}
    settings = PublishSettings(concurrency=4, max_attempts=8, base_delay=0.005, max_delay=0.05)

    summary = publish(AwsBus("faulty-bus", REGION), sent, settings, total=len(sent))

    assert faulty.whole_failures > 0
    assert faulty.entry_failures > 0
    good = [_key(e) for i, e in enumerate(sent) if i not in poison]
    assert faulty.accepted == Counter(good)  # each accepted exactly once, nothing else
    assert summary.published == len(good)
    assert summary.failed == len(poison)
    assert {(f.index, f.code) for f in summary.failures} == {(i, "InvalidArgument") for i in poison}
    assert all(faulty.attempts[_key(sent[i])] == 1 for i in poison)  # non-retryable: sent once


def test_an_entry_that_stays_throttled_is_given_up_on(
    faulty: FaultyEventBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tooling.clients, "_RETRIES", {"mode": "standard", "max_attempts": 1})
    faulty.whole_every = 10**9  # only entry-level faults here
    factory = EventFactory(seed=2)
    sent = [factory.entry("user"), factory.entry("user", overrides={"stubborn": True}), factory.entry("user")]
    settings = PublishSettings(max_attempts=3, base_delay=0.001, max_delay=0.01)

    summary = publish(AwsBus("faulty-bus", REGION), sent, settings, total=3)

    assert summary.published == 2
    assert [(f.index, f.code) for f in summary.failures] == [(1, "InternalFailure")]
    assert "gave up after 3 attempts" in summary.failures[0].message
    assert faulty.attempts[_key(sent[1])] == 3


def test_cli_file_reports_counts_and_codes_through_the_stock_client(
    faulty: FaultyEventBridge, tmp_path: Path
) -> None:
    faulty.whole_every = 4
    factory = EventFactory(seed=8)
    sent = [factory.entry("inventory", overrides={"poison": i in (3, 11)}) for i in range(24)]
    events_file = tmp_path / "events.jsonl"
    events_file.write_text("".join(json.dumps(e) + "\n" for e in sent))
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps({name: {"value": _fake_output(name)} for name in OUTPUT_NAMES}))

    result = CliRunner().invoke(
        app,
        ["publish", "file", str(events_file), "--outputs", str(outputs_file), "--json", "--concurrency", "2"],
        env={"TOOLING_ROOT": str(tmp_path)},
    )

    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["published"] == 22
    assert document["failed"] == 2
    assert [(f["index"], f["code"]) for f in document["failures"]] == [
        (3, "InvalidArgument"),
        (11, "InvalidArgument"),
    ]
    assert faulty.accepted == Counter(_key(e) for i, e in enumerate(sent) if i not in (3, 11))
    assert faulty.whole_failures > 0


def test_ctrl_c_stops_cleanly_and_reports_what_was_published(
    faulty: FaultyEventBridge, tmp_path: Path
) -> None:
    faulty.whole_every = 10**9
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps({name: {"value": _fake_output(name)} for name in OUTPUT_NAMES}))
    command = [
        sys.executable,
        "-m",
        "tooling",
        "publish",
        "batch",
        "--count",
        "5000",
        "--rate",
        "400",
        "--json",
    ]
    proc = subprocess.Popen(
        [*command, "--outputs", str(outputs_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TOOLING_ROOT": str(tmp_path)},
    )
    deadline = time.monotonic() + 30
    while sum(faulty.accepted.values()) < 100 and time.monotonic() < deadline:
        time.sleep(0.05)

    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)

    assert proc.returncode == 130, stderr
    summary = json.loads(stdout)
    assert summary["published"] == sum(faulty.accepted.values())
    assert set(faulty.accepted.values()) == {1}
    assert 100 <= summary["published"] < 5000
    assert summary["published"] + summary["failed"] == 5000
    assert summary["failures"][-1]["code"] == "NotSent"
    assert "interrupted" in summary["failures"][-1]["message"]


def _fake_output(name: str) -> Any:
    values: dict[str, Any] = {
        "region": REGION,
        "event_bus_name": "faulty-bus",
        "event_bus_arn": f"arn:aws:events:{REGION}:123456789012:event-bus/faulty-bus",
        "archive_name": "faulty-archive",
        "batch_queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/none",
        "batch_queue_arn": f"arn:aws:sqs:{REGION}:123456789012:none",
        "notifications_topic_arn": f"arn:aws:sns:{REGION}:123456789012:none",
        "forwarding_rule_arn": "",
        "s3_archive_bucket_name": "",
        "s3_archive_stream_name": "",
        "event_store_table_name": "",
        "publisher_policy_arn": "",
        "failover": None,  # [failover] off: Terraform outputs null
    }
    return values.get(name, {})
