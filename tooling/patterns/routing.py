"""Offline routing preview: which rules of the routing table match an event, and the exact payload each
target would receive after its input transformer (what `tooling route` prints). Names and ARNs come from
the same naming scheme Terraform and the local target use (tooling/naming.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tooling.config import Config
from tooling.naming import ACCOUNT_ID, Arns, Names
from tooling.patterns import RuleSet
from tooling.patterns.transform import apply_input_transformer

SUFFIX_PLACEHOLDER = "xxxxxx"


def complete_event(event: dict[str, Any], region: str) -> dict[str, Any]:
    """A pasted (partial) event with the envelope fields EventBridge always sets, in AWS's order."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    defaults: dict[str, Any] = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": None,
        "source": None,
        "account": ACCOUNT_ID,
        "time": now,
        "region": region,
        "resources": [],
        "detail": {},
    }
    full: dict[str, Any] = {}
    for key, default in defaults.items():
        if key in event:
            full[key] = event[key]
        elif default is not None:
            full[key] = default
    full.update({k: v for k, v in event.items() if k not in full})
    return full


def route_event(config: Config, event: dict[str, Any], suffix: str) -> dict[str, Any]:
    """Which enabled rules match the event and, per target, the exact payload it would receive."""
    rules = [rule for rule in config.rules if rule.enabled]
    matched = set(RuleSet({rule.name: rule.pattern for rule in rules}).match(event))
    names = Names.of(config, suffix)
    arns = Arns(config.region, str(event.get("account", ACCOUNT_ID)))
    ingestion = str(event.get("time", ""))
    out: list[dict[str, Any]] = []
    for rule in rules:
        if rule.name not in matched:
            continue
        rule_name = names.rule(rule.name)
        rule_arn = arns.rule(names.bus, rule_name)
        targets = []
        for target in rule.targets:
            transformer = target.input_transformer
            payload = apply_input_transformer(
                event,
                transformer.input_paths if transformer else None,
                transformer.input_template if transformer else None,
                rule_arn=rule_arn,
                rule_name=rule_name,
                ingestion_time=ingestion,
            )
            targets.append({"target": target.target, "target_id": target.target_id, "payload": payload})
        out.append({"rule": rule.name, "rule_arn": rule_arn, "targets": targets})
    disabled = [rule.name for rule in config.rules if not rule.enabled]
    return {"event": event, "matches": out, "disabled_rules": disabled}
