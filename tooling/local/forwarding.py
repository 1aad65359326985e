"""The account's default bus on the local target, and the rule that forwards AWS service events from it
to the custom bus (terraform/modules/forwarding).

AWS services (EC2, Health, ...) publish only on the default bus. Locally nothing emits them, so the default
bus takes them from PutEvents (`tooling publish file --bus default`) as the services would put them: an
`aws.*` source, which AWS refuses from any caller's PutEvents (NotAuthorizedForSourceException), is
accepted here on the default bus only, as the stand-in for the service. README says so.

Delivery keeps the event as it is (id, source, detail-type, time, account, region, resources, detail), so
the routing rules of the custom bus match the forwarded event by its aws.* source. The forwarding target
PutEvents on the custom bus with its role: a role that may not put events on that bus, or a bus that does
not exist, is a failure EventBridge does not retry: the rule's FailedInvocations, and the event in the
events DLQ with the attributes EventBridge sets. The rule's metrics are counted under its name.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tooling.config import Config, partition_of
from tooling.local.delivery import dead_letter_attributes, send_message
from tooling.local.store import Counters, Store
from tooling.naming import Arns, Names
from tooling.patterns import compile_pattern

DEFAULT_BUS = "default"
META_KEY = "forwarding"
TARGET_ID = "custom-bus"


@dataclass(frozen=True)
class ForwardingRule:
    """The forwarding rule as provisioned: pattern, target (the custom bus), the resources its role may
    PutEvents on, and the DLQ."""

    name: str
    arn: str
    state: str
    pattern: dict[str, Any]
    target_arn: str
    role_arn: str
    role_resources: tuple[str, ...]
    dlq_url: str | None
    description: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {
                "name": self.name,
                "arn": self.arn,
                "state": self.state,
                "pattern": self.pattern,
                "target_arn": self.target_arn,
                "role_arn": self.role_arn,
                "role_resources": list(self.role_resources),
                "dlq_url": self.dlq_url,
                "description": self.description,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ForwardingRule:
        data = json.loads(text)
        return cls(
            name=data["name"],
            arn=data["arn"],
            state=data["state"],
            pattern=data["pattern"],
            target_arn=data["target_arn"],
            role_arn=data["role_arn"],
            role_resources=tuple(data["role_resources"]),
            dlq_url=data["dlq_url"],
            description=data.get("description", ""),
        )


def default_bus_arn(arns: Arns) -> str:
    return arns.event_bus(DEFAULT_BUS)


def forwarding_rule_for(config: Config, names: Names, arns: Arns, dlq_url: str) -> ForwardingRule | None:
    """What Terraform's forwarding module creates for this Config; None when [forwarding] is off."""
    if not config.forwarding.enabled:
        return None
    name = names.forwarding_rule
    bus_arn = arns.event_bus(names.bus)
    return ForwardingRule(
        name=name,
        arn=arns.default_bus_rule(name),
        state="ENABLED",
        pattern=config.forwarding.pattern,
        target_arn=bus_arn,
        role_arn=f"arn:{partition_of(arns.region)}:iam::{arns.account}:role/{name}",
        # The role's one permission: events:PutEvents on the custom bus.
        role_resources=(bus_arn,),
        dlq_url=dlq_url,
        description=f"AWS service events ({', '.join(config.forwarding.sources)}) from the default bus "
        f"to {names.bus}",
    )


def provision_forwarding(store: Store, conn: sqlite3.Connection, rule: ForwardingRule | None) -> None:
    if rule is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (META_KEY,))
        return
    store.set_meta(META_KEY, rule.to_json(), conn)


def load_forwarding(store: Store) -> ForwardingRule | None:
    text = store.meta(META_KEY)
    return None if not text else ForwardingRule.from_json(text)


def is_default_bus(bus: Any, default_bus_arn: str) -> bool:
    """An EventBusName naming the default bus (by name or ARN)."""
    return bus in (DEFAULT_BUS, default_bus_arn)


class Forwarder:
    """Applies the forwarding rule to events accepted on the default bus, inside the caller's transaction."""

    def __init__(self, rule: ForwardingRule | None, custom_bus_arn: str) -> None:
        self.rule = rule
        self.custom_bus_arn = custom_bus_arn
        self._pattern = None if rule is None else compile_pattern(rule.pattern)

    def forward(
        self,
        conn: sqlite3.Connection,
        event: dict[str, Any],
        now: float,
        counters: Counters,
        deliver: Callable[[dict[str, Any]], None],
    ) -> bool:
        """Match the event; deliver it (unchanged) to the custom bus, or dead-letter a failed delivery.
        True when it reached the custom bus."""
        rule = self.rule
        if (
            rule is None
            or self._pattern is None
            or rule.state != "ENABLED"
            or not self._pattern.matches(event)
        ):
            return False
        counters.add("rule", rule.name, "MatchedEvents", at=now)
        counters.add("rule", rule.name, "TriggeredRules", at=now)
        counters.add("rule", rule.name, "Invocations", at=now)
        failure = self._refusal(rule)
        if failure is None:
            deliver(event)
            counters.add("target", f"forwarding/{TARGET_ID}", "Delivered", at=now)
            counters.sample("rule", rule.name, "IngestionToInvocationStartLatency", 0.0, at=now)
            return True
        code, message = failure
        counters.add("rule", rule.name, "FailedInvocations", at=now)
        counters.add("target", f"forwarding/{TARGET_ID}", "Failed", at=now)
        if rule.dlq_url is not None:
            attributes = dead_letter_attributes(
                rule.arn, rule.target_arn, code, message, 1, "MaximumRetryAttemptsExhausted"
            )
            body = json.dumps(event, separators=(",", ":"))
            send_message(conn, rule.dlq_url, body, attributes=attributes, now=now)
            counters.add("rule", rule.name, "DeadLetterInvocations", at=now)
        return False

    def _refusal(self, rule: ForwardingRule) -> tuple[str, str] | None:
        """Why PutEvents on the target with the role fails (errors EventBridge does not retry), or None."""
        if rule.target_arn not in rule.role_resources:
            return (
                "NO_PERMISSIONS",
                f"Role {rule.role_arn} is not authorized to perform events:PutEvents on {rule.target_arn}",
            )
        if rule.target_arn != self.custom_bus_arn:
            return "RESOURCE_NOT_FOUND", f"Event bus {rule.target_arn} does not exist."
        return None
