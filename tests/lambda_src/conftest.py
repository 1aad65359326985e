"""Fixtures for the Lambda package: realistic events, a fake context, captured logs, a local https webhook."""

from __future__ import annotations

import copy
import datetime
import io
import ipaddress
import json
import logging
import os
import ssl
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

from event_processors import batch_processor, notifier, webhook, webhook_secret  # noqa: E402  (needs the path and environment above)
from event_processors.observability import logger, metrics  # noqa: E402
from event_processors.settings import reset_settings  # noqa: E402

_SETTINGS_VARIABLES = (
    "HIGH_VALUE_THRESHOLD",
    "WEBHOOK_PARAMETER",
    "LOCAL_PARAMETERS_FILE",
    "IDEMPOTENCY_TABLE",
    "IDEMPOTENCY_SQLITE_PATH",
    "EVENT_STORE_TABLE",
    "EVENT_STORE_SQLITE_PATH",
    "EVENT_STORE_DISABLED",
    "EVENT_STORE_TTL_DAYS",
)


def _reset_caches() -> None:
    from aws_lambda_powertools.utilities import parameters

    reset_settings()
    parameters.clear_caches()  # Powertools' default SSM provider and its cached values
    parameters.base.DEFAULT_PROVIDERS.clear()  # its client was built for the previous test's (mocked) AWS
    webhook_secret._local_provider.cache_clear()
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


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the webhook is https only): (certificate, key) PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "webhook.pem", folder / "webhook.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def webhook_server(
    tls_certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[WebhookServer]:
    """An https webhook on 127.0.0.1 that records every JSON POST and answers the scripted statuses. Its
    certificate is the only one this test's urllib trusts (SSL_CERT_FILE, read per connection)."""
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
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_certificate)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_certificate[0]))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"https://127.0.0.1:{server.server_address[1]}/hooks/alerts"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
