"""PutEvents on the deployed bus over a kept-alive HTTP connection, signed by botocore's own SigV4 signer.

Why not boto3's `put_events`: profiling `tooling publish batch` against an endpoint that answers at once showed
most of the client's CPU inside botocore's per-call machinery (parameter validation, the serializer walking
the model, the event hooks, the endpoint ruleset, urllib3, the response parser), about 1.5 ms per call.
This bus keeps what must stay botocore's and skips the rest:

- endpoint: `client.meta.endpoint_url` of a botocore client made by tooling.clients, so the region,
  AWS_ENDPOINT_URL(_EVENTBRIDGE), the config file's endpoint_url, FIPS and dual-stack settings resolve as boto3
  resolves them (boto3 clients are botocore clients; boto3 itself is not imported on this path);
- credentials: the botocore session's provider chain; `get_frozen_credentials()` on every request, so refreshable
  credentials (SSO, assumed roles, IMDS) are refreshed as botocore refreshes them;
- signature: botocore.auth.SigV4Auth on a botocore AWSRequest with the headers and body botocore's JSON
  serializer produces (tests/unit/test_http_bus_signing.py signs the same call both ways and compares);
- through a global endpoint (`endpoint_id`): the URL botocore's endpoint ruleset gives PutEvents with that
  EndpointId, and botocore's SigV4a signer (awscrt's signing) over the region set "*", as boto3 signs it
  (tooling.publish.global_endpoint; tests/robustness/test_publish_sigv4a_differential.py compares);
- errors: the status and the `__type`/`message` body of an error become a botocore ClientError with the same
  Error and ResponseMetadata fields boto3 gives, so the publisher classifies them as it always did;
  transport trouble becomes a ConnectionError (an OSError), which the publisher retries.

What it does not do: proxies (HTTP(S)_PROXY) and client certificates; `use_http_bus` says when the plain
boto3 path (AwsBus) must be used instead, and `--engine boto3` forces it.
"""

from __future__ import annotations

import calendar
import json
import ssl
import threading
import urllib.request
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tooling.errors import UsageError
from tooling.publish.bus import AwsBus, Bus, Entry, Result
from tooling.publish.http_connection import Connection

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET = "AWSEvents.PutEvents"
SIGNING_NAME = "events"
# `--engine`: this bus, or boto3's put_events (AwsBus) for anything this bus does not cover.
ENGINES = ("http", "boto3")
# botocore's defaults for connect and read timeouts.
TIMEOUT = 60.0


def use_http_bus(endpoint_url: str) -> bool:
    """False when a proxy applies to the endpoint (boto3 honours HTTP(S)_PROXY and NO_PROXY; this bus does not
    speak to proxies), so the caller falls back to boto3."""
    parts = urlsplit(endpoint_url)
    proxies = urllib.request.getproxies()
    if parts.scheme not in proxies:
        return True
    return bool(urllib.request.proxy_bypass(parts.hostname or ""))


def timestamp(value: Any) -> Any:
    """A Time value as botocore's JSON serializer writes it (unix seconds, microseconds only when present)."""
    if not isinstance(value, datetime):
        return value
    seconds = calendar.timegm(value.utctimetuple())
    if value.microsecond > 0:
        # As botocore: add the microseconds as integers first, so the float is rounded once.
        return (seconds * 10**6 + value.microsecond) / 10**6
    return seconds


def request_body(bus_name: str, entries: list[Entry], endpoint_id: str | None = None) -> bytes:
    """The PutEvents body byte for byte as botocore serializes it: `json.dumps` with its default separators,
    the entry's keys in the caller's order, then EventBusName (AwsBus adds it the same way), and EndpointId
    after Entries when there is one (AwsBus passes it after Entries)."""
    request = []
    for entry in entries:
        item = {**entry, "EventBusName": bus_name}
        if "Time" in item:
            item["Time"] = timestamp(item["Time"])
        request.append(item)
    body: dict[str, Any] = {"Entries": request}
    if endpoint_id is not None:
        body["EndpointId"] = endpoint_id
    return json.dumps(body).encode("utf-8")


class HttpBus:
    """PutEvents on the deployed custom bus: one signed POST per call on a per-thread keep-alive connection.
    With `endpoint_id`, through that global endpoint (`region` names the partition), signed SigV4a."""

    def __init__(
        self, bus_name: str, region: str, *, endpoint_id: str | None = None, timeout: float = TIMEOUT
    ) -> None:
        from botocore.exceptions import NoCredentialsError

        from tooling.clients import botocore_client, botocore_session

        self.bus_name = bus_name
        self.endpoint_id = endpoint_id
        if endpoint_id is not None:
            from tooling.publish.global_endpoint import require_sigv4a

            require_sigv4a(endpoint_id)
        events = botocore_client("events", region)
        self.endpoint_url: str = events.meta.endpoint_url
        # The region SigV4 signs for; SigV4a signs for a region set ("*": whichever region the endpoint picks).
        self.region: str = events.meta.region_name
        if endpoint_id is not None:
            from tooling.publish.global_endpoint import resolve

            self.endpoint_url, self.region = resolve(events, endpoint_id)
        credentials = botocore_session().get_credentials()
        if credentials is None:
            raise NoCredentialsError()
        self._credentials = credentials
        parts = urlsplit(self.endpoint_url)
        self._https = parts.scheme == "https"
        self._hostname = parts.hostname or ""
        self._port = parts.port or (443 if self._https else 80)
        default_port = 443 if self._https else 80
        # The Host header exactly as SigV4 signs it (botocore drops the default port).
        self._host = parts.netloc.rpartition("@")[2]
        if parts.port == default_port:
            self._host = self._host.rsplit(":", 1)[0]
        # As botocore joins PutEvents' request URI "/" to the endpoint: the endpoint's own path, else "/".
        self._path = parts.path or "/"
        self.url = f"{parts.scheme}://{parts.netloc}{self._path}"
        self._timeout = timeout
        self._ssl = self._ssl_context() if self._https else None
        self._local = threading.local()

    @staticmethod
    def _ssl_context() -> ssl.SSLContext:
        from botocore.httpsession import get_cert_path

        from tooling.clients import botocore_session

        # The CA bundle boto3 would use: AWS_CA_BUNDLE / ca_bundle, else botocore's bundled certifi store.
        bundle = botocore_session().get_config_variable("ca_bundle") or get_cert_path(True)
        return ssl.create_default_context(cafile=bundle)

    def signed_request(self, body: bytes) -> tuple[str, dict[str, str]]:
        """(url, headers) of a PutEvents request for `body`, signed now with the current credentials."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        request = AWSRequest(
            method="POST",
            url=self.url,
            data=body,
            headers={"X-Amz-Target": TARGET, "Content-Type": CONTENT_TYPE},
        )
        frozen = self._credentials.get_frozen_credentials()
        if self.endpoint_id is None:
            SigV4Auth(frozen, SIGNING_NAME, self.region).add_auth(request)
        else:
            from tooling.publish.global_endpoint import sigv4a_signer

            sigv4a_signer(frozen, self.region, SIGNING_NAME).add_auth(request)
        # The SigV4a signer adds a `host` header of its own: one Host, as signed (the same value).
        headers = {name: value for name, value in request.headers.items() if name.lower() != "host"}
        headers["Host"] = self._host
        headers["Content-Length"] = str(len(body))
        return self.url, headers

    def put_events(self, entries: list[Entry]) -> list[Result]:
        body = request_body(self.bus_name, entries, self.endpoint_id)
        _, headers = self.signed_request(body)
        status, reason, response_headers, payload = self._post(body, headers)
        if status != 200:
            raise _client_error(status, reason, response_headers, payload)
        try:
            results = json.loads(payload)["Entries"]
        except (ValueError, KeyError, TypeError):
            raise InvalidResponseError(
                f"PutEvents answered 200 with a body that is not a PutEvents result: {payload[:200]!r}"
            ) from None
        if not isinstance(results, list):
            raise InvalidResponseError("PutEvents answered 200 without an Entries list")
        return results

    def _connection(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = Connection(self._hostname, self._port, timeout=self._timeout, tls=self._ssl)
            self._local.conn = conn
        return conn

    def _post(self, body: bytes, headers: dict[str, str]) -> tuple[int, str, dict[str, str], bytes]:
        """(status, reason, headers with lower-case names, body) of one POST on this thread's connection. A
        failed exchange closes the connection (the next call opens another); the publisher retries the call
        as it retries botocore's connection errors."""
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = f"POST {self._path} HTTP/1.1\r\n{head}Accept-Encoding: identity\r\n\r\n".encode() + body
        conn = self._connection()
        try:
            response = conn.exchange(request)
        except OSError:  # ProtocolError included
            self._local.conn = None
            raise
        if response.will_close:
            self._local.conn = None
        return response.status, response.reason, response.headers, response.body

    def close(self) -> None:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def open_aws_bus(bus_name: str, region: str, engine: str = "http", endpoint_id: str | None = None) -> Bus:
    """The bus for the aws target: HttpBus unless `engine` is "boto3" or a proxy applies to the endpoint;
    with `endpoint_id`, either sends through that global endpoint."""
    check_engine(engine)
    if engine == "http":
        bus = HttpBus(bus_name, region, endpoint_id=endpoint_id)
        if use_http_bus(bus.endpoint_url):
            return bus
    return AwsBus(bus_name, region, endpoint_id=endpoint_id)


def check_engine(engine: str) -> str:
    """`--engine`'s value, or a usage error naming the engines."""
    if engine not in ENGINES:
        raise UsageError(
            f"--engine {engine!r} is not an engine; use one of: {', '.join(ENGINES)}",
            hint="--engine http is the default; --engine boto3 sends through boto3's put_events",
        )
    return engine


class InvalidResponseError(ValueError):
    """A 200 answer that is not a PutEvents result: its entries may have been accepted, so nothing is resent."""


def _client_error(status: int, reason: str, headers: dict[str, str], payload: bytes) -> Exception:
    """The botocore ClientError boto3 raises for this answer (awsJson1.1 error shape); `headers` with
    lower-case names."""
    from botocore.exceptions import ClientError

    code, message = str(status), reason
    try:
        body = json.loads(payload) if payload else {}
    except ValueError:
        body = {}
    if isinstance(body, dict):
        error_type = body.get("__type") or headers.get("x-amzn-errortype") or ""
        # `__type` may be namespaced ("com.amazonaws.events#ThrottlingException") or carry ":..." detail.
        error_type = str(error_type).rsplit("#", 1)[-1].split(":", 1)[0]
        code = error_type or code
        message = str(body.get("message") or body.get("Message") or message)
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {
            "RequestId": headers.get("x-amzn-requestid", ""),
            "HTTPStatusCode": status,
            "HTTPHeaders": headers,
            "RetryAttempts": 0,
        },
    }
    error: Exception = ClientError(response, "PutEvents")
    return error


__all__ = [
    "ENGINES",
    "HttpBus",
    "InvalidResponseError",
    "check_engine",
    "open_aws_bus",
    "request_body",
    "use_http_bus",
]
