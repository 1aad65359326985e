"""Requests as AWS evaluates them, with the policies of a Deployment that apply to each.

A Step is one request (principal, action, resource, context) and the policies AWS consults for it: the
resource's policy (function, queue, topic, bus, bucket), the key policy, the role's trust policy, the role's
identity policies and permissions boundary. What the request needs and cannot find (a deleted target, a
key without a policy) makes the step fail as AWS fails the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tooling.access.collect import Deployment, Role
from tooling.access.evaluator import ContextValue, Policy, Principal, Request, ResourceKind
from tooling.access.matrix import Step

TLS: dict[str, ContextValue] = {"aws:SecureTransport": True}
PLAIN_HTTP: dict[str, ContextValue] = {"aws:SecureTransport": False}


class Steps:
    """Steps over one Deployment: (principal, action, resource, context) with the policies that apply."""

    def __init__(self, deployment: Deployment) -> None:
        self.d = deployment
        self.account = deployment.account
        self.region = deployment.region
        self.partition = deployment.outputs.event_bus_arn.split(":")[1]
        self.prefix = deployment.outputs.event_bus_name.removesuffix("-bus")
        # What the routing points at: one of these missing is a hop that fails (deleted out of band); any
        # other resource a twin names is simply outside the stack, without a policy that could allow it.
        self.referenced = {t.arn for r in deployment.rules for t in r.targets}
        self.referenced |= {s.endpoint for t in deployment.topics.values() for s in t.subscriptions}

    # -- naming ---------------------------------------------------------------------------------------------

    def short(self, arn_or_name: str) -> str:
        """A resource's name without the ARN and the stack's name prefix: `processor`, `batch-dlq`."""
        name = arn_or_name
        if name.startswith("arn:"):
            name = name.split(":", 5)[5]
            for sep in ("/", ":"):
                name = (
                    name.rsplit(sep, 1)[-1] if name.count(sep) and not name.startswith("log-group") else name
                )
        return name.removeprefix(self.prefix + "-") or name

    def service_domain(self, service: str, region: str | None = None) -> str:
        suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        return f"{service}.{region or self.region}.{suffix}"

    # -- steps ----------------------------------------------------------------------------------------------

    def role_policies(self, role: Role) -> tuple[tuple[Policy, ...], Policy | None]:
        name = self.short(role.arn)
        identity = [Policy(f"role {name} inline {p}", doc) for p, doc in role.inline.items()]
        identity += [
            Policy(f"role {name} managed {a.rsplit('/', 1)[-1]}", doc) for a, doc in role.attached.items()
        ]
        boundary = None if role.boundary is None else Policy(f"role {name} boundary", role.boundary)
        return tuple(identity), boundary

    def resource_policy(self, arn: str) -> tuple[Policy | None, str | None]:
        """(the resource's policy, why it is missing) for a function, queue, topic, bus or bucket ARN."""
        if not arn.startswith("arn:"):
            return None, None  # "*": the APIs without resource-level permissions (X-Ray, log delivery)
        service = arn.split(":")[2]
        name = self.short(arn)
        found: Any
        if service == "lambda":
            found = self.d.functions.get(arn)
            label = f"function {name} policy"
        elif service == "sqs":
            found = self.d.queues.get(arn)
            label = f"queue {name} policy"
        elif service == "sns":
            found = self.d.topics.get(arn)
            label = f"topic {name} policy"
        elif service == "events":
            found = self.d.buses.get(arn)
            label = f"bus {name} policy"
        elif service == "s3":
            bucket = arn.split("/", 1)[0]
            found = self.d.buckets.get(bucket)
            label = f"bucket {self.short(bucket.rsplit(':', 1)[-1])} policy"
        else:
            return None, None  # Firehose, Step Functions, DynamoDB, logs, X-Ray: no resource policy here
        if found is None:
            return None, (f"{arn} does not exist" if arn in self.referenced else None)
        return (None if found.policy is None else Policy(label, found.policy)), None

    def service_step(
        self, principal: Principal, action: str, resource: str, context: Mapping[str, ContextValue]
    ) -> Step:
        policy, missing = self.resource_policy(resource)
        return Step(
            Request(principal, action, resource, dict(context)),
            self._account_of(resource),
            resource=policy,
            missing=missing,
        )

    def role_step(
        self, role_arn: str, action: str, resource: str, context: Mapping[str, ContextValue] = TLS
    ) -> Step:
        role = self.d.roles.get(role_arn)
        principal = Principal.role(role_arn)
        full = {"aws:PrincipalArn": role_arn, "aws:PrincipalAccount": principal.account or "", **context}
        req = Request(principal, action, resource, full)
        if role is None:
            return Step(req, self._account_of(resource), missing=f"role {role_arn} does not exist")
        identity, boundary = self.role_policies(role)
        policy, missing = self.resource_policy(resource)
        return Step(req, self._account_of(resource), identity, boundary, policy, missing=missing)

    def kms_step(
        self, principal: Principal, action: str, key_arn: str | None, context: Mapping[str, ContextValue]
    ) -> Step:
        key = key_arn or "(no key)"
        full = dict(context)
        if principal.kind == "role":
            full = {"aws:PrincipalArn": principal.id, "kms:CallerAccount": principal.account or "", **full}
        req = Request(principal, action, key, full)
        if key_arn is None or key_arn not in self.d.keys:
            return Step(req, self.account, missing=f"key {key} does not exist or has no readable policy")
        identity: tuple[Policy, ...] = ()
        boundary = None
        if principal.kind == "role":
            role = self.d.roles.get(principal.id)
            if role is None:
                return Step(req, self.account, missing=f"role {principal.id} does not exist")
            identity, boundary = self.role_policies(role)
        policy = Policy(f"key {self.key_label(key_arn)} policy", self.d.keys[key_arn])
        kind: ResourceKind = "kms"
        return Step(req, self._account_of(key_arn), identity, boundary, policy, kind)

    def assume_step(
        self, principal: Principal, role_arn: str | None, context: Mapping[str, ContextValue]
    ) -> Step:
        arn = role_arn or "(no role)"
        req = Request(principal, "sts:AssumeRole", arn, dict(context))
        role = self.d.roles.get(arn)
        if role is None:
            return Step(req, self.account, missing=f"role {arn} does not exist")
        return Step(
            req,
            self._account_of(arn),
            resource=Policy(f"role {self.short(arn)} trust policy", role.trust),
            kind="trust",
        )

    def key_label(self, key_arn: str) -> str:
        region = key_arn.split(":")[3]
        return "secondary key" if region != self.region else "stack key"

    def _account_of(self, arn: str) -> str:
        parts = arn.split(":")
        return parts[4] if len(parts) > 4 and parts[4] else self.account
