"""The routing table as deployed on AWS: ListRules and ListTargetsByRule on the environment's bus.

Rules are named by their routing-table key (the outputs' rule_arns), targets by their logical name (the
function, topic, queue, stream or state machine the outputs name; the target id otherwise). Rules managed
by a service (the archive's own rule) are not routes and are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from tooling import clients
from tooling.errors import AwsError, UsageError
from tooling.order_workflow import STATE_MACHINE_SUFFIX, WORKFLOW_TARGET
from tooling.outputs import DeploymentOutputs
from tooling.routes.chunks import Chunk
from tooling.routes.model import RouteRule, Routes, RouteTarget, Transformer


class AwsRoutesSource:
    def __init__(self, outputs: DeploymentOutputs, events: Any | None = None) -> None:
        self.outputs = outputs
        self._events = events if events is not None else clients.client("events", outputs.region)

    def deployed_routes(self) -> Routes:
        bus = self.outputs.event_bus_name
        keys = {arn: key for key, arn in self.outputs.rule_arns.items()}
        rules = []
        for page in self._events.get_paginator("list_rules").paginate(EventBusName=bus):
            for rule in page.get("Rules", []):
                if rule.get("ManagedBy") or not rule.get("EventPattern"):
                    continue  # the archive's rule; a scheduled rule routes no events
                targets = [
                    target
                    for tpage in self._events.get_paginator("list_targets_by_rule").paginate(
                        Rule=rule["Name"], EventBusName=bus
                    )
                    for target in tpage.get("Targets", [])
                ]
                rules.append(
                    RouteRule(
                        name=keys.get(rule["Arn"], rule["Name"]),
                        pattern=_pattern(rule),
                        enabled=rule.get("State", "ENABLED") != "DISABLED",
                        targets=tuple(self._target(t) for t in targets),
                        aws_name=rule["Name"],
                        arn=rule["Arn"],
                    )
                )
        return Routes(origin=f"deployed on AWS (bus {bus}, {self.outputs.region})", rules=tuple(rules))

    def _target(self, target: dict[str, Any]) -> RouteTarget:
        transformer = target.get("InputTransformer")
        return RouteTarget(
            target=logical_target(self.outputs, str(target.get("Arn", "")), str(target["Id"])),
            target_id=str(target["Id"]),
            transformer=None
            if not transformer
            else Transformer(
                tuple(sorted((transformer.get("InputPathsMap") or {}).items())), transformer["InputTemplate"]
            ),
        )

    def archived_chunks(self, since: date | None, until: date | None) -> tuple[Iterator[Chunk], str]:
        raise UsageError(
            "on AWS the EventBridge archive can only be replayed, not read",
            hint="read the S3 event archive instead (--s3-archive), or JSON lines (--events FILE)",
        )

    def close(self) -> None:
        return None


def _pattern(rule: dict[str, Any]) -> dict[str, Any]:
    try:
        pattern = json.loads(rule["EventPattern"])
    except ValueError:
        pattern = None
    if not isinstance(pattern, dict):
        raise AwsError(f"rule {rule['Name']}: its EventPattern is not a JSON object")
    return pattern


def logical_target(outputs: DeploymentOutputs, arn: str, target_id: str) -> str:
    """The routing table's name of a target ARN (the functions, topic, queue, stream and state machine of
    the outputs); the target id when the ARN is none of them (it defaults to the logical name)."""
    for key, name in outputs.function_names.items():
        if arn.endswith(f":function:{name}"):
            return key
    if arn and arn == outputs.notifications_topic_arn:
        return "notifications"
    if arn and arn == outputs.batch_queue_arn:
        return "batch-queue"
    if outputs.s3_archive_stream_name and arn.endswith(f":deliverystream/{outputs.s3_archive_stream_name}"):
        return "s3-archive"
    if ":stateMachine:" in arn and arn.endswith(f"-{STATE_MACHINE_SUFFIX}"):
        return WORKFLOW_TARGET
    return target_id
