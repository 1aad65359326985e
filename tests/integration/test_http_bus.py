"""The http engine on real sockets: tooling_testing.sink in a thread of this process is the PutEvents endpoint,
with faults from a plan (whole-call errors, failed entries, dropped connections)."""

from __future__ import annotations

import json
import ssl
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, NoCredentialsError

import tooling.clients
from tooling.publish.bus import AwsBus
from tooling.publish.events import EventFactory
from tooling.publish.http_bus import HttpBus, open_aws_bus, use_http_bus
from tooling.publish.publisher import PublishSettings, classify, publish
from tooling_testing.sink import Fault, FaultPlan, Sink, start_in_thread

REGION = "us-east-1"
BUS = "http-bus"
StartSink = Callable[..., Sink]


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[StartSink]:
    stops: list[Callable[[], None]] = []

    def start(faults: FaultPlan | None = None, *, variable: str = "AWS_ENDPOINT_URL") -> Sink:
        server = Sink(faults, record=True)
        port, stop = start_in_thread(server)
        stops.append(stop)
        monkeypatch.setenv(variable, f"http://127.0.0.1:{port}")
        tooling.clients.reset()
        return server

    yield start
    for stop in stops:
        stop()


def _entries(body: bytes) -> list[dict[str, Any]]:
    return list(json.loads(body)["Entries"])


def test_events_are_posted_signed_on_one_kept_alive_connection(sink: StartSink) -> None:
    server = sink()
    bus = HttpBus(BUS, REGION)
    sent = list(EventFactory(seed=1).mixed(30))

    results = [r for i in range(0, 30, 10) for r in bus.put_events(sent[i : i + 10])]

    assert len(results) == 30 and all(r["EventId"] for r in results)
    assert server.connections == 1 and server.requests == 3
    assert server.log is not None
    head = server.log.heads[0].decode()
    assert head.startswith("POST / HTTP/1.1")
    assert "X-Amz-Target: AWSEvents.PutEvents" in head and "Authorization: AWS4-HMAC-SHA256" in head
    received = [e for body in server.log.bodies for e in _entries(body)]
    assert received == [{**e, "EventBusName": BUS} for e in sent]


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (400, "ThrottlingException", True),
        (500, "InternalException", True),
        (503, "ServiceUnavailableException", True),
        (400, "ValidationException", False),
        (400, "AccessDeniedException", False),
        (400, "ResourceNotFoundException", False),
    ],
)
def test_a_whole_call_error_is_the_client_error_boto3_raises(
    sink: StartSink, status: int, code: str, retryable: bool
) -> None:
    sink(lambda n, body: Fault(status=status, code=code))

    with pytest.raises(ClientError) as caught:
        HttpBus(BUS, REGION).put_events(list(EventFactory(seed=1).mixed(2)))

    error = caught.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    assert classify(caught.value) == (code, f"injected {code}", retryable)


def test_failed_entries_come_back_with_their_codes(sink: StartSink) -> None:
    sink(lambda n, body: Fault(failed_entries=(1,), entry_code="InternalFailure"))

    results = HttpBus(BUS, REGION).put_events(list(EventFactory(seed=1).mixed(3)))

    assert [sorted(r) for r in results] == [["EventId"], ["ErrorCode", "ErrorMessage"], ["EventId"]]
    assert results[1]["ErrorCode"] == "InternalFailure"


def test_a_dropped_connection_is_retryable_and_the_next_call_reconnects(sink: StartSink) -> None:
    server = sink(lambda n, body: Fault(drop=True) if n == 0 else None)
    bus = HttpBus(BUS, REGION)
    entries = list(EventFactory(seed=1).mixed(2))

    with pytest.raises(OSError) as caught:
        bus.put_events(entries)
    assert classify(caught.value)[2] is True
    assert all(r["EventId"] for r in bus.put_events(entries))
    assert server.connections == 2


def test_under_injected_faults_every_event_is_accepted_exactly_once(sink: StartSink) -> None:
    plan: dict[int, Fault] = {}

    def faults(number: int, body: bytes) -> Fault | None:
        kinds = (
            Fault(failed_entries=(0, 3, 7), entry_code="ThrottlingException"),
            Fault(status=500, code="InternalException"),
            Fault(drop=True),
            Fault(status=400, code="ThrottlingException"),
        )
        fault = kinds[number // 3 % len(kinds)] if number % 3 == 1 else None
        if fault is not None:
            plan[number] = fault
        return fault

    server = sink(faults)
    sent = list(EventFactory(seed=2).mixed(600))
    settings = PublishSettings(concurrency=4, base_delay=0.001, max_delay=0.01, max_attempts=20)

    summary = publish(HttpBus(BUS, REGION), sent, settings, total=len(sent))

    assert summary.ok and summary.published == 600
    accepted: Counter[str] = Counter()
    for number, body in enumerate(server.log.bodies if server.log else []):
        fault = plan.get(number)
        if fault is not None and (fault.drop or fault.status != 200):
            continue
        failed = set(fault.failed_entries) if fault else set()
        accepted.update(
            json.loads(e["Detail"])["idempotencyKey"] for i, e in enumerate(_entries(body)) if i not in failed
        )
    assert accepted == Counter(json.loads(e["Detail"])["idempotencyKey"] for e in sent)
    assert len(plan) > 20


def test_the_eventbridge_endpoint_variable_is_honoured(
    sink: StartSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    server = sink(variable="AWS_ENDPOINT_URL_EVENTBRIDGE")

    HttpBus(BUS, REGION).put_events(list(EventFactory(seed=1).mixed(1)))

    assert server.requests == 1


def test_no_credentials_is_botocores_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    tooling.clients.reset()

    with pytest.raises(NoCredentialsError):
        HttpBus(BUS, REGION)


def test_behind_a_proxy_the_boto3_engine_is_used(sink: StartSink, monkeypatch: pytest.MonkeyPatch) -> None:
    sink()
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    assert not use_http_bus("http://events.us-east-1.amazonaws.com")
    assert isinstance(open_aws_bus(BUS, REGION, "http"), AwsBus)
    monkeypatch.setenv("NO_PROXY", "events.us-east-1.amazonaws.com")
    assert use_http_bus("http://events.us-east-1.amazonaws.com")


def test_the_boto3_engine_is_chosen_by_name(sink: StartSink) -> None:
    sink()
    assert isinstance(open_aws_bus(BUS, REGION, "boto3"), AwsBus)
    assert isinstance(open_aws_bus(BUS, REGION, "http"), HttpBus)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def test_https_endpoints_are_verified_against_the_ca_bundle_boto3_uses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_file, key_file)
    server = Sink()
    port, stop = start_in_thread(server, tls)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"https://localhost:{port}")
        tooling.clients.reset()
        # Without the bundle the certificate is unknown: the handshake fails, as it would for boto3.
        with pytest.raises(ssl.SSLCertVerificationError):
            HttpBus(BUS, REGION).put_events(list(EventFactory(seed=1).mixed(1)))

        monkeypatch.setenv("AWS_CA_BUNDLE", str(cert_file))
        tooling.clients.reset()
        results = HttpBus(BUS, REGION).put_events(list(EventFactory(seed=1).mixed(3)))
    finally:
        stop()

    assert [bool(r.get("EventId")) for r in results] == [True, True, True]
    assert server.accepted == 3
