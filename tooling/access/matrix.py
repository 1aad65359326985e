"""The path matrix: every hop an event can take through a deployment, each with negative twins, evaluated.

A hop is what one delivery needs, as AWS authorizes it: one or more requests (EventBridge's sqs:SendMessage
and the kms:GenerateDataKey SQS then makes for it, say), each with the policies that apply. It is allowed
only when every request is. A negative twin is the same hop with one thing changed that the policies must
refuse (another rule of the same bus, another account, plain HTTP where a TLS-only statement exists, another
function's role or queue); a twin that is allowed means a policy is wider than the hop needs.

hops.py builds the hops from a Deployment; this module evaluates them and sums them up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tooling.access.evaluator import Decision, Policy, Request, ResourceKind, StatementRef, evaluate


@dataclass(frozen=True)
class Step:
    """One request of a hop and the policies AWS evaluates for it. `missing` says a resource or policy the
    request needs does not exist (deleted out of band): the request then fails as AWS fails it."""

    request: Request
    resource_account: str
    identity: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    resource: Policy | None = None
    kind: ResourceKind = "plain"
    missing: str | None = None

    def decide(self) -> Decision:
        if self.missing is not None:
            return Decision(False, self.missing)
        return evaluate(
            self.request,
            resource_account=self.resource_account,
            identity=self.identity,
            boundary=self.boundary,
            resource=self.resource,
            kind=self.kind,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "principal": str(self.request.principal),
            "action": self.request.action,
            "resource": self.request.resource,
            "context": {k: v for k, v in self.request.context.items()},
        }


@dataclass(frozen=True)
class Hop:
    name: str
    kind: str  # rule-target, dead-letter, bus, subscription, consumer, function, workflow, firehose, producer
    steps: tuple[Step, ...]
    expect_allow: bool = True
    twin_of: str | None = None  # the hop this one is a negative twin of
    change: str = ""  # what the twin changes


@dataclass(frozen=True)
class HopResult:
    hop: Hop
    decisions: tuple[Decision, ...]

    @property
    def allowed(self) -> bool:
        return all(d.allowed for d in self.decisions)

    @property
    def ok(self) -> bool:
        return self.allowed == self.hop.expect_allow

    @property
    def reason(self) -> str:
        denied = [d for d in self.decisions if not d.allowed]
        return denied[0].reason if denied else "allowed"

    @property
    def deciding(self) -> tuple[StatementRef, ...]:
        """Allowed: every statement that allowed a request. Denied: the statements of the first refusal
        (none for an implicit deny: then `reason` says which policy lacks the grant)."""
        if self.allowed:
            return tuple(dict.fromkeys(s for d in self.decisions for s in d.statements))
        return next(d for d in self.decisions if not d.allowed).statements

    def as_json(self) -> dict[str, Any]:
        return {
            "hop": self.hop.name,
            "kind": self.hop.kind,
            "expect": "ALLOW" if self.hop.expect_allow else "DENY",
            "decision": "ALLOW" if self.allowed else "DENY",
            "ok": self.ok,
            "twin_of": self.hop.twin_of,
            "change": self.hop.change,
            "reason": self.reason,
            "statements": [str(s) for s in self.deciding],
            "requests": [
                {
                    **step.as_json(),
                    "decision": "ALLOW" if d.allowed else "DENY",
                    "reason": d.reason,
                    "statements": [str(s) for s in d.statements],
                }
                for step, d in zip(self.hop.steps, self.decisions, strict=True)
            ],
        }


@dataclass(frozen=True)
class Matrix:
    environment: str
    results: tuple[HopResult, ...] = field(default_factory=tuple)

    @property
    def hops(self) -> list[HopResult]:
        return [r for r in self.results if r.hop.expect_allow]

    @property
    def twins(self) -> list[HopResult]:
        return [r for r in self.results if not r.hop.expect_allow]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def summary(self) -> str:
        allowed = sum(r.allowed for r in self.hops)
        denied = sum(not r.allowed for r in self.twins)
        return f"access {allowed}/{len(self.hops)} allowed, {denied}/{len(self.twins)} twins denied"

    def failures(self) -> list[HopResult]:
        return [r for r in self.results if not r.ok]

    def as_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "summary": self.summary(),
            "ok": self.ok,
            "hops": [r.as_json() for r in self.results],
        }


def evaluate_hops(environment: str, hops: list[Hop]) -> Matrix:
    return Matrix(environment, tuple(HopResult(h, tuple(s.decide() for s in h.steps)) for h in hops))


def render_text(matrix: Matrix) -> str:
    """The matrix for a terminal: one line per hop (decision, hop), then what decided it, indented; a hop
    whose decision is not the expected one is marked `!!`."""
    lines = []
    for result in matrix.results:
        mark = "  " if result.ok else "!!"
        lines.append(f"{mark} {'ALLOW' if result.allowed else 'DENY '}  {result.hop.name}")
        decided = [str(s) for s in result.deciding] or [result.reason]
        if not result.allowed and result.deciding:
            decided.insert(0, result.reason)
        lines += [f"            {line}" for line in decided]
    lines.append(matrix.summary() + ("" if matrix.ok else f" ({len(matrix.failures())} unexpected)"))
    return "\n".join(lines) + "\n"
