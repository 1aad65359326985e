"""The http engine's PutEvents through a global endpoint is the request botocore sends for
`put_events(Entries=..., EndpointId=...)`: same URL, body bytes and headers for a frozen clock and the same
credentials, signed SigV4a (AWS4-ECDSA-P256-SHA256 over the region set "*").

SigV4a signatures are ECDSA, randomized: two correct signatures of one request differ. So the Authorization
headers are compared up to the signature, and each signature is verified on its own: the canonical request
and string-to-sign are rebuilt here from the request as sent (SigV4a's documented form), and the signature
must verify under the public key SigV4a derives from the credentials (NIST SP 800-108 KDF in counter mode
with HMAC-SHA256, as aws-c-auth derives it). botocore's signature verifying proves the rebuilt
string-to-sign and the derived key right; ours verifying then proves our request signs what it sends.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import boto3
import botocore.auth
import botocore.handlers
import pytest
from botocore.config import Config
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

import tooling.clients
from tooling.publish.http_bus import HttpBus, request_body

REGION = "us-east-1"
BUS = "shop-prod-bus"
ENDPOINT_ID = "abcde12345.veo"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
FROZEN = datetime(2026, 11, 30, 12, 34, 56, tzinfo=UTC)
ENTRIES: list[dict[str, Any]] = [
    {"Source": "ecommerce.orders", "DetailType": "Order Created", "Detail": '{"orderId":"o-1","total":12.5}'},
    {
        "Source": "ecommerce.users",
        "DetailType": "User Registered",
        "Detail": '{"firstName":"Zoë","note":"quote \\" and é"}',
        "Resources": ["arn:aws:s3:::bucket"],
        "Time": datetime(2026, 1, 2, 3, 4, 5, 3691, tzinfo=UTC),
    },
]
ALGORITHM = "AWS4-ECDSA-P256-SHA256"
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class Captured(Exception):
    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token-example")
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EVENTBRIDGE", "AWS_PROFILE", "BOTO_DISABLE_CRT"):
        monkeypatch.delenv(name, raising=False)
    # Both of botocore's clocks: the CRT signers read their own import of it.
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: FROZEN.replace(tzinfo=None))
    crt_auth = importlib.import_module("botocore.crt.auth")
    monkeypatch.setattr(crt_auth, "get_current_datetime", lambda **_: FROZEN)
    tooling.clients.reset()


def _botocore_request(endpoint: str | None) -> Any:
    client = boto3.session.Session().client(
        "events",
        region_name=REGION,
        endpoint_url=endpoint,
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )
    # botocore's per-call retry bookkeeping headers (a fresh uuid each): the http engine has no such retries.
    client.meta.events.unregister("request-created", botocore.handlers.add_retry_headers)

    def capture(request: Any, **_: Any) -> None:
        raise Captured(request)

    client.meta.events.register("before-send.events.PutEvents", capture)
    with pytest.raises(Captured) as caught:
        client.put_events(Entries=[{**e, "EventBusName": BUS} for e in ENTRIES], EndpointId=ENDPOINT_ID)
    return caught.value.request


def _text_headers(headers: Any) -> dict[str, str]:
    return {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in headers.items()}


def derived_public_key(access_key: str, secret: str) -> ec.EllipticCurvePublicKey:
    """SigV4a's signing key for these credentials (aws-c-auth's derivation), as a public key."""
    label = ALGORITHM.encode()
    for counter in range(1, 255):
        fixed = (
            (1).to_bytes(4, "big")
            + label
            + b"\x00"
            + access_key.encode()
            + bytes([counter])
            + (256).to_bytes(4, "big")
        )
        candidate = int.from_bytes(
            hmac.new(b"AWS4A" + secret.encode(), fixed, hashlib.sha256).digest(), "big"
        )
        if candidate <= P256_ORDER - 2:
            return ec.derive_private_key(candidate + 1, ec.SECP256R1()).public_key()
    raise AssertionError("no key within 254 counters")


def string_to_sign(url: str, headers: dict[str, str], body: bytes) -> tuple[str, str]:
    """(string-to-sign, signature) of a SigV4a-signed POST, rebuilt from the request as sent."""
    authorization = headers["authorization"]
    algorithm, _, fields = authorization.partition(" ")
    assert algorithm == ALGORITHM
    parts = dict(field.strip().split("=", 1) for field in fields.split(","))
    signed = parts["SignedHeaders"].split(";")
    path = urlsplit(url).path or "/"
    canonical = "\n".join(
        [
            "POST",
            quote(quote(path, safe="/~"), safe="/~"),  # double-encoded, as EventBridge's signer does
            "",
            *(f"{name}:{' '.join(headers[name].split())}" for name in signed),
            "",
            ";".join(signed),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = parts["Credential"].split("/", 1)[1]
    sts = "\n".join([ALGORITHM, headers["x-amz-date"], scope, hashlib.sha256(canonical.encode()).hexdigest()])
    return sts, parts["Signature"]


def verifies(url: str, headers: dict[str, str], body: bytes, key: ec.EllipticCurvePublicKey) -> bool:
    sts, signature = string_to_sign(url, headers, body)
    try:
        key.verify(bytes.fromhex(signature), sts.encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


@pytest.mark.parametrize(
    ("endpoint", "expected_url"),
    [
        (None, f"https://{ENDPOINT_ID}.endpoint.events.amazonaws.com/"),
        ("http://127.0.0.1:4566", "http://127.0.0.1:4566/"),
        ("https://events.example.test:8443/prefix", "https://events.example.test:8443/prefix"),
    ],
)
def test_the_sigv4a_request_is_botocores_and_both_signatures_verify(
    credentials: None, monkeypatch: pytest.MonkeyPatch, endpoint: str | None, expected_url: str
) -> None:
    if endpoint is not None:
        monkeypatch.setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", endpoint)
        tooling.clients.reset()
    theirs = _botocore_request(endpoint)
    body = request_body(BUS, ENTRIES, ENDPOINT_ID)
    url, sent = HttpBus(BUS, REGION, endpoint_id=ENDPOINT_ID).signed_request(body)

    assert url == theirs.url == expected_url
    assert body == theirs.body
    ours = _text_headers(sent)
    expected = _text_headers(theirs.headers)
    expected.pop("user-agent")  # not signed; the http engine sends none
    assert ours["x-amz-region-set"] == "*"
    assert ours["authorization"].startswith(
        f"{ALGORITHM} Credential={ACCESS_KEY}/20261130/events/aws4_request, SignedHeaders=content-type;host;"
        "x-amz-date;x-amz-region-set;x-amz-security-token;x-amz-target, Signature="
    )
    # Everything equal but the (randomized) signature itself.
    prefix = {k: v.split("Signature=")[0] if k == "authorization" else v for k, v in ours.items()}
    assert prefix == {k: v.split("Signature=")[0] if k == "authorization" else v for k, v in expected.items()}
    key = derived_public_key(ACCESS_KEY, SECRET)
    assert verifies(theirs.url, expected, theirs.body, key)
    assert verifies(url, ours, body, key)


def test_the_verification_can_fail(credentials: None) -> None:
    """The check above is not vacuous: another body, or another secret's key, does not verify."""
    body = request_body(BUS, ENTRIES, ENDPOINT_ID)
    url, sent = HttpBus(BUS, REGION, endpoint_id=ENDPOINT_ID).signed_request(body)
    headers = _text_headers(sent)

    assert verifies(url, headers, body, derived_public_key(ACCESS_KEY, SECRET))
    assert not verifies(url, headers, body.replace(b"o-1", b"o-2"), derived_public_key(ACCESS_KEY, SECRET))
    assert not verifies(url, headers, body, derived_public_key(ACCESS_KEY, SECRET + "x"))


def test_the_body_names_the_endpoint_after_the_entries() -> None:
    body = request_body(BUS, ENTRIES[:1], ENDPOINT_ID)

    assert body.endswith(b'"EventBusName": "shop-prod-bus"}], "EndpointId": "abcde12345.veo"}')
    assert b"EndpointId" not in request_body(BUS, ENTRIES[:1])
