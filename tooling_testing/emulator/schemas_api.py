"""A stand-in for the EventBridge Schemas REST API, which moto 5.2.5 lacks ("Unable to find appropriate
backend for schemas": HTTP 500, and the provider retries for minutes).

It serves what aws_schemas_registry and aws_schemas_schema call (registries, schemas, their versions and
tags) with the wire format of botocore's service model, where the REST bodies spell `tags` in lower case.
Requests signed for the `schemas` service are answered here; everything else goes on to moto.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# The credential scope of a SigV4 Authorization header: region and service the request was signed for.
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_REGISTRY = re.compile(r"^/v1/registries/name/([^/]+)$")
_SCHEMA = re.compile(r"^/v1/registries/name/([^/]+)/schemas/name/([^/]+)(/versions)?$")
_SCHEMAS = re.compile(r"^/v1/registries/name/([^/]+)/schemas$")
_TAGS = re.compile(r"^/tags/(.+)$")
ACCOUNT = "123456789012"  # moto's default account, which every other ARN of the run carries


class _Error(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class SchemasApi:
    """WSGI middleware: the Schemas API in front of the moto app."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.registries: dict[tuple[str, str], dict[str, Any]] = {}  # (region, name) -> registry
        self.tags: dict[str, dict[str, str]] = {}  # ARN -> tags

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        scope = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if scope is None or scope.group(2) != "schemas":
            return self.app(environ, start_response)
        region = scope.group(1)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        body = json.loads(raw) if raw else {}
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        query_lists = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            with self.lock:
                status, answer = self._route(
                    environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), region, body, query, query_lists
                )
        except _Error as exc:
            status, answer = exc.status, {"Code": exc.code, "Message": exc.message}
            start_response(
                f"{status} Error", [("Content-Type", "application/json"), ("x-amzn-ErrorType", exc.code)]
            )
            return [json.dumps(answer).encode()]
        payload = b"" if answer is None else json.dumps(answer).encode()
        start_response(f"{status} OK", [("Content-Type", "application/json")])
        return [payload]

    # -- routing --------------------------------------------------------------------------------------------

    def _route(
        self, method: str, path: str, region: str, body: dict[str, Any], query: dict[str, str],
        query_lists: dict[str, list[str]],
    ) -> tuple[int, Any]:  # fmt: skip
        if path == "/v1/registries" and method == "GET":
            prefix = query.get("registryNamePrefix", "")
            found = [
                r for (reg, name), r in self.registries.items() if reg == region and name.startswith(prefix)
            ]
            return 200, {"Registries": [self._registry_summary(r) for r in found]}
        if match := _REGISTRY.match(path):
            return self._registry(method, region, unquote(match.group(1)), body)
        if match := _SCHEMAS.match(path):
            registry = self._get_registry(region, unquote(match.group(1)))
            return 200, {"Schemas": [self._schema_summary(s) for s in registry["schemas"].values()]}
        if match := _SCHEMA.match(path):
            registry = self._get_registry(region, unquote(match.group(1)))
            name = unquote(match.group(2))
            if match.group(3):
                schema = self._get_schema(registry, name)
                return 200, {"SchemaVersions": [
                    {"SchemaArn": schema["SchemaArn"], "SchemaName": name, "SchemaVersion": v["SchemaVersion"],
                     "Type": schema["Type"]} for v in schema["versions"]]}  # fmt: skip
            return self._schema(method, registry, name, body, query)
        if match := _TAGS.match(path):
            return self._tagging(method, unquote(match.group(1)), body, query_lists)
        raise _Error(404, "NotFoundException", f"{method} {path} is not part of this stand-in")

    # -- registries -----------------------------------------------------------------------------------------

    def _get_registry(self, region: str, name: str) -> dict[str, Any]:
        registry = self.registries.get((region, name))
        if registry is None:
            raise _Error(404, "NotFoundException", f"Registry {name} does not exist")
        return registry

    def _registry_summary(self, registry: dict[str, Any]) -> dict[str, Any]:
        arn = registry["RegistryArn"]
        return {"RegistryArn": arn, "RegistryName": registry["RegistryName"], "tags": self.tags.get(arn, {})}

    def _registry_answer(self, registry: dict[str, Any]) -> dict[str, Any]:
        return {**self._registry_summary(registry), "Description": registry.get("Description")}

    def _registry(self, method: str, region: str, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        if method == "POST":
            if (region, name) in self.registries:
                raise _Error(409, "ConflictException", f"Registry {name} already exists")
            arn = f"arn:aws:schemas:{region}:{ACCOUNT}:registry/{name}"
            registry: dict[str, Any] = {"RegistryArn": arn, "RegistryName": name, "Description": body.get("Description"),
                        "schemas": {}, "region": region}  # fmt: skip
            self.registries[(region, name)] = registry
            self.tags[arn] = dict(body.get("tags") or {})
            return 201, self._registry_answer(registry)
        registry = self._get_registry(region, name)
        if method == "GET":
            return 200, self._registry_answer(registry)
        if method == "PUT":
            registry["Description"] = body.get("Description")
            return 200, self._registry_answer(registry)
        if method == "DELETE":
            del self.registries[(region, name)]
            self.tags.pop(registry["RegistryArn"], None)
            for schema in registry["schemas"].values():
                self.tags.pop(schema["SchemaArn"], None)
            return 204, None
        raise _Error(405, "MethodNotAllowedException", method)

    # -- schemas --------------------------------------------------------------------------------------------

    def _get_schema(self, registry: dict[str, Any], name: str) -> dict[str, Any]:
        schema: dict[str, Any] | None = registry["schemas"].get(name)
        if schema is None:
            raise _Error(404, "NotFoundException", f"Schema {name} does not exist")
        return schema

    def _schema_summary(self, schema: dict[str, Any]) -> dict[str, Any]:
        latest = schema["versions"][-1]
        return {"SchemaArn": schema["SchemaArn"], "SchemaName": schema["SchemaName"],
                "LastModified": latest["LastModified"], "VersionCount": len(schema["versions"]),
                "tags": self.tags.get(schema["SchemaArn"], {})}  # fmt: skip

    def _schema_answer(self, schema: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
        return {"SchemaArn": schema["SchemaArn"], "SchemaName": schema["SchemaName"], "Type": schema["Type"],
                "Description": schema.get("Description"), "Content": version["Content"],
                "SchemaVersion": version["SchemaVersion"], "LastModified": version["LastModified"],
                "VersionCreatedDate": version["LastModified"], "tags": self.tags.get(schema["SchemaArn"], {})}  # fmt: skip

    def _schema(
        self, method: str, registry: dict[str, Any], name: str, body: dict[str, Any], query: dict[str, str]
    ) -> tuple[int, Any]:
        now = datetime.now(UTC).isoformat()
        if method == "POST":
            if name in registry["schemas"]:
                raise _Error(409, "ConflictException", f"Schema {name} already exists")
            arn = f"arn:aws:schemas:{registry['region']}:{ACCOUNT}:schema/{registry['RegistryName']}/{name}"
            version = {"SchemaVersion": "1", "Content": body["Content"], "LastModified": now}
            schema = {"SchemaArn": arn, "SchemaName": name, "Type": body.get("Type", "OpenApi3"),
                      "Description": body.get("Description"), "versions": [version]}  # fmt: skip
            registry["schemas"][name] = schema
            self.tags[arn] = dict(body.get("tags") or {})
            return 201, self._schema_answer(schema, version)
        schema = self._get_schema(registry, name)
        if method == "GET":
            wanted = query.get("schemaVersion")
            versions = [v for v in schema["versions"] if wanted in (None, v["SchemaVersion"])]
            if not versions:
                raise _Error(404, "NotFoundException", f"Version {wanted} of schema {name} does not exist")
            return 200, self._schema_answer(schema, versions[-1])
        if method == "PUT":
            if "Description" in body:
                schema["Description"] = body["Description"]
            if "Type" in body:
                schema["Type"] = body["Type"]
            latest = schema["versions"][-1]
            if "Content" in body and body["Content"] != latest["Content"]:  # AWS versions content changes
                latest = {"SchemaVersion": str(len(schema["versions"]) + 1), "Content": body["Content"],
                          "LastModified": now}  # fmt: skip
                schema["versions"].append(latest)
            return 200, self._schema_answer(schema, latest)
        if method == "DELETE":
            del registry["schemas"][name]
            self.tags.pop(schema["SchemaArn"], None)
            return 204, None
        raise _Error(405, "MethodNotAllowedException", method)

    # -- tags -----------------------------------------------------------------------------------------------

    def _tagging(
        self, method: str, arn: str, body: dict[str, Any], query_lists: dict[str, list[str]]
    ) -> tuple[int, Any]:
        if arn not in self.tags:
            raise _Error(404, "NotFoundException", f"Resource {arn} does not exist")
        if method == "GET":
            return 200, {"tags": self.tags[arn]}
        if method == "POST":
            self.tags[arn].update(body.get("tags") or {})
            return 204, None
        if method == "DELETE":
            for key in query_lists.get("tagKeys", []):
                self.tags[arn].pop(key, None)
            return 204, None
        raise _Error(405, "MethodNotAllowedException", method)
