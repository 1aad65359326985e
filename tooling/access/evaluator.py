"""AWS's policy evaluation logic for one request, kept to what this stack's policies use.

The rules (IAM User Guide, "Policy evaluation logic", "Cross-account policy evaluation logic", "Permissions
boundaries"; KMS Developer Guide, "Key policies"):

- An explicit Deny in any policy that applies (identity, permissions boundary, resource, key, trust) wins.
- Same account: an Allow in an identity policy (within the permissions boundary, if the role has one) or an
  Allow in the resource policy that names the principal is enough.
- Another account: both sides must allow; the resource policy's Allow may name the account (its root).
- A service principal (events.amazonaws.com, ...) has no identity policies: only a resource policy can
  allow it.
- A resource policy statement naming an account (`123456789012`, `arn:aws:iam::123456789012:root`) trusts
  that account's IAM: the principal still needs its own identity policy's Allow.
- KMS keys and role trust policies: the key (trust) policy must allow, directly or by naming the account
  (the IAM delegation statement), and then the identity policy must allow too; an identity policy alone
  never opens a key or a role.
- Permissions boundaries cap identity policies, and resource-policy grants to the role's ARN (not to a role
  session's ARN).
- Conditions: operators AND together, keys within one operator AND, values of one key OR (NOR for negated
  operators); a key absent from the request fails the condition, except for negated operators, `...IfExists`
  and `Null`; set operators `ForAnyValue:`/`ForAllValues:` for multivalued keys.

Not covered (docs/authorization.md says so too): SCPs and RCPs, session policies, KMS grants, ACLs, VPC endpoint
policies, policy variables (`${...}` refuses to evaluate), and date and IP address operators. An operator the
evaluator does not know raises UnsupportedPolicyError: it never guesses, so it never allows by accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from tooling.errors import ToolingError

ContextValue = str | bool | list[str]
ResourceKind = Literal["plain", "kms", "trust"]


class UnsupportedPolicyError(ToolingError):
    """A policy uses something the evaluator does not implement; it refuses rather than guess."""

    exit_code = 2


@dataclass(frozen=True)
class Policy:
    """One policy document with a name that says where it came from (`role x inline y`, `queue policy q`)."""

    name: str
    document: Mapping[str, Any]


@dataclass(frozen=True)
class Principal:
    """Who makes the request: an AWS service, or a role's session (role ARN + account)."""

    kind: Literal["service", "role"]
    id: str  # the service name (events.amazonaws.com) or the role's ARN
    account: str | None = None

    @classmethod
    def service(cls, name: str) -> Principal:
        return cls("service", name)

    @classmethod
    def role(cls, arn: str) -> Principal:
        parts = arn.split(":")
        if len(parts) < 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise UnsupportedPolicyError(f"{arn} is not an IAM role ARN")
        return cls("role", arn, parts[4])

    @property
    def session_arn(self) -> str | None:
        """The ARN of the role's session (what the role's credentials are): arn:P:sts::A:assumed-role/N/S."""
        if self.kind != "role":
            return None
        partition = self.id.split(":")[1]
        name = self.id.rsplit("/", 1)[-1]
        return f"arn:{partition}:sts::{self.account}:assumed-role/{name}/session"

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class StatementRef:
    """A statement that decided: its policy's name, its Sid (or #index), its effect."""

    policy: str
    sid: str
    effect: str

    def __str__(self) -> str:
        return f"{self.policy}: {self.sid} ({self.effect})"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    statements: tuple[StatementRef, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason,
            "statements": [str(s) for s in self.statements],
        }


# -- matching -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    if "${" in pattern:
        raise UnsupportedPolicyError(f"policy variable in {pattern!r}: policy variables are not evaluated")
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def arn_match(pattern: str, value: str) -> bool:
    """ARN matching of the Resource element and the Arn* operators: each of the six colon-separated parts
    on its own (a wildcard does not reach into the next part), the last part taking the rest of the ARN."""
    if pattern == "*":
        return True
    if not pattern.startswith("arn:") or not value.startswith("arn:"):
        return glob_match(pattern, value)
    wanted = pattern.split(":", 5)
    got = value.split(":", 5)
    if len(got) < len(wanted):
        return False
    if len(got) > len(wanted):  # a short pattern ("arn:aws:sqs:*"): its last part matches the rest
        got = [*got[: len(wanted) - 1], ":".join(got[len(wanted) - 1 :])]
    return all(glob_match(w, g) for w, g in zip(wanted, got, strict=True))


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [("true" if v else "false") if isinstance(v, bool) else str(v) for v in items]


def _statements(policy: Policy) -> list[tuple[str, Mapping[str, Any]]]:
    raw = policy.document.get("Statement", [])
    items = raw if isinstance(raw, list) else [raw]
    found = []
    for index, statement in enumerate(items):
        if not isinstance(statement, Mapping):
            raise UnsupportedPolicyError(f"{policy.name}: Statement[{index}] is not an object")
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise UnsupportedPolicyError(f"{policy.name}: Statement[{index}] has Effect {effect!r}")
        found.append((str(statement.get("Sid") or f"#{index}"), statement))
    return found


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    if "Action" in statement:
        return any(glob_match(p, action, ignore_case=True) for p in _strings(statement["Action"]))
    if "NotAction" in statement:
        return not any(glob_match(p, action, ignore_case=True) for p in _strings(statement["NotAction"]))
    return False


def _resource_matches(statement: Mapping[str, Any], resource: str) -> bool:
    if "Resource" in statement:
        return any(arn_match(p, resource) for p in _strings(statement["Resource"]))
    if "NotResource" in statement:
        return not any(arn_match(p, resource) for p in _strings(statement["NotResource"]))
    # A resource policy may leave Resource out (Lambda, trust policies): the statement is about its resource.
    return True


Match = Literal["direct", "session", "account"]


def _principal_values(block: Any) -> dict[str, list[str]]:
    if block == "*":
        return {"*": ["*"]}
    if not isinstance(block, Mapping):
        raise UnsupportedPolicyError(f'Principal {block!r} is neither "*" nor an object')
    return {str(kind): _strings(values) for kind, values in block.items()}


def _principal_match(block: Any, principal: Principal) -> Match | None:
    values = _principal_values(block)
    if "*" in values:
        return "direct"
    if principal.kind == "service":
        services = [v.lower() for v in values.get("Service", [])]
        return "direct" if principal.id.lower() in services or "*" in values.get("AWS", []) else None
    best: Match | None = None
    for value in values.get("AWS", []):
        if value == "*" or value == principal.id:
            return "direct"
        if value == principal.session_arn:
            best = "session"
        elif best is None and value in (
            principal.account,
            f"arn:{_partition(principal.id)}:iam::{principal.account}:root",
        ):
            best = "account"
    return best


def _partition(arn: str) -> str:
    return arn.split(":")[1] if arn.startswith("arn:") else "aws"


_OPERATORS = {
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Bool",
    "Null",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
}
_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "NumericNotEquals",
}


def _value_matches(operator: str, wanted: str, got: str) -> bool:
    base = operator.replace("Not", "", 1) if operator in _NEGATED else operator
    if base == "StringEquals":
        return wanted == got
    if base == "StringEqualsIgnoreCase":
        return wanted.lower() == got.lower()
    if base == "StringLike":
        return glob_match(wanted, got)
    if base in ("ArnEquals", "ArnLike"):
        return arn_match(wanted, got)
    if base == "Bool":
        return wanted.lower() == got.lower()
    try:
        left, right = float(got), float(wanted)
    except ValueError:
        return False
    return {
        "NumericEquals": left == right,
        "NumericLessThan": left < right,
        "NumericLessThanEquals": left <= right,
        "NumericGreaterThan": left > right,
        "NumericGreaterThanEquals": left >= right,
    }[base]


def _key_holds(full_operator: str, key: str, wanted: list[str], context: Mapping[str, list[str]]) -> bool:
    qualifier, _, operator = full_operator.rpartition(":")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise UnsupportedPolicyError(f"condition operator {full_operator!r} is not evaluated here")
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    operator = operator.removesuffix("IfExists") if if_exists else operator
    if operator not in _OPERATORS:
        raise UnsupportedPolicyError(f"condition operator {full_operator!r} is not evaluated here")
    got = context.get(key.lower())
    if operator == "Null":
        return (got is None) == (wanted[0].lower() == "true")
    negated = operator in _NEGATED
    if got is None:
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return if_exists or negated
    if qualifier == "ForAllValues":
        return all(_one_value(operator, negated, wanted, value) for value in got)
    if qualifier == "ForAnyValue":
        return any(_one_value(operator, negated, wanted, value) for value in got)
    if negated:  # NOR over the policy's values, for every value the request has
        return all(_one_value(operator, True, wanted, value) for value in got)
    return any(_one_value(operator, False, wanted, value) for value in got)


def _one_value(operator: str, negated: bool, wanted: list[str], got: str) -> bool:
    hit = any(_value_matches(operator, w, got) for w in wanted)
    return not hit if negated else hit


def _condition_holds(condition: Any, context: Mapping[str, list[str]]) -> bool:
    if not condition:
        return True
    if not isinstance(condition, Mapping):
        raise UnsupportedPolicyError(f"Condition {condition!r} is not an object")
    for operator, keys in condition.items():
        if not isinstance(keys, Mapping):
            raise UnsupportedPolicyError(f"Condition {operator} is not an object of keys")
        for key, values in keys.items():
            if not _key_holds(str(operator), str(key), _strings(values), context):
                return False
    return True


def _normalised(context: Mapping[str, ContextValue]) -> dict[str, list[str]]:
    return {key.lower(): _strings(value) for key, value in context.items()}


@dataclass(frozen=True)
class _Hit:
    ref: StatementRef
    match: Match | None  # how a resource policy's statement named the principal; None for identity policies


def matching_statements(policy: Policy, request: Request, *, resource_policy: bool) -> list[_Hit]:
    """The statements of `policy` that apply to the request (principal, action, resource and condition)."""
    context = _normalised(request.context)
    hits = []
    for sid, statement in _statements(policy):
        match: Match | None = None
        if resource_policy:
            if "Principal" in statement:
                match = _principal_match(statement["Principal"], request.principal)
                if match is None:
                    continue
            elif "NotPrincipal" in statement:
                if _principal_match(statement["NotPrincipal"], request.principal) is not None:
                    continue
                match = "direct"
            else:
                raise UnsupportedPolicyError(f"{policy.name}: statement {sid} names no principal")
        if not _action_matches(statement, request.action):
            continue
        if not _resource_matches(statement, request.resource):
            continue
        if not _condition_holds(statement.get("Condition"), context):
            continue
        hits.append(_Hit(StatementRef(policy.name, sid, str(statement["Effect"])), match))
    return hits


# -- the decision ---------------------------------------------------------------------------------------------


def evaluate(
    request: Request,
    *,
    resource_account: str,
    identity: Sequence[Policy] = (),
    boundary: Policy | None = None,
    resource: Policy | None = None,
    kind: ResourceKind = "plain",
) -> Decision:
    """Allow or deny `request`, with the statements that decided it.

    `resource` is the resource's policy (queue, topic, function, bus, bucket policy; the key policy when
    kind="kms"; the role's trust policy when kind="trust"); `identity` and `boundary` are the principal's
    (a service principal has none).
    """
    if request.principal.kind == "service" and (identity or boundary):
        raise UnsupportedPolicyError(
            f"{request.principal} is a service principal: it has no identity policies"
        )
    identity_hits = [h for p in identity for h in matching_statements(p, request, resource_policy=False)]
    boundary_hits = [] if boundary is None else matching_statements(boundary, request, resource_policy=False)
    resource_hits = [] if resource is None else matching_statements(resource, request, resource_policy=True)

    denies = [h.ref for h in (*identity_hits, *boundary_hits, *resource_hits) if h.ref.effect == "Deny"]
    if denies:
        return Decision(False, "explicit deny", tuple(denies))

    identity_allows = [h.ref for h in identity_hits]
    boundary_allows = [h.ref for h in boundary_hits]
    within_boundary = boundary is None or bool(boundary_allows)
    identity_ok = bool(identity_allows) and within_boundary
    direct = [h for h in resource_hits if h.match in ("direct", "session")]
    # A grant to the role's ARN is capped by its boundary; a grant to the session's ARN is not.
    direct_ok = [h.ref for h in direct if h.match == "session" or within_boundary]
    delegating = [h.ref for h in resource_hits if h.match == "account"]
    identity_side = tuple(identity_allows + boundary_allows)
    what = {"plain": "resource policy", "kms": "key policy", "trust": "trust policy"}[kind]

    if request.principal.kind == "service":
        if direct_ok:
            return Decision(True, f"{what} allows the service", tuple(direct_ok))
        return Decision(False, f"implicit deny: no {what} statement allows {request.principal}")

    same_account = request.principal.account == resource_account
    if direct_ok and (same_account or identity_ok):
        return Decision(
            True, f"{what} names the principal", tuple(direct_ok) + (() if same_account else identity_side)
        )
    if delegating and identity_ok:
        return Decision(
            True, f"{what} delegates to IAM, identity policy allows", tuple(delegating) + identity_side
        )
    if same_account and kind == "plain" and identity_ok:
        return Decision(True, "identity policy allows (same account)", identity_side)
    return Decision(
        False,
        _implicit_reason(
            request, kind, what, same_account, identity_allows, within_boundary, bool(direct or delegating)
        ),
    )


def _implicit_reason(
    request: Request,
    kind: ResourceKind,
    what: str,
    same_account: bool,
    identity_allows: list[StatementRef],
    within_boundary: bool,
    resource_allows: bool,
) -> str:
    if identity_allows and not within_boundary:
        return "implicit deny: outside the permissions boundary"
    if kind != "plain" and not resource_allows:
        return (
            f"implicit deny: the {what} neither names {request.principal} nor delegates to its account's IAM"
        )
    if not same_account and not resource_allows:
        return f"implicit deny: another account, and the {what} does not allow it"
    return f"implicit deny: no identity policy of {request.principal} allows {request.action}"


def describe(statements: Iterable[StatementRef]) -> list[str]:
    return [str(s) for s in statements]
