"""A stand-in for EventBridge global endpoints, which moto 5.2.5 lacks (CreateEndpoint and the rest answer
"not implemented"), and for the SigV4a requests that publishing through an endpoint sends.

Served here, in front of moto, with the wire format of botocore's `events` model:
- CreateEndpoint, DescribeEndpoint, UpdateEndpoint, DeleteEndpoint, ListEndpoints: state per account and
  home region; CREATING/UPDATING turn ACTIVE at the next read (the provider's waiters see both); AWS's
  errors (ResourceAlreadyExistsException, ResourceNotFoundException, ValidationException: two buses of one
  name, one in the home region and one in the secondary route, a health check that exists, a role
  EventBridge may assume when replication is ENABLED, AWS's default).
- PutEvents with `EndpointId`: routed as the endpoint would, by its Route 53 health check
  (health_checks.py): healthy -> the home (primary) region's bus, unhealthy -> the secondary's. The
  request is handed to moto as a SigV4 request of the chosen region (moto reads the region from the
  credential scope, which SigV4a leaves out: `X-Amz-Region-Set: *` names none).
- Any other SigV4a request: the region of `X-Amz-Region-Set` when it names one, else us-east-1.

Replication (ReplicationConfig ENABLED) is replication.py, which reads `replica_bus` here.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import string
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SIGV4A = "AWS4-ECDSA-P256-SHA256"
# SigV4a's credential scope names no region: Credential=<key>/<date>/<service>/aws4_request.
_SIGV4A_SCOPE = re.compile(r"Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<service>[^/,\s]+)/aws4_request")
_SIGV4_SCOPE = re.compile(r"Credential=(?P<key>[^/,\s]+)/\d{8}/(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)/")
_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_BUS_ARN = re.compile(
    r"^arn:aws[\w-]*:events:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):event-bus/(?P<name>[^/]+)$"
)
_HEALTH_CHECK_ARN = re.compile(r"^arn:aws[\w-]*:route53:::healthcheck/(?P<id>[0-9A-Za-z-]+)$")
OPERATIONS = ("CreateEndpoint", "DescribeEndpoint", "UpdateEndpoint", "DeleteEndpoint", "ListEndpoints")
PENDING = {"CREATING": "ACTIVE", "UPDATING": "ACTIVE"}

_lock = threading.RLock()
# (account, home region) -> endpoint name -> the endpoint as DescribeEndpoint answers it.
_endpoints: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


# -- what other parts of the emulator ask -----------------------------------------------------------------


def reset() -> None:
    """Forget every endpoint (tests)."""
    with _lock:
        _endpoints.clear()


def endpoint_by_id(account: str, endpoint_id: str) -> dict[str, Any] | None:
    with _lock:
        for (owner, _), endpoints in _endpoints.items():
            for endpoint in endpoints.values():
                if owner == account and endpoint["EndpointId"] == endpoint_id:
                    return endpoint
    return None


def replica_bus(account: str, region: str, bus_name: str) -> str | None:
    """The other region of an endpoint with replication ENABLED whose buses include this one, or None."""
    arn_suffix = f":{account}:event-bus/{bus_name}"
    with _lock:
        for (owner, _), endpoints in _endpoints.items():
            if owner != account:
                continue
            for endpoint in endpoints.values():
                if (endpoint.get("ReplicationConfig") or {}).get("State") != "ENABLED":
                    continue
                regions = [_bus_region(b["EventBusArn"]) for b in endpoint["EventBuses"]]
                arns = [b["EventBusArn"] for b in endpoint["EventBuses"]]
                if f"arn:aws:events:{region}{arn_suffix}" in arns:
                    return next((r for r in regions if r != region), None)
    return None


def receiving_region(endpoint: dict[str, Any]) -> str:
    """Where the endpoint puts events now: the home region while its health check is healthy, else the
    secondary route (AWS: failover when the Route 53 health check reports unhealthy)."""
    from tooling_testing.emulator import health_checks

    failover = endpoint["RoutingConfig"]["FailoverConfig"]
    match = _HEALTH_CHECK_ARN.match(failover["Primary"]["HealthCheck"])
    healthy = match is None or health_checks.healthy(endpoint["_account"], match.group("id"))
    return str(endpoint["_region"] if healthy else failover["Secondary"]["Route"])


def _bus_region(arn: str) -> str:
    return arn.split(":")[3]


# -- the WSGI middleware -------------------------------------------------------------------------------------


class GlobalEndpoints:
    """WSGI middleware: the endpoints API and the SigV4a/EndpointId routing in front of the moto app."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        service, operation = target.partition(".")[0], target.rpartition(".")[2]
        if service != "AWSEvents" and not authorization.startswith(SIGV4A):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            if service == "AWSEvents" and operation in OPERATIONS:
                body = json.loads(raw) if raw else {}
                account, region = _caller(environ)
                with _lock:
                    answer = getattr(self, f"_{_snake(operation)}")(account, region, body)
                return _answer(start_response, 200, answer)
            if service == "AWSEvents" and operation == "PutEvents":
                endpoint_id = (json.loads(raw) if raw else {}).get("EndpointId")
                if endpoint_id:
                    account, _ = _caller(environ)
                    endpoint = endpoint_by_id(account, str(endpoint_id))
                    if endpoint is None:
                        raise ApiError("ResourceNotFoundException", f"Endpoint {endpoint_id} does not exist.")
                    region = receiving_region(endpoint)
                    print(f"endpoint {endpoint['Name']} ({endpoint_id}) routes to {region}", file=sys.stderr)
                    _sign_for(environ, region)
                    return self.app(environ, start_response)
        except ApiError as exc:
            return _answer(start_response, exc.status, {"__type": exc.code, "message": exc.message}, exc.code)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            message = f"1 validation error detected: {exc}"
            return _answer(start_response, 400, {"__type": "ValidationException", "message": message},
                           "ValidationException")  # fmt: skip
        if authorization.startswith(SIGV4A):
            region_set = environ.get("HTTP_X_AMZ_REGION_SET", "*").split(",")[0].strip()
            _sign_for(environ, region_set if _REGION.match(region_set) else "us-east-1")
        return self.app(environ, start_response)

    # -- operations ---------------------------------------------------------------------------------------

    def _create_endpoint(self, account: str, region: str, body: dict[str, Any]) -> dict[str, Any]:
        name = _required(body, "Name")
        if not _NAME.match(name):
            raise ApiError("ValidationException", f"Value '{name}' at 'name' failed to satisfy constraint: "
                           "Member must satisfy regular expression pattern: ^[\\.\\-_A-Za-z0-9]+$")  # fmt: skip
        endpoints = _endpoints.setdefault((account, region), {})
        if name in endpoints:
            raise ApiError("ResourceAlreadyExistsException", f"Endpoint {name} already exists.")
        endpoint: dict[str, Any] = {
            "Name": name, "RoutingConfig": body.get("RoutingConfig"), "EventBuses": body.get("EventBuses"),
            "ReplicationConfig": body.get("ReplicationConfig") or {"State": "ENABLED"},  # AWS's default
        }  # fmt: skip
        for key in ("Description", "RoleArn"):
            if body.get(key):
                endpoint[key] = body[key]
        _validate(account, region, endpoint)
        endpoint_id = _endpoint_id()
        now = time.time()
        endpoint.update(
            Arn=f"arn:aws:events:{region}:{account}:endpoint/{name}", EndpointId=endpoint_id,
            EndpointUrl=f"https://{endpoint_id}.endpoint.events.amazonaws.com", State="CREATING",
            CreationTime=now, LastModifiedTime=now, _account=account, _region=region,
        )  # fmt: skip
        endpoints[name] = endpoint
        return _public(endpoint, "Name", "Arn", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn",
                       "State")  # fmt: skip

    def _describe_endpoint(self, account: str, region: str, body: dict[str, Any]) -> dict[str, Any]:
        endpoint = _get(account, body.get("HomeRegion") or region, _required(body, "Name"))
        answer = _public(endpoint)
        endpoint["State"] = PENDING.get(endpoint["State"], endpoint["State"])  # settled by the next read
        return answer

    def _update_endpoint(self, account: str, region: str, body: dict[str, Any]) -> dict[str, Any]:
        endpoint = _get(account, region, _required(body, "Name"))
        updated = dict(endpoint)
        for key in ("Description", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn"):
            if key in body:
                updated[key] = body[key]
        _validate(account, region, updated)
        updated.update(State="UPDATING", LastModifiedTime=time.time())
        endpoint.clear()
        endpoint.update(updated)
        return _public(endpoint, "Name", "Arn", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn",
                       "EndpointId", "EndpointUrl", "State")  # fmt: skip

    def _delete_endpoint(self, account: str, region: str, body: dict[str, Any]) -> dict[str, Any]:
        name = _required(body, "Name")
        _get(account, region, name)
        del _endpoints[(account, region)][name]
        return {}

    def _list_endpoints(self, account: str, region: str, body: dict[str, Any]) -> dict[str, Any]:
        prefix = body.get("NamePrefix") or ""
        home = body.get("HomeRegion") or region
        found = sorted(
            (e for e in _endpoints.get((account, home), {}).values() if e["Name"].startswith(prefix)),
            key=lambda e: str(e["Name"]),
        )
        start = int(body.get("NextToken") or 0)
        size = int(body.get("MaxResults") or 100)
        page = found[start : start + size]
        answer: dict[str, Any] = {"Endpoints": [_public(e) for e in page]}
        if start + size < len(found):
            answer["NextToken"] = str(start + size)
        return answer


# -- helpers ----------------------------------------------------------------------------------------------


def _validate(account: str, region: str, endpoint: dict[str, Any]) -> None:
    """What AWS refuses in CreateEndpoint/UpdateEndpoint, as ValidationException."""
    buses = endpoint.get("EventBuses") or []
    routing = (endpoint.get("RoutingConfig") or {}).get("FailoverConfig") or {}
    health_check = (routing.get("Primary") or {}).get("HealthCheck") or ""
    secondary = (routing.get("Secondary") or {}).get("Route") or ""
    if len(buses) != 2:
        raise ApiError("ValidationException", f"An endpoint needs exactly 2 event buses; {len(buses)} given.")
    matches = [_BUS_ARN.match(str(b.get("EventBusArn", ""))) for b in buses]
    if not all(matches):
        raise ApiError("ValidationException", "EventBuses must be event bus ARNs.")
    names = {m.group("name") for m in matches if m}
    if len(names) != 1:
        raise ApiError(
            "ValidationException",
            f"The event buses of an endpoint must have the same name; given {' and '.join(sorted(names))}.",
        )
    regions = [m.group("region") for m in matches if m]
    if not _REGION.match(secondary) or secondary == region:
        raise ApiError("ValidationException",
                       f"RoutingConfig's secondary Route must be a Region other than {region}; given "
                       f"'{secondary}'.")  # fmt: skip
    if sorted(regions) != sorted([region, secondary]):
        raise ApiError("ValidationException",
                       f"The event buses must be in {region} (the endpoint's Region) and {secondary} (the "
                       f"secondary route); given {', '.join(regions)}.")  # fmt: skip
    match = _HEALTH_CHECK_ARN.match(health_check)
    if match is None:
        raise ApiError("ValidationException", f"'{health_check}' is not a Route 53 health check ARN.")
    from tooling_testing.emulator import health_checks

    if not health_checks.exists(account, match.group("id")):
        raise ApiError("ValidationException", f"The health check {health_check} does not exist.")
    state = (endpoint.get("ReplicationConfig") or {}).get("State", "ENABLED")
    if state not in ("ENABLED", "DISABLED"):
        raise ApiError(
            "ValidationException", f"ReplicationConfig State must be ENABLED or DISABLED; given {state}."
        )
    if state == "ENABLED":
        role = endpoint.get("RoleArn")
        if not role:
            raise ApiError("ValidationException",
                           "Event replication is ENABLED (the default): a RoleArn is required.")  # fmt: skip
        problem = _role_problem(account, str(role))
        if problem:
            raise ApiError("ValidationException", problem)


def _role_problem(account: str, role_arn: str) -> str | None:
    """Why EventBridge could not assume the replication role (the provider retries this message while IAM
    propagates), or None."""
    from moto.iam.models import iam_backends

    name = role_arn.rsplit("/", 1)[-1]
    try:
        role = iam_backends[account]["aws"].get_role(name)
    except Exception:  # moto's IAMNotFoundException
        return f"Role {role_arn} cannot be assumed by principal 'events.amazonaws.com': it does not exist."
    document = role.assume_role_policy_document
    trust = json.loads(document) if isinstance(document, str) else document
    statements = trust.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        services = (statement.get("Principal") or {}).get("Service", [])
        services = services if isinstance(services, list) else [services]
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if (
            statement.get("Effect") == "Allow"
            and "events.amazonaws.com" in services
            and ("sts:AssumeRole" in actions or "sts:*" in actions)
        ):
            return None
    return f"Role {role_arn} cannot be assumed by principal 'events.amazonaws.com'."


def _caller(environ: dict[str, Any]) -> tuple[str, str]:
    """(account, region) of a request: the account of its access key, as moto decides it; the region of its
    SigV4 scope, or of X-Amz-Region-Set for SigV4a."""
    from moto.iam.models import get_account_id_from

    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if match := _SIGV4_SCOPE.search(authorization):
        return get_account_id_from(match.group("key")), match.group("region")
    region_set = environ.get("HTTP_X_AMZ_REGION_SET", "*").split(",")[0].strip()
    key = match.group("key") if (match := _SIGV4A_SCOPE.search(authorization)) else ""
    return get_account_id_from(key), region_set if _REGION.match(region_set) else "us-east-1"


def _sign_for(environ: dict[str, Any], region: str) -> None:
    """Rewrite the Authorization header as SigV4 for `region`: moto takes service and region from the
    credential scope (it verifies no signature)."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if match := _SIGV4A_SCOPE.search(authorization):
        key, date, service = match.group("key"), match.group("date"), match.group("service")
    elif match := _SIGV4_SCOPE.search(authorization):
        key, service = match.group("key"), match.group("service")
        date = str(environ.get("HTTP_X_AMZ_DATE", "20000101"))[:8]
    else:
        return
    rest = authorization.split(",", 1)[1] if "," in authorization else " SignedHeaders=host, Signature=0"
    environ["HTTP_AUTHORIZATION"] = (
        f"AWS4-HMAC-SHA256 Credential={key}/{date}/{region}/{service}/aws4_request,{rest}"
    )


def _get(account: str, region: str, name: str) -> dict[str, Any]:
    endpoint = _endpoints.get((account, region), {}).get(name)
    if endpoint is None:
        raise ApiError("ResourceNotFoundException", f"Endpoint {name} does not exist.")
    return endpoint


def _public(endpoint: dict[str, Any], *keys: str) -> dict[str, Any]:
    shown = {k: v for k, v in endpoint.items() if not k.startswith("_") and v is not None}
    return {k: shown[k] for k in keys if k in shown} if keys else shown


def _required(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not value:
        raise ApiError("ValidationException", f"1 validation error detected: {key} is required.")
    return str(value)


def _endpoint_id() -> str:
    """AWS's form: two DNS labels, e.g. `abcde12345.x7z` (the SDK puts it in the host name)."""
    alphabet = string.ascii_lowercase + string.digits
    return (
        "".join(secrets.choice(alphabet) for _ in range(10))
        + "."
        + "".join(secrets.choice(alphabet) for _ in range(3))
    )


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", operation).lower()


def _answer(
    start_response: Callable[..., Any], status: int, body: dict[str, Any], code: str = ""
) -> list[bytes]:
    headers = [("Content-Type", "application/x-amz-json-1.1")] + (
        [("x-amzn-ErrorType", code)] if code else []
    )
    start_response(f"{status} {'OK' if status < 400 else 'Error'}", headers)
    return [json.dumps(body).encode()]
