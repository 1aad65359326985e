"""The order-fulfilment workflow: what the `order-workflow` target's state machine does, as plain Python.

terraform/modules/workflows/main.tf defines the AWS state machine (Amazon States Language, rendered with
jsonencode); this module restates exactly that one definition, state by state, for the local target. Its
names and what it publishes (shared with the naming scheme and the config check that refuses a routing loop)
are in tooling/order_workflow.py and re-exported here. It is not an ASL interpreter: change the definition
there and here together (tests/terraform/test_order_workflow.py compares the two).

    CheckTotal (Choice)
      $.detail.totalAmount absent           -> InvalidOrder (Fail, Order.InvalidTotal)
      $.detail.totalAmount not a number     -> InvalidOrder
      $.detail.totalAmount > threshold      -> FlagOrder   (events:putEvents "Order Flagged")  -> Done (Succeed)
      otherwise                             -> AcceptOrder (events:putEvents "Order Accepted") -> Done (Succeed)

Each published event carries detail.idempotencyKey = "<detail-type>#<orderId>" and detail.timestamp = the
order's time,
so the executions of both regions (a global endpoint with replication) publish one event as consumers see it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tooling.order_workflow import (
    ACCEPTED,
    DETAIL_PATHS,
    FLAGGED,
    IDEMPOTENCY_KEY_ARGUMENT,
    IDEMPOTENCY_KEY_TEMPLATE,
    INVALID_TOTAL_CAUSE,
    INVALID_TOTAL_ERROR,
    PUBLISH_RETRIES,
    PUBLISHED_SOURCE,
    STATE_MACHINE_SUFFIX,
    STATE_MACHINE_TYPE,
    WORKFLOW_TARGET,
    PathNotFound,
    _resolve,
    put_events_entry,
    sample_published_events,
)

__all__ = [
    "ACCEPTED",
    "DETAIL_PATHS",
    "FLAGGED",
    "IDEMPOTENCY_KEY_ARGUMENT",
    "IDEMPOTENCY_KEY_TEMPLATE",
    "INVALID_TOTAL_CAUSE",
    "INVALID_TOTAL_ERROR",
    "PUBLISHED_SOURCE",
    "PUBLISH_RETRIES",
    "STATE_MACHINE_SUFFIX",
    "STATE_MACHINE_TYPE",
    "WORKFLOW_TARGET",
    "ExecutionResult",
    "PathNotFound",
    "choose",
    "execution_arn",
    "put_events_entry",
    "run",
    "sample_published_events",
]


@dataclass(frozen=True)
class ExecutionResult:
    """How one execution ended, and the PutEvents entries its task state sent (in order)."""

    status: str  # SUCCEEDED | FAILED
    output: Any = None
    error: str | None = None
    cause: str | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)
    path: list[str] = field(default_factory=list)  # the states entered, for the execution record


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


def execution_arn(state_machine_arn: str, name: str) -> str:
    """An EXPRESS execution's ARN: `...:express:<state machine>:<execution name>:<run id>`."""
    prefix, _, machine = state_machine_arn.rpartition(":stateMachine:")
    return f"{prefix}:express:{machine}:{name}:{uuid.uuid4()}"
