"""The order-workflow target on the local target: environments/dev.toml plus the order-fulfilment rule of
prod.toml (dev.toml leaves it commented out, so the demo figures stay as they are), applied to a throwaway
project copy. Each test publishes orders and reads what the executions did and where their events went.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tooling import local
from tooling.deploy import pipeline as deploy
from tooling.local import delivery
from tooling.local.store import Store
from tooling.local.workflows import ACCEPTED, FLAGGED
from tooling.outputs import DeploymentOutputs
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow

FULFILMENT_RULE = """
[[rules]]
name = "order-fulfilment"
description = "New orders to the order-fulfilment workflow"
pattern = { source = ["ecommerce.orders"], detail-type = ["Order Created"] }

[[rules.targets]]
target = "order-workflow"
retry_policy = { maximum_retry_attempts = 3, maximum_event_age_seconds = 3600 }
"""


@dataclass
class WorkflowEnv:
    workspace: Workspace
    outputs: DeploymentOutputs

    def publish(self, entries: list[dict[str, Any]]) -> list[str]:
        bus = local.open_local_bus(self.workspace, self.outputs)
        try:
            results = bus.put_events(entries)
        finally:
            assert isinstance(bus, local.LocalBus)
            bus.close()
        assert all("EventId" in r for r in results), results
        return [r["EventId"] for r in results]

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        store = Store.open(self.workspace)
        try:
            return [dict(row) for row in store.query(sql, params)]
        finally:
            store.close()

    def executions(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM executions ORDER BY started_at")

    def batch_events(self) -> list[dict[str, Any]]:
        rows = self.rows(
            "SELECT body FROM messages WHERE queue_url = ? ORDER BY seq", (self.outputs.batch_queue_url,)
        )
        return [json.loads(r["body"]) for r in rows]


def _apply(project: Path, extra: str) -> WorkflowEnv:
    dev = project / "environments" / "dev.toml"
    dev.write_text(dev.read_text() + extra)
    workspace = Workspace.for_env("dev")
    prepared = deploy.prepare(workspace)
    return WorkflowEnv(workspace, local.apply_local(prepared))


@pytest.fixture
def env(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WorkflowEnv]:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    monkeypatch.setattr(delivery, "RETRY_BASE_SECONDS", 0.01)
    yield _apply(project_copy, FULFILMENT_RULE)


def order(order_id: str, amount: Any, detail_type: str = "Order Created", **detail: Any) -> dict[str, Any]:
    body = {"orderId": order_id, "customerId": f"cust-{order_id}", "totalAmount": amount, **detail}
    return {"Source": "ecommerce.orders", "DetailType": detail_type, "Detail": json.dumps(body)}


def test_order_over_the_threshold_is_flagged_and_the_flag_lands_in_the_batch_queue(env: WorkflowEnv) -> None:
    (order_event_id,) = env.publish([order("o-2500", 2500)])

    (execution,) = env.executions()
    flagged = [e for e in env.batch_events() if e["detail-type"] == FLAGGED]

    assert execution["status"] == "SUCCEEDED"
    assert execution["event_id"] == order_event_id and execution["rule_key"] == "order-fulfilment"
    assert json.loads(execution["states"]) == ["CheckTotal", "FlagOrder", "Done"]
    assert len(flagged) == 1
    assert json.loads(execution["output"]) == {"detailType": FLAGGED, "eventId": flagged[0]["id"]}
    assert flagged[0]["source"] == "ecommerce.orders"
    # Stamped with the order's own time as its producer time (the other region's execution publishes the same
    # time and key), not through PutEvents' Time.
    (created,) = [e for e in env.batch_events() if e["detail-type"] == "Order Created"]
    assert flagged[0]["detail"] == {
        "timestamp": created["time"],
        "orderId": "o-2500",
        "customerId": "cust-o-2500",
        "totalAmount": 2500,
        "sourceEventId": order_event_id,
        "threshold": 1000,
        "idempotencyKey": "Order Flagged#o-2500",
    }
    # The optimized putEvents integration appends the execution and state machine ARNs.
    assert flagged[0]["resources"] == [execution["arn"], execution["state_machine_arn"]]
    assert ":express:ecommerce-dev-" in execution["arn"]


@pytest.mark.parametrize("amount", [500, 1000])
def test_order_at_or_under_the_threshold_is_accepted(env: WorkflowEnv, amount: int) -> None:
    env.publish([order("o-small", amount)])

    (execution,) = env.executions()
    published = [e["detail-type"] for e in env.batch_events() if e["detail-type"] in (FLAGGED, ACCEPTED)]

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["states"]) == ["CheckTotal", "AcceptOrder", "Done"]
    assert published == [ACCEPTED]


def test_published_events_are_archived_but_start_no_execution(env: WorkflowEnv) -> None:
    env.publish([order("o-1", 2500), order("o-2", 10)])

    archived = [
        json.loads(r["body"])["detail-type"] for r in env.rows("SELECT body FROM archive ORDER BY seq")
    ]
    matched = {
        r["key"]: r["value"]
        for r in env.rows(
            "SELECT r.key, SUM(c.value) AS value FROM counters c JOIN rules r ON r.name = c.name "
            "WHERE c.scope = 'rule' AND c.metric = 'MatchedEvents' GROUP BY r.key"
        )
    }

    assert sorted(archived) == sorted(["Order Created", "Order Created", FLAGGED, ACCEPTED])
    assert len(env.executions()) == 2
    assert matched == {
        "order-events": 2,
        "high-value-orders": 1,
        "order-fulfilment": 2,
        "all-events": 4,
    }


def test_order_without_a_numeric_total_fails_the_execution_and_publishes_nothing(env: WorkflowEnv) -> None:
    env.publish([order("o-text", "a lot"), order("o-none", None)])

    failed = env.executions()
    published = [e for e in env.batch_events() if e["detail-type"] in (FLAGGED, ACCEPTED)]

    assert [(x["status"], x["error"]) for x in failed] == [("FAILED", "Order.InvalidTotal")] * 2
    assert [json.loads(x["states"]) for x in failed] == [["CheckTotal", "InvalidOrder"]] * 2
    assert published == []


def test_order_missing_a_published_field_fails_with_states_runtime(env: WorkflowEnv) -> None:
    detail = {"customerId": "c-1", "totalAmount": 50}
    env.publish([{"Source": "ecommerce.orders", "DetailType": "Order Created", "Detail": json.dumps(detail)}])

    (execution,) = env.executions()

    assert execution["status"] == "FAILED"
    assert execution["error"] == "States.Runtime"
    assert "orderId.$" in execution["cause"]


def test_execution_metrics_count_started_succeeded_and_failed(env: WorkflowEnv) -> None:
    env.publish([order("o-1", 2500), order("o-2", 10), order("o-3", "x")])

    summary = local.summary(env.workspace, env.outputs)

    (line,) = summary.workflows
    assert (line.key, line.started, line.succeeded, line.failed) == ("order-workflow", 3, 2, 1)
    assert line.published == {ACCEPTED: 1, FLAGGED: 1}
    assert any(text.startswith("  order-workflow") and "started     3" in text for text in summary.lines())


def test_workflow_events_reach_analytics_like_any_other_event(env: WorkflowEnv) -> None:
    env.publish([order("o-1", 2500)])

    result = local.drain(env.workspace, timeout=60)

    analysed = env.rows("SELECT result FROM invocations WHERE function_key = 'analytics' AND status = 'ok'")
    assert result.complete and result.failed_attempts == 0
    assert len(analysed) == 2  # the order and the Order Flagged it caused


def test_without_the_rule_there_is_no_state_machine_and_no_workflow_summary(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    plain = _apply(project_copy, "")

    plain.publish([order("o-1", 2500)])

    assert plain.rows("SELECT * FROM state_machines") == []
    assert plain.executions() == []
    summary = local.summary(plain.workspace, plain.outputs)
    assert summary.workflows == []
    assert not any(line.startswith("workflows:") for line in summary.lines())
