"""The order-fulfilment workflow's definition facts: what the `order-workflow` target's state machine is
called, and exactly what it publishes.

terraform/modules/workflows/main.tf defines the state machine; these are the facts of that one definition that
more than the emulator needs: the naming scheme (tooling/naming.py) names the state machine, and config.py's
routing-loop check matches the events it publishes against the rules that start it. The emulation itself (the
Choice, the retries, one execution) is tooling/local/workflows.py. Change the definition there and here
together (tests/terraform/test_order_workflow.py compares the two).
"""

from __future__ import annotations

import json
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
    # The order event's own time as the outcome's producer time (detail.timestamp, which the event store keys
    # on): both regions' copies of the order carry it; each execution's clock differs.
    "timestamp": "$.time",
}
# Both regions' executions for one order (a global endpoint with replication delivers the order to both)
# must publish what consumers see as one event: a deterministic detail.idempotencyKey,
# States.Format('<detail-type>#{}', $.detail.orderId), and the order event's own time as detail.timestamp
# (the event store keys items on <producer time>#<idempotencyKey>; both copies of the order carry that time).
IDEMPOTENCY_KEY_FIELD = "idempotencyKey"
IDEMPOTENCY_KEY_TEMPLATE = "States.Format('%s#{}', $.detail.orderId)"
IDEMPOTENCY_KEY_ARGUMENT = "$.detail.orderId"


def outcome_idempotency_key(detail_type: str, order_id: object) -> str:
    """What States.Format('<detail-type>#{}', $.detail.orderId) gives: a string argument as is, a number or
    boolean as its JSON text."""
    text = order_id if isinstance(order_id, str) else json.dumps(order_id)
    return f"{detail_type}#{text}"


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
        detail[key] = _field(execution_input, key, path)
    detail["threshold"] = threshold
    order_id = _field(execution_input, IDEMPOTENCY_KEY_FIELD, IDEMPOTENCY_KEY_ARGUMENT)
    detail[IDEMPOTENCY_KEY_FIELD] = outcome_idempotency_key(detail_type, order_id)
    return {
        "EventBusName": event_bus_name,
        "Source": PUBLISHED_SOURCE,
        "DetailType": detail_type,
        "Detail": json.dumps(detail, separators=(",", ":")),
        "Resources": list(resources),
    }


def _field(execution_input: Any, key: str, path: str) -> Any:
    try:
        return _resolve(execution_input, path)
    except PathNotFound:
        raise PathNotFound(
            f"The JsonPath argument for the field '{key}.$' could not be found in the input"
        ) from None


def sample_published_events(threshold: float) -> list[dict[str, Any]]:
    """One event of each detail-type the workflow publishes, as the bus delivers them to rules (for the
    routing-loop check; the values are examples, the source and detail-types are the real ones)."""
    events = []
    for detail_type, amount in ((FLAGGED, threshold + 1), (ACCEPTED, threshold)):
        order = {
            "id": "sample",
            "time": "2026-01-01T00:00:00Z",
            "detail": {"orderId": "o-1", "customerId": "c-1", "totalAmount": amount},
        }
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
