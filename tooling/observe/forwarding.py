"""The monitor's view of default-bus forwarding ([forwarding]): the rule on the account's default bus that
forwards AWS service events to the custom bus, with its metrics and what is wrong with it.

The rule is not on the custom bus, so `list_rules` never sees it: a source that can show it implements
`ForwardingSource` (both targets do), and `build_snapshot` adds the view when the outputs name the rule.
This module sits below monitor.py (which imports it), so its models are its own.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from tooling.outputs import DeploymentOutputs

SUBJECT = "forwarding (default bus)"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ForwardingMetrics(_Model):
    """AWS/Events metrics of the forwarding rule over the window (Sum). Missing data is 0."""

    matched_events: int = 0
    invocations: int = 0
    failed_invocations: int = 0
    dead_letter_invocations: int = 0
    invocations_failed_to_be_sent_to_dlq: int = 0


class ForwardingRuleInfo(_Model):
    """The forwarding rule as it exists on the default bus, with its one target."""

    name: str
    state: str
    event_pattern: str | None = None
    target_arn: str | None = None
    dead_letter_arn: str | None = None


class ForwardingView(_Model):
    rule_name: str
    arn: str
    exists: bool
    state: str = "MISSING"
    pattern: Any = None  # the parsed event pattern: the forwarded sources and detail types
    target_arn: str | None = None  # should be the custom bus
    dead_letter_arn: str | None = None
    metrics: ForwardingMetrics = ForwardingMetrics()


@runtime_checkable
class ForwardingSource(Protocol):
    def describe_forwarding(self, rule_arn: str) -> ForwardingRuleInfo | None:
        """The forwarding rule (on the default bus) with its target; None when it does not exist."""
        ...

    def forwarding_metrics(self, rule_name: str, start: datetime, end: datetime) -> ForwardingMetrics:
        """The rule's AWS/Events metrics over [start, end) (a default-bus rule's: RuleName dimension only)."""
        ...


def rule_name_of(arn: str) -> str:
    """`arn:...:rule/<name>` (a default-bus rule) -> `<name>`."""
    return arn.rsplit("/", 1)[-1]


def forwarding_view(
    source: object, outputs: DeploymentOutputs, start: datetime, end: datetime
) -> ForwardingView | None:
    """None when forwarding is off (no `forwarding_rule_arn`) or the source cannot show it."""
    arn = outputs.forwarding_rule_arn
    if not arn or not isinstance(source, ForwardingSource):
        return None
    name = rule_name_of(arn)
    rule = source.describe_forwarding(arn)
    if rule is None:
        return ForwardingView(rule_name=name, arn=arn, exists=False)
    try:
        pattern = json.loads(rule.event_pattern) if rule.event_pattern else None
    except json.JSONDecodeError:
        pattern = rule.event_pattern
    return ForwardingView(
        rule_name=name,
        arn=arn,
        exists=True,
        state=rule.state,
        pattern=pattern,
        target_arn=rule.target_arn,
        dead_letter_arn=rule.dead_letter_arn,
        metrics=source.forwarding_metrics(name, start, end),
    )


Finding = tuple[Literal["warning", "critical"], str, str]


def forwarding_problems(view: ForwardingView | None, outputs: DeploymentOutputs) -> list[Finding]:
    """Missing, disabled, mis-targeted or failing forwarding: (severity, subject, message) each."""
    if view is None:
        return []
    if not view.exists:
        return [("critical", SUBJECT, "in the outputs but not on the default bus")]
    found: list[Finding] = []
    if view.state == "DISABLED":
        found.append(("warning", SUBJECT, "disabled"))
    if view.target_arn != outputs.event_bus_arn:
        target = view.target_arn or "nothing"
        found.append(("critical", SUBJECT, f"targets {target}, not the bus {outputs.event_bus_name}"))
    m = view.metrics
    if m.failed_invocations:
        found.append(("critical", SUBJECT, f"{m.failed_invocations} failed invocation(s)"))
    if m.invocations_failed_to_be_sent_to_dlq:
        lost = m.invocations_failed_to_be_sent_to_dlq
        found.append(("critical", SUBJECT, f"{lost} event(s) lost: could not reach the DLQ"))
    if m.dead_letter_invocations:
        found.append(("critical", SUBJECT, f"{m.dead_letter_invocations} event(s) sent to the DLQ"))
    return found
