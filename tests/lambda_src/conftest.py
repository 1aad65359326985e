"""Fixtures for the Lambda package: realistic events, a fake context, captured logs, a local webhook."""

from __future__ import annotations

import copy
import io
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EVENTS_DIR = REPO / "tests" / "events"

# The zip's root holds event_processors/ itself; the source tree mirrors that under lambda_src/.
sys.path.insert(0, str(REPO / "lambda_src"))

# Powertools builds Logger/Metrics when event_processors.observability is imported (at collection), so the
# values it reads then must exist before any test module imports a handler.
for _name, _value in {
    "POWERTOOLS_SERVICE_NAME": "ecommerce-events-test",
    "POWERTOOLS_METRICS_NAMESPACE": "EcommerceEvents",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "LOG_LEVEL": "INFO",
}.items():
    os.environ.setdefault(_name, _value)

from event_processors import batch_processor, notifier, webhook  # noqa: E402  (needs the path and environment above)
from event_processors.observability import logger, metrics  # noqa: E402
from event_processors.settings import reset_settings  # noqa: E402

_SETTINGS_VARIABLES = (
    "HIGH_VALUE_THRESHOLD",
    "WEBHOOK_URL",
    "IDEMPOTENCY_TABLE",
    "IDEMPOTENCY_SQLITE_PATH",
    "EVENT_STORE_TABLE",
    "EVENT_STORE_SQLITE_PATH",
    "EVENT_STORE_DISABLED",
    "EVENT_STORE_TTL_DAYS",
)


def _reset_caches() -> None:
    reset_settings()
    notifier.idempotency_store.cache_clear()
    batch_processor.event_store.cache_clear()
    metrics.clear_metrics()


@pytest.fixture(autouse=True)
def lambda_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A clean Lambda environment per test: fake AWS identity, no settings, no cached state."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "EcommerceEvents")
    for name in (*_SETTINGS_VARIABLES, "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    # Fast retries: the policy's shape is what is tested, not its real-world backoff.
    monkeypatch.setattr(
        webhook,
        "DEFAULT_POLICY",
        webhook.RetryPolicy(max_attempts=3, timeout_seconds=2.0, backoff_seconds=0.01),
    )
    _reset_caches()
    yield
    _reset_caches()


@pytest.fixture
def load_event() -> Callable[[str], dict[str, Any]]:
    """Read tests/events/<name>.json; each call returns a fresh copy to mutate."""

    def load(name: str) -> dict[str, Any]:
        event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
        return copy.deepcopy(event)

    return load


@dataclass
class FakeLambdaContext:
    function_name: str = "ecommerce-dev-processor"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ecommerce-dev-processor"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "52fdfc07-2182-454f-963f-5f0f9a621d72"
    log_group_name: str = "/aws/lambda/ecommerce-dev-processor"
    log_stream_name: str = "2026/11/26/[$LATEST]abcdef"
    remaining_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


class CapturedLogs:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def with_message(self, message: str) -> list[dict[str, Any]]:
        return [record for record in self.records if record.get("message") == message]


@pytest.fixture
def logs() -> Iterator[CapturedLogs]:
    """What the Powertools logger writes, exactly as it would reach CloudWatch Logs."""
    captured = CapturedLogs()
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(captured.stream)
    yield captured
    if previous is not None:
        handler.setStream(previous)


@dataclass
class WebhookServer:
    url: str
    # Status codes to answer in order; once used up, every request gets 204.
    statuses: list[int] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def webhook_server() -> Iterator[WebhookServer]:
    """A webhook on 127.0.0.1 that records every JSON POST and answers the scripted statuses."""
    state = WebhookServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(
                {
                    "path": self.path,
                    "headers": {key.lower(): value for key, value in self.headers.items()},
                    "json": json.loads(body),
                }
            )
            status = state.statuses.pop(0) if state.statuses else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
