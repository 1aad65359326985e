"""Record the AWS API calls of chosen e2e steps, as the server sees them (the evidence of what a deploy does).

The harness gives each step it records an access key of its own (`AKIAE2E...`, see `step_key`); every request
signed with such a key is appended to a JSON-lines file as sent: method, path, query, headers (not the
signature), the body (the Lambda zip left out) and the answer's status. A refused or failed call counts as much as a
successful one: AWS authorizes a request before it runs it.

What the request alone cannot tell is read from moto's models in this process before moto handles the call
(`_facts`): the ARN and tags of each KMS key a request names, the permissions boundary of the role it names,
the key of the function it names and the function of the event source mapping it names: IAM decides on those
(`aws:ResourceTag/*`, `iam:PermissionsBoundary`, `lambda:FunctionArn`).
"""

from __future__ import annotations

import io
import json
import re
import threading
from pathlib import Path
from typing import Any

PREFIX = "AKIAE2E"
_KEY = re.compile(r"Credential=(?P<key>[A-Z0-9]{20})/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")
# Blobs that say nothing about authorization and would make the log hundreds of megabytes.
_DROPPED_FIELDS = ("ZipFile",)
MAX_BODY = 256 * 1024
_UNSIGNED = ("HTTP_AUTHORIZATION", "HTTP_X_AMZ_SECURITY_TOKEN")


def step_key(number: int) -> str:
    """The access key of recorded step `number`: 20 characters as AWS's, unknown to moto's IAM (so moto
    answers as for its default account)."""
    return f"{PREFIX}{number:013d}"


def _body_text(body: bytes, content_type: str) -> str:
    if "json" in content_type and body[:1] == b"{":
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if isinstance(document, dict):
            # UpdateFunctionCode has the zip at the top, CreateFunction under Code.
            for holder in (document, document.get("Code")):
                for name in _DROPPED_FIELDS:
                    if isinstance(holder, dict) and name in holder:
                        holder[name] = ""  # still a valid (empty) blob for the parser
            return json.dumps(document)[:MAX_BODY]
    return body[:MAX_BODY].decode("utf-8", "replace")


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers as sent (the operation and some parameters travel in them), minus the
    signature."""
    found = {"Content-Type": environ.get("CONTENT_TYPE", "")} if environ.get("CONTENT_TYPE") else {}
    for name, value in environ.items():
        if name.startswith("HTTP_") and name not in _UNSIGNED:
            found[name[5:].replace("_", "-").title()] = str(value)
    return found


_KEY_ARN = re.compile(r"arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}")
_FUNCTION_PATH = re.compile(r"/functions/(?P<name>[^/]+)")
_MAPPING_PATH = re.compile(r"/event-source-mappings/(?P<uuid>[0-9a-f-]{36})")


def _kms_key(account: str, region: str, key_id: str) -> dict[str, Any] | None:
    from moto.kms.models import kms_backends

    try:
        backend = kms_backends[account][region]
        key = backend.describe_key(key_id)
        tags = backend.list_resource_tags(key.id).get("Tags", [])
    except Exception:  # an unknown key: the call fails on its own; nothing to add
        return None
    return {"arn": key.arn, "tags": {t["TagKey"]: t["TagValue"] for t in tags}}


def _facts(account: str, service: str, region: str, path: str, body: str) -> dict[str, Any]:
    """What the server holds about the resources a request names, before the call: the KMS keys' ARNs and
    tags (`aws:ResourceTag/*` of key statements), a role's permissions boundary (`iam:PermissionsBoundary`),
    a function's environment key and an event source mapping's function (`lambda:FunctionArn`)."""
    try:
        params = json.loads(body) if body[:1] == "{" else {}
    except ValueError:
        params = {}
    facts: dict[str, Any] = {}
    keys: dict[str, Any] = {}
    names = [params.get(f) for f in ("KeyId", "TargetKeyId", "AliasName")] if service == "kms" else []
    for name in [*names, *_KEY_ARN.findall(body)]:
        if isinstance(name, str) and name not in keys and (found := _kms_key(account, region, name)):
            keys[name] = found
    if keys:
        facts["kms_keys"] = keys
    if service == "iam":
        from urllib.parse import parse_qs

        role = (parse_qs(body).get("RoleName") or [""])[0]
        if role:
            from moto.iam.models import iam_backends

            try:
                boundary = iam_backends[account]["aws"].get_role(role).permissions_boundary_arn
            except Exception:  # no such role yet (CreateRole) or any more
                boundary = None
            facts["role_boundary"] = boundary or None
    if service == "lambda":
        from moto.awslambda.utils import get_backend  # the Docker-less backend the e2e server runs

        backend = get_backend(account, region)
        if match := _MAPPING_PATH.search(path):
            mapping = backend.get_event_source_mapping(match.group("uuid"))
            facts["mapping_function"] = mapping.function_arn if mapping else None
        elif match := _FUNCTION_PATH.search(path):
            try:
                function = backend.get_function(match.group("name"))
            except Exception:  # not created yet, or deleted
                function = None
            key_arn = getattr(function, "kms_key_arn", None)
            facts["function_key"] = _kms_key(account, region, key_arn) if key_arn else None
    return facts


class Recorder:
    """WSGI middleware: pass every request on; log those signed with a recorded step's key."""

    def __init__(self, app: Any, path: Path, account: str = "123456789012") -> None:
        self.app, self.path, self.account = app, path, account
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        scope = _KEY.search(environ.get("HTTP_AUTHORIZATION", ""))
        if scope is None or not scope.group("key").startswith(PREFIX):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        text = _body_text(body, environ.get("CONTENT_TYPE", ""))
        record: dict[str, Any] = {
            "key": scope.group("key"),
            "service": scope.group("service"),
            "region": scope.group("region"),
            "method": environ.get("REQUEST_METHOD", ""),
            "path": environ.get("PATH_INFO", ""),
            "query": environ.get("QUERY_STRING", ""),
            "headers": _headers(environ),
            "body": text,
        }
        try:
            record["facts"] = _facts(self.account, record["service"], record["region"], record["path"], text)
        except Exception as exc:  # a lookup must never break the call it describes
            record["facts"] = {"error": repr(exc)}
        status: list[str] = []

        def start(code: str, headers: Any, *args: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *args)

        result = self.app(environ, start)
        record["status"] = int(status[0].split()[0]) if status else 0
        with self._lock, self.path.open("a") as log:
            log.write(json.dumps(record) + "\n")
        return result
