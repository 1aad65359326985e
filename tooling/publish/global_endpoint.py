"""PutEvents through an EventBridge global endpoint, as botocore sends it: where to, and signed with SigV4a.

A request with an EndpointId goes to `https://<endpoint_id>.endpoint.events.<partition's DNS suffix>` (or to
the configured endpoint URL, AWS_ENDPOINT_URL and the like, for emulators) and is signed with SigV4a over the
region set "*" (header X-Amz-Region-Set), because Route 53 decides which region receives it. Both come from
botocore's endpoint ruleset for EventBridge, asked through the client's resolver, so FIPS, dual-stack, the
partition and endpoint overrides resolve exactly as boto3 resolves them. botocore signs SigV4a only with the
AWS Common Runtime (the awscrt package, botocore's `crt` extra): without it, one clear refusal up front.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from tooling.errors import UsageError

OPERATION = "PutEvents"


class Signer(Protocol):
    def add_auth(self, request: Any) -> None: ...


def require_sigv4a(endpoint_id: str) -> None:
    """Refuse (exit 2) when botocore cannot sign SigV4a: awscrt missing, or turned off by BOTO_DISABLE_CRT."""
    import botocore.compat

    if botocore.compat.HAS_CRT:
        return
    what = f"publishing through the global endpoint {endpoint_id} needs SigV4a signatures, which botocore "
    if os.environ.get("BOTO_DISABLE_CRT", "").lower() == "true":
        raise UsageError(
            what + "makes only with the awscrt package, and BOTO_DISABLE_CRT=true turns it off",
            hint="unset BOTO_DISABLE_CRT, or publish with --no-endpoint (the primary region's bus)",
        )
    raise UsageError(
        what + "makes only with the awscrt package, and it is not installed",
        hint="run `make install` (the locks pin awscrt) or `pip install 'botocore[crt]'`, or publish with "
        "--no-endpoint (the primary region's bus)",
    )


def resolve(events: Any, endpoint_id: str) -> tuple[str, str]:
    """(URL, signing region set) of PutEvents with `endpoint_id` for the botocore events client `events`:
    botocore's own endpoint resolution for the call (a configuration it refuses is a usage error)."""
    from botocore.exceptions import BotoCoreError

    operation = events.meta.service_model.operation_model(OPERATION)
    # The client's ruleset resolver holds what the client was configured with (region, FIPS, dual-stack, the
    # endpoint URL override); botocore has no public call that resolves one operation's endpoint.
    resolver = events._ruleset_resolver
    try:
        endpoint = resolver.construct_endpoint(operation, {"EndpointId": endpoint_id, "Entries": []}, {})
        auth_type, signing = resolver.auth_schemes_to_signing_ctx(endpoint.properties["authSchemes"])
    except BotoCoreError as exc:
        raise UsageError(
            f"cannot publish through the global endpoint {endpoint_id}: {exc}",
            hint="publish with --no-endpoint (the primary region's bus), or change the AWS configuration "
            "botocore refused (use_fips_endpoint: EventBridge endpoints have no FIPS variant)",
        ) from None
    if auth_type != "v4a":  # the ruleset says sigv4a for every EndpointId; anything else is a new botocore
        raise UsageError(f"botocore resolved signature {auth_type!r} for the global endpoint, not SigV4a")
    return str(endpoint.url), str(signing.get("region", "*"))


def sigv4a_signer(credentials: Any, region_set: str, service: str = "events") -> Signer:
    """botocore's SigV4a signer (awscrt's signing underneath) for frozen `credentials`."""
    # botocore.auth first: botocore.crt.auth imports it, and it imports botocore.crt.auth back.
    import botocore.auth  # noqa: F401
    from botocore.crt.auth import CrtSigV4AsymAuth

    signer: Signer = CrtSigV4AsymAuth(credentials, service, region_set)
    return signer


__all__ = ["require_sigv4a", "resolve", "sigv4a_signer"]
