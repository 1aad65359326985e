"""The http engine's PutEvents request is the one botocore builds: same URL, body bytes and signed headers for a
frozen clock and the same credentials (botocore's own request is captured just before it would be sent)."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.auth
import botocore.compat
import botocore.handlers
import pytest
from botocore.config import Config

import tooling.clients
from tooling.publish.http_bus import HttpBus, request_body, timestamp

REGION = "eu-west-1"
BUS = "shop-dev-bus"
FROZEN = datetime(2026, 11, 30, 12, 34, 56, tzinfo=UTC)
ENTRIES: list[dict[str, Any]] = [
    {"Source": "ecommerce.orders", "DetailType": "Order Created", "Detail": '{"orderId":"o-1","total":12.5}'},
    {
        "Source": "ecommerce.users",
        "DetailType": "User Registered",
        "Detail": '{"firstName":"Zoë","note":"quote \\" and é"}',
        "Resources": ["arn:aws:s3:::bucket"],
        "Time": datetime(2026, 1, 2, 3, 4, 5, 3691, tzinfo=UTC),
        "TraceHeader": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
    },
    {"Source": "ecommerce.inventory", "DetailType": "Stock Updated", "Detail": "{}", "Time": FROZEN},
]


def freeze(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's clock at FROZEN, for its Python signers and (awscrt installed) its CRT signers."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: FROZEN.replace(tzinfo=None))
    if botocore.compat.HAS_CRT:
        crt_auth = importlib.import_module("botocore.crt.auth")
        monkeypatch.setattr(crt_auth, "get_current_datetime", lambda **_: FROZEN)


class Captured(Exception):
    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


def _botocore_request(endpoint: str | None) -> Any:
    # A fresh session: boto3's default one may hold credentials another test resolved.
    client = boto3.session.Session().client(
        "events",
        region_name=REGION,
        endpoint_url=endpoint,
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )
    # amz-sdk-invocation-id / amz-sdk-request are botocore's retry bookkeeping (a fresh uuid per call, signed
    # along): without them the two requests must be identical. The http engine has no botocore retries.
    client.meta.events.unregister("request-created", botocore.handlers.add_retry_headers)

    def capture(request: Any, **_: Any) -> None:
        raise Captured(request)

    client.meta.events.register("before-send.events.PutEvents", capture)
    with pytest.raises(Captured) as caught:
        client.put_events(Entries=[{**e, "EventBusName": BUS} for e in ENTRIES])
    return caught.value.request


@pytest.mark.parametrize(
    "endpoint",
    [None, "http://127.0.0.1:4566", "https://events.example.test:8443/prefix", "https://h.test:443/p/"],
)
def test_the_signed_request_equals_botocores(monkeypatch: pytest.MonkeyPatch, endpoint: str | None) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token-example")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    if endpoint is not None:
        monkeypatch.setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", endpoint)
    freeze(monkeypatch)
    tooling.clients.reset()

    theirs = _botocore_request(endpoint)
    bus = HttpBus(BUS, REGION)
    body = request_body(BUS, ENTRIES)
    url, ours = bus.signed_request(body)

    assert url == theirs.url
    assert body == theirs.body
    # botocore's prepared headers hold bytes values by the time they are sent.
    expected = {
        k.lower(): v.decode() if isinstance(v, bytes) else v
        for k, v in theirs.headers.items()
        if k.lower() != "user-agent"
    }
    got = {k.lower(): v for k, v in ours.items()}
    assert got.pop("host") == (url.split("/")[2].removesuffix(":443"))
    # With awscrt installed botocore signs SigV4 with its CRT signer, which writes the Host it signed into the
    # headers (the pure-Python signer leaves it to the HTTP layer): the same value either way.
    assert expected.pop("host", got_host := url.split("/")[2].removesuffix(":443")) == got_host
    assert got == expected
    assert "x-amz-security-token" in got and got["authorization"].startswith("AWS4-HMAC-SHA256 Credential=")


def test_a_different_secret_gives_a_different_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above can fail: the signature depends on the credentials it was made with."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: FROZEN.replace(tzinfo=None))
    signatures = set()
    for secret in ("secret-one", "secret-two"):
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
        tooling.clients.reset()
        _, headers = HttpBus(BUS, REGION).signed_request(request_body(BUS, ENTRIES))
        signatures.add(headers["Authorization"])
    assert len(signatures) == 2


def test_refreshable_credentials_are_refreshed_before_signing(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.credentials import RefreshableCredentials

    issued: list[str] = []

    def refresh() -> dict[str, str]:
        issued.append(f"AKIDREFRESHED{len(issued)}")
        # Inside botocore's advisory refresh window (15 minutes), so every get_frozen_credentials() asks again.
        expiry = (datetime.now(UTC) + timedelta(minutes=12)).isoformat()
        return {"access_key": issued[-1], "secret_key": "s", "token": "t", "expiry_time": expiry}

    bus = HttpBus(BUS, REGION)
    bus._credentials = RefreshableCredentials.create_from_metadata(refresh(), refresh, "test")
    _, headers = bus.signed_request(b"{}")

    assert len(issued) >= 2
    assert f"Credential={issued[-1]}/" in headers["Authorization"]


def test_time_is_written_as_botocore_writes_it() -> None:
    assert timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == 1767323045
    assert timestamp(datetime(1970, 1, 1, 0, 0, 1, 3691, tzinfo=UTC)) == 1.003691
    assert timestamp(1767323045) == 1767323045
