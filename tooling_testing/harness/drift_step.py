"""The e2e run's drift step: changes made out of band on the moto server are what `tooling drift` reports,
exactly, and nothing else.

Right after the empty re-plan, two changes go through the API as a console user would make them: the
order-events rule disabled (EventBridge DisableRule) and the batch queue's visibility timeout changed
(SQS SetQueueAttributes). `tooling drift --json` must then exit 2 and name exactly those two resources with
exactly those attributes (a rule's deprecated `is_enabled`, which hashicorp/aws 5.x reads back beside
`state`, would be the same change: allowed, not required). Both changes are undone through the API afterwards, whatever happened, so the
later steps (publish, the faults, destroy) see the stack as applied.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tooling.errors import ToolingError
from tooling_testing.checks.inspection import client

RULE = "order-events"
RULE_ADDRESS = f'module.primary.module.routing.aws_cloudwatch_event_rule.this["{RULE}"]'
QUEUE_ADDRESS = "module.primary.module.messaging.aws_sqs_queue.batch[0]"
# Runs `tooling ARGS --env ENV` for a step: (exit code, stdout). Run.tooling_code in run.py.
ToolingCode = Callable[..., tuple[int, str]]


@dataclass(frozen=True)
class Injected:
    """One change made out of band: what the report must say about it, how to make it and undo it."""

    name: str
    address: str
    attributes: frozenset[str]  # the attributes the report must name
    also: frozenset[str]  # attributes it may name as well (the same change under another name)
    inject: Callable[[], object]
    restore: Callable[[], object]


def injected_changes(outputs: dict[str, Any], endpoint: str) -> list[Injected]:
    """The rule disabled and the batch queue's visibility timeout changed, as made through the API."""
    region = outputs["region"]
    events, sqs = client("events", region, endpoint), client("sqs", region, endpoint)
    bus = outputs["event_bus_name"]
    rule = outputs["rule_arns"][RULE].rsplit("/", 1)[-1]  # arn:...:rule/<bus>/<rule>
    queue = outputs["batch_queue_url"]
    applied = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout"])["Attributes"]
    timeout = applied["VisibilityTimeout"]

    def visibility(seconds: str) -> Callable[[], object]:
        return lambda: sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": seconds})

    return [
        Injected(
            "rule disabled", RULE_ADDRESS, frozenset({"state"}), frozenset({"is_enabled"}),
            lambda: events.disable_rule(Name=rule, EventBusName=bus),
            lambda: events.enable_rule(Name=rule, EventBusName=bus),
        ),
        Injected(
            "queue visibility timeout", QUEUE_ADDRESS, frozenset({"visibility_timeout_seconds"}), frozenset(),
            visibility(str(int(timeout) + 17)), visibility(timeout),
        ),
    ]  # fmt: skip


def reported(document: dict[str, Any]) -> dict[str, set[str]]:
    """Address -> the attributes `tooling drift --json` names for it (`(resource)` when it is gone)."""
    found: dict[str, set[str]] = {}
    for resource in document.get("resources") or []:
        names = {str(change["attribute"]) for change in resource.get("changes") or []}
        found[str(resource["address"])] = names or {"(resource)"}
    return found


def judge(document: dict[str, Any], code: int, changes: list[Injected]) -> tuple[str, bool, list[str]]:
    """(the summary line's part, passed, what was wrong) of one `tooling drift --json` answer."""
    found = reported(document)
    problems: list[str] = []
    caught = 0
    for change in changes:
        names = found.get(change.address)
        if names is not None and change.attributes <= names <= change.attributes | change.also:
            caught += 1
        else:
            problems.append(f"{change.name}: {change.address} reported with {sorted(names or [])}")
    expected = {change.address for change in changes}
    problems += [f"not injected, reported: {a} {sorted(n)}" for a, n in found.items() if a not in expected]
    if code != 2 or document.get("drift") is not True:
        problems.append(f"exit {code}, drift {document.get('drift')!r} (expected exit 2, drift true)")
    line = f"drift: {caught}/{len(changes)} injected changes reported"
    unexpected = len([a for a in found if a not in expected])
    return line + (f", {unexpected} not injected" if unexpected else ""), not problems, problems


def drift_step(
    tooling_code: ToolingCode, outputs: dict[str, Any], endpoint: str, log: Path
) -> tuple[str, bool, list[str]]:
    """Inject, run `tooling drift --json` (step `drift`), restore; the judgement of its answer."""
    changes = injected_changes(outputs, endpoint)
    try:
        for change in changes:
            change.inject()
        code, stdout = tooling_code("drift", "drift", "--json")
    finally:
        for change in changes:
            change.restore()
    try:
        document = json.loads(stdout)
    except ValueError:
        document = None
    if code not in (0, 2) or not isinstance(document, dict):
        text = log.read_text() if log.is_file() else ""
        last = next((line for line in reversed(text.splitlines()) if line.strip()), "no output")
        raise ToolingError(
            f"e2e: `tooling drift --json` failed (exit {code}): {last.strip()}", hint=f"log: {log}"
        )
    return judge(document, code, changes)
