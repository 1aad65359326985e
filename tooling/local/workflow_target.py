"""The order-workflow target on the local target: one execution of the order-fulfilment state machine.

The engine calls `run_execution` for each event a rule sends to `order-workflow`, inside its PutEvents
transaction. The execution runs tooling.local.workflows (a restatement of the one state machine definition in
terraform/modules/workflows, not an ASL interpreter) to completion at once; what it publishes goes through
the engine's `put_events` callback, so those events are archived and routed like any other. AWS runs EXPRESS
executions asynchronously after StartExecution; here the published events are routed in the same call.

Recorded per execution: ARN, name, input, status, output, error and cause, the states entered, start and
stop time, and the rule and event that started it; counted per state machine (scope `state_machine`), as
AWS/States does: ExecutionsStarted, ExecutionsSucceeded, ExecutionsFailed, and ExecutionTime samples.
There are no execution logs (the log group AWS writes to has no local counterpart), no timeouts (an
execution takes milliseconds), and the Retry backoff is not waited out.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from typing import Any

from tooling.local import workflows
from tooling.local.store import Counters


def run_execution(
    conn: sqlite3.Connection,
    machine: sqlite3.Row,
    execution_input: Any,
    raw_input: str,
    *,
    rule_key: str,
    event_id: str,
    event_bus_name: str,
    put_events: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    counters: Counters,
    now: float,
) -> workflows.ExecutionResult:
    """Start and run one execution of `machine` (a `state_machines` row); record and count it."""
    name = str(uuid.uuid4())
    arn = workflows.execution_arn(str(machine["arn"]), name)
    started = time.time()
    result = workflows.run(
        execution_input,
        float(machine["high_value_threshold"]),
        event_bus_name=event_bus_name,
        execution_arn=arn,
        state_machine_arn=str(machine["arn"]),
        put_events=put_events,
    )
    stopped = time.time()
    conn.execute(
        "INSERT INTO executions (arn, state_machine_arn, name, input, status, output, error, cause, states, "
        "started_at, stopped_at, rule_key, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            arn,
            machine["arn"],
            name,
            raw_input,
            result.status,
            None if result.output is None else json.dumps(result.output, separators=(",", ":")),
            result.error,
            result.cause,
            json.dumps(result.path),
            started,
            stopped,
            rule_key,
            event_id,
        ),
    )
    metric = "ExecutionsSucceeded" if result.status == "SUCCEEDED" else "ExecutionsFailed"
    counters.add("state_machine", machine["name"], "ExecutionsStarted", at=now)
    counters.add("state_machine", machine["name"], metric, at=now)
    counters.sample("state_machine", machine["name"], "ExecutionTime", (stopped - started) * 1000, at=now)
    return result
