"""The order-fulfilment workflow: what the `order-workflow` target's state machine does, as plain Python.

terraform/modules/workflows/main.tf defines the AWS state machine (Amazon States Language, rendered with
jsonencode); this module restates exactly that one definition, state by state, for the local target and for
the config check that refuses a routing loop. It is not an ASL interpreter: change the definition there and
here together (tests/terraform/test_order_workflow.py compares the two).

    CheckTotal (Choice)
      $.detail.totalAmount absent           -> InvalidOrder (Fail, Order.InvalidTotal)
      $.detail.totalAmount not a number     -> InvalidOrder
      $.detail.totalAmount > threshold      -> FlagOrder   (events:putEvents "Order Flagged")  -> Done (Succeed)
      otherwise                             -> AcceptOrder (events:putEvents "Order Accepted") -> Done (Succeed)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WORKFLOW_TARGET = "order-workflow"
# The state machine's name is <name_prefix>-<STATE_MACHINE_SUFFIX>.
STATE_MACHINE_SUFFIX = "order-fulfilment"
STATE_MACHINE_TYPE = "EXPRESS"
# What the workflow publishes: the orders source (so all-events archives, queues and counts it), with
# detail-types no rule that starts the workflow may match (config.py refuses such a rule).
PUBLISHED_SOURCE = "ecommerce.orders"
FLAGGED = "Order Flagged"
ACCEPTED = "Order Accepted"
# The publishing tasks' Retry (States.ALL, MaxAttempts 3); States.Runtime is never retried.
PUBLISH_RETRIES = 3
INVALID_TOTAL_ERROR = "Order.InvalidTotal"
INVALID_TOTAL_CAUSE = "detail.totalAmount is missing or not a number"
# Parameters.Entries[0].Detail of both putEvents tasks: field -> JSONPath into the execution input.
DETAIL_PATHS = {
    "orderId": "$.detail.orderId",
    "customerId": "$.detail.customerId",
    "totalAmount": "$.detail.totalAmount",
    "sourceEventId": "$.id",
}


@dataclass(frozen=True)
class ExecutionResult:
    """How one execution ended, and the PutEvents entries its task state sent (in order)."""

    status: str  # SUCCEEDED | FAILED
    output: Any = None
    error: str | None = None
    cause: str | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)
    path: list[str] = field(default_factory=list)  # the states entered, for the execution record


class PathNotFound(Exception):
    pass


def _resolve(document: Any, path: str) -> Any:
    """A `$.a.b` reference path (the only form the definition uses)."""
    value = document
    for part in path.removeprefix("$").split(".")[1:]:
        if not isinstance(value, dict) or part not in value:
            raise PathNotFound(path)
        value = value[part]
    return value


def _is_numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def choose(execution_input: Any, threshold: float) -> str:
    """The CheckTotal Choice state: the name of the next state."""
    try:
        total = _resolve(execution_input, "$.detail.totalAmount")
    except PathNotFound:
        return "InvalidOrder"
    if not _is_numeric(total):
        return "InvalidOrder"
    return "FlagOrder" if total > threshold else "AcceptOrder"


def put_events_entry(
    execution_input: Any,
    detail_type: str,
    threshold: float,
    *,
    event_bus_name: str,
    resources: list[str],
) -> dict[str, Any]:
    """The PutEvents entry a task state sends. The optimized integration appends the execution and state
    machine ARNs to Resources. A path missing from the input fails the state (States.Runtime)."""
    detail: dict[str, Any] = {}
    for key, path in DETAIL_PATHS.items():
        try:
            detail[key] = _resolve(execution_input, path)
        except PathNotFound:
            raise PathNotFound(
                f"The JsonPath argument for the field '{key}.$' could not be found in the input"
            ) from None
    detail["threshold"] = threshold
    return {
        "EventBusName": event_bus_name,
        "Source": PUBLISHED_SOURCE,
        "DetailType": detail_type,
        "Detail": json.dumps(detail, separators=(",", ":")),
        "Resources": list(resources),
    }


def run(
    execution_input: Any,
    threshold: float,
    *,
    event_bus_name: str,
    execution_arn: str,
    state_machine_arn: str,
    put_events: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
) -> ExecutionResult:
    """Run the definition once. `put_events(entries) -> results` is the bus (PutEvents response shape);
    a result with an ErrorCode fails the task with EventBridge.FailedEntry, as the optimized integration does."""
    path = ["CheckTotal"]
    state = choose(execution_input, threshold)
    path.append(state)
    if state == "InvalidOrder":
        return ExecutionResult("FAILED", error=INVALID_TOTAL_ERROR, cause=INVALID_TOTAL_CAUSE, path=path)
    detail_type = FLAGGED if state == "FlagOrder" else ACCEPTED
    try:
        entry = put_events_entry(
            execution_input,
            detail_type,
            threshold,
            event_bus_name=event_bus_name,
            resources=[execution_arn, state_machine_arn],
        )
    except PathNotFound as exc:
        return ExecutionResult("FAILED", error="States.Runtime", cause=str(exc), path=path)
    # Retry: States.ALL, 3 more attempts (the local target does not wait out the backoff).
    for _ in range(1 + PUBLISH_RETRIES):
        (result,) = put_events([entry])
        if "ErrorCode" not in result:
            break
    if "ErrorCode" in result:
        cause = json.dumps({"Entries": [result], "FailedEntryCount": 1}, separators=(",", ":"))
        return ExecutionResult(
            "FAILED", error="EventBridge.FailedEntry", cause=cause, entries=[entry], path=path
        )
    path.append("Done")
    # The task's ResultSelector; Done (Succeed) passes it on as the execution output.
    output = {"detailType": detail_type, "eventId": result["EventId"]}
    return ExecutionResult("SUCCEEDED", output=output, entries=[entry], path=path)


def sample_published_events(threshold: float) -> list[dict[str, Any]]:
    """One event of each detail-type the workflow publishes, as the bus delivers them to rules (for the
    routing-loop check; the values are examples, the source and detail-types are the real ones)."""
    events = []
    for detail_type, amount in ((FLAGGED, threshold + 1), (ACCEPTED, threshold)):
        order = {"id": "sample", "detail": {"orderId": "o-1", "customerId": "c-1", "totalAmount": amount}}
        entry = put_events_entry(order, detail_type, threshold, event_bus_name="bus", resources=[])
        events.append(
            {
                "version": "0",
                "id": "sample",
                "detail-type": entry["DetailType"],
                "source": entry["Source"],
                "account": "000000000000",
                "time": "2026-01-01T00:00:00Z",
                "region": "us-east-1",
                "resources": [],
                "detail": json.loads(entry["Detail"]),
            }
        )
    return events


def execution_arn(state_machine_arn: str, name: str) -> str:
    """An EXPRESS execution's ARN: `...:express:<state machine>:<execution name>:<run id>`."""
    prefix, _, machine = state_machine_arn.rpartition(":stateMachine:")
    return f"{prefix}:express:{machine}:{name}:{uuid.uuid4()}"
