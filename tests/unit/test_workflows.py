"""tooling/local/workflows.py: the order-fulfilment definition restated in Python (the local target runs it)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tooling.local import workflows

MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:ecommerce-dev-abc123-order-fulfilment"
EXECUTION = workflows.execution_arn(MACHINE, "run-1")


def _order(amount: Any) -> dict[str, Any]:
    return {
        "id": "ev-1",
        "time": "2026-11-26T19:30:00Z",
        "detail": {"orderId": "o-1", "customerId": "c-1", "totalAmount": amount},
    }


class FakeBus:
    def __init__(self, *errors: str) -> None:
        self.errors = list(errors)
        self.calls: list[list[dict[str, Any]]] = []

    def __call__(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.calls.append(entries)
        if self.errors:
            return [{"ErrorCode": self.errors.pop(0), "ErrorMessage": "no"}]
        return [{"EventId": f"id-{len(self.calls)}"}]


def _run(execution_input: Any, bus: FakeBus) -> workflows.ExecutionResult:
    return workflows.run(
        execution_input,
        1000,
        event_bus_name="bus",
        execution_arn=EXECUTION,
        state_machine_arn=MACHINE,
        put_events=bus,
    )


def test_execution_arn_is_an_express_execution_of_the_state_machine() -> None:
    assert EXECUTION.startswith(
        "arn:aws:states:us-east-1:000000000000:express:ecommerce-dev-abc123-order-fulfilment:run-1:"
    )


def test_high_value_order_publishes_one_flagged_entry_with_both_arns_in_resources() -> None:
    bus = FakeBus()

    result = _run(_order(1500), bus)

    (entries,) = bus.calls
    assert result.status == "SUCCEEDED" and result.path == ["CheckTotal", "FlagOrder", "Done"]
    assert result.output == {"detailType": "Order Flagged", "eventId": "id-1"}
    assert entries == [
        {
            "EventBusName": "bus",
            "Source": "ecommerce.orders",
            "DetailType": "Order Flagged",
            "Detail": json.dumps(
                {
                    "orderId": "o-1",
                    "customerId": "c-1",
                    "totalAmount": 1500,
                    "sourceEventId": "ev-1",
                    # The order event's time, not the execution's clock: the same in both regions.
                    "timestamp": "2026-11-26T19:30:00Z",
                    "threshold": 1000,
                    # Deterministic: the other region's execution for this order publishes the same key.
                    "idempotencyKey": "Order Flagged#o-1",
                },
                separators=(",", ":"),
            ),
            "Resources": [EXECUTION, MACHINE],
        }
    ]


@pytest.mark.parametrize("amount", [True, "1500", None, [1500]])
def test_a_total_that_is_not_a_number_fails_without_publishing(amount: Any) -> None:
    bus = FakeBus()

    result = _run(_order(amount), bus)

    assert (result.status, result.error) == ("FAILED", "Order.InvalidTotal")
    assert bus.calls == []


def test_a_rejected_entry_is_retried_then_fails_with_eventbridge_failed_entry() -> None:
    bus = FakeBus(*["ThrottlingException"] * 4)

    result = _run(_order(10), bus)

    assert len(bus.calls) == 1 + workflows.PUBLISH_RETRIES
    assert (result.status, result.error) == ("FAILED", "EventBridge.FailedEntry")
    assert json.loads(result.cause or "")["FailedEntryCount"] == 1


def test_a_rejected_entry_that_succeeds_on_retry_succeeds() -> None:
    bus = FakeBus("ThrottlingException")

    result = _run(_order(10), bus)

    assert result.status == "SUCCEEDED" and result.output == {
        "detailType": "Order Accepted",
        "eventId": "id-2",
    }


def test_a_missing_published_field_is_a_states_runtime_failure_that_is_not_retried() -> None:
    bus = FakeBus()

    result = _run({"detail": {"orderId": "o-1", "totalAmount": 10}}, bus)

    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert bus.calls == []
