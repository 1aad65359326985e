"""A recorded request (recorder.py) back to the API operation it called and its parameters.

The routing and the parsing are moto's own (botocore's service models: the X-Amz-Target of JSON protocols, the
`Action` of query protocols, the method and URI template of REST protocols), so the operation is the one the
server ran, not a guess from the path. Used after the run, in the harness process, never in the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from tooling.errors import ToolingError

# The SigV4 signing name of a request's credential scope -> the botocore service name.
SIGNING_NAMES = {"monitoring": "cloudwatch", "states": "stepfunctions"}


@dataclass(frozen=True)
class ApiRequest:
    """One recorded call: service (botocore name), operation, parameters, region, the answer's status and
    the facts the server held about the resources it names."""

    service: str
    operation: str
    params: dict[str, Any]
    region: str
    status: int
    facts: dict[str, Any]  # what the server held about the named resources (recorder.py `_facts`)
    step: str = ""


class UnparsedRequestError(ToolingError):
    """A recorded request whose operation the service model does not know."""


@cache
def _model(service: str) -> Any:
    from moto.core.utils import get_service_model

    return get_service_model(service)


def parse(record: dict[str, Any]) -> ApiRequest:
    """The operation and parameters of one recorded request."""
    from moto.core.parse import PROTOCOL_PARSERS
    from moto.core.request import Request, determine_request_protocol
    from moto.core.routing import get_service_router

    service = SIGNING_NAMES.get(record["service"], record["service"])
    headers = dict(record.get("headers") or {})
    if record.get("content_type"):  # an older record's layout: the two headers that route it
        headers.setdefault("Content-Type", record["content_type"])
    if record.get("target"):
        headers.setdefault("X-Amz-Target", record["target"])
    query = f"?{record['query']}" if record.get("query") else ""
    body = _without_blobs(record.get("body", "")).encode()
    request = Request.from_primitives(
        record["method"], f"http://localhost{record['path']}{query}", headers, body
    )
    try:
        operation, uri_params = get_service_router(service).match(request)
    except Exception as exc:  # werkzeug NotFound and friends: the model has no such route
        raise UnparsedRequestError(
            f"{service} {record['method']} {record['path']}{query}: no operation matches ({exc!r})"
        ) from None
    model = _model(service)
    protocol = determine_request_protocol(model, request.content_type)
    parser = PROTOCOL_PARSERS[protocol](operation, map_type=dict)
    try:
        params = parser.parse({
            "method": request.method, "values": request.values, "headers": request.headers,
            "body": request.data, "url_path": request.path, "url_params": uri_params,
        })  # fmt: skip
    except Exception:  # a body moto's parser cannot read (the dropped zip): the URI's parameters suffice
        params = dict(uri_params)
    return ApiRequest(
        service=service,
        operation=str(operation.name),
        params=_plain(params),
        region=record["region"],
        status=int(record.get("status", 0)),
        facts=dict(record.get("facts") or {"kms_keys": record.get("kms_keys") or {}}),
    )


def _without_blobs(body: str) -> str:
    """The body with the Lambda zip emptied (the recorder drops it; an older record holds a placeholder
    that is no valid base64 and would make the whole body unreadable)."""
    if '"ZipFile"' not in body:
        return body
    try:
        document = json.loads(body)
    except ValueError:
        return body
    if isinstance(document, dict):
        for holder in (document, document.get("Code")):
            if isinstance(holder, dict) and "ZipFile" in holder:
                holder["ZipFile"] = ""
    return json.dumps(document)


def _plain(value: Any) -> Any:
    """Parsed parameters as plain JSON values (moto's parser gives datetimes and bytes too)."""
    return json.loads(json.dumps(value, default=str))
