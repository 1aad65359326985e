"""`tooling cost --measured` on the local target: after publishing, the profile is what the bus carried in the
window (events, their sizes and sources, each rule's matches, each function's invocations, durations and log
bytes), scaled to a day, and the lines price exactly that; the alarms priced are the ones the local target
provisioned from the same catalogue."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tooling import local
from tooling.cli.app import app
from tooling.cost.stack import region_stacks
from tooling.deploy import pipeline as deploy
from tooling.local import alarms, delivery
from tooling.local.store import Store
from tooling.outputs import DeploymentOutputs
from tooling.publish.events import entry_size
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow
runner = CliRunner()
WINDOW_SECONDS = 600
SCALE = 86_400 / WINDOW_SECONDS  # the 10-minute window, scaled to a day
MONTH = 730 / 24


def compact(detail: dict[str, Any]) -> str:
    # As `tooling publish` sends a Detail (the archive keeps it minified, and that is what gets measured).
    return json.dumps(detail, separators=(",", ":"))


def order(order_id: str, amount: float, detail_type: str = "Order Created") -> dict[str, Any]:
    detail = {"orderId": order_id, "customerId": "cust-1", "totalAmount": amount, "currency": "EUR"}
    return {"Source": "ecommerce.orders", "DetailType": detail_type, "Detail": compact(detail)}


ENTRIES = [
    order("o-1", 500),
    order("o-2", 2500),  # high value: the notifications topic, then the notifier
    order("o-3", 1500),  # high value
    order("o-1", 500, "Order Updated"),
    {"Source": "ecommerce.users", "DetailType": "User Registered", "Detail": compact({"userId": "u-1"})},
    {"Source": "ecommerce.payments", "DetailType": "Payment Processed", "Detail": compact({"amount": 5})},
]


@dataclass
class Applied:
    workspace: Workspace
    outputs: DeploymentOutputs
    prepared: deploy.Prepared
    idle: dict[str, Any]  # `tooling cost --measured --json` right after the apply
    busy: dict[str, Any]  # the same after publishing ENTRIES and draining


@pytest.fixture(scope="module")
def applied(
    tmp_path_factory: pytest.TempPathFactory, copy_project: Callable[[Path], Path]
) -> Iterator[Applied]:
    """dev applied once to the local target; measured idle, then after ENTRIES were published and consumed."""
    root = copy_project(tmp_path_factory.mktemp("cost-local") / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLING_ROOT", str(root))
        patch.setenv("TOOLING_LOCAL_DISPATCH", "off")
        patch.setattr(delivery, "RETRY_BASE_SECONDS", 0.01)
        workspace = Workspace.for_env("dev")
        prepared = deploy.prepare(workspace)
        outputs = local.apply_local(prepared)
        idle = measured_report()
        results = local.open_local_bus(workspace, outputs).put_events(ENTRIES)
        assert all("EventId" in r for r in results)
        assert local.drain(workspace, timeout=60).complete
        yield Applied(workspace, outputs, prepared, idle, measured_report())


def measured_report() -> dict[str, Any]:
    result = runner.invoke(app, ["cost", "--env", "dev", "--measured", "--since", "10m", "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def lines(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["item"]: line for line in report["lines"]}


def test_measured_profile_is_what_the_bus_carried_scaled_to_a_day(applied: Applied) -> None:
    report = applied.busy

    profile = report["profile"]
    assert profile["kind"] == "measured"
    assert profile["bus_events_per_day"] == pytest.approx(6 * SCALE)
    assert profile["entry_bytes"] == pytest.approx(sum(entry_size(e) for e in ENTRIES) / 6)
    assert profile["source_shares"] == pytest.approx(
        {"ecommerce.orders": 4 / 6, "ecommerce.payments": 1 / 6, "ecommerce.users": 1 / 6}
    )
    matched = {name: rule["matched_per_day"] / SCALE for name, rule in profile["rules"].items()}
    assert matched == pytest.approx(
        {
            "order-events": 4,
            "high-value-orders": 2,
            "user-registration": 1,
            "all-events": 6,
            "aws-service-events": 0,
        }
    )
    # The functions that ran are priced at their own mean duration; the store's samples hold them.
    store = Store.open(applied.workspace)
    try:
        mean = store.scalar(
            "SELECT AVG(value) FROM samples WHERE scope = 'function' AND metric = 'Duration' AND name = ?",
            (applied.outputs.function_names["processor"],),
        )
    finally:
        store.close()
    assert profile["duration_basis"]["processor"] == "measured"
    assert profile["duration_ms"]["processor"] == pytest.approx(mean)
    assert profile["log_basis"]["processor"] == "measured"

    priced = lines(report)
    assert priced["custom events (PutEvents)"]["quantity"] == pytest.approx(6 * SCALE * MONTH)
    assert priced["processor requests"]["quantity"] == pytest.approx(5 * SCALE * MONTH)  # 4 orders + 1 user
    assert priced["notifications publishes"]["quantity"] == pytest.approx(2 * SCALE * MONTH)
    assert priced["notifier requests"]["quantity"] == pytest.approx(2 * SCALE * MONTH)


def test_an_idle_window_prices_the_fixed_costs_alone(applied: Applied) -> None:
    report = applied.idle

    priced = lines(report)
    assert report["profile"]["bus_events_per_day"] == 0
    assert priced["custom events (PutEvents)"]["monthly_usd"] == 0
    assert priced["dashboard"]["monthly_usd"] > 0 and priced["customer managed key"]["monthly_usd"] > 0
    assert report["total_usd"] == pytest.approx(sum(line["monthly_usd"] for line in report["lines"]))


def test_the_alarms_priced_are_the_ones_the_local_target_provisioned(applied: Applied) -> None:
    stack = region_stacks(applied.prepared.config, applied.workspace.root)[0]
    store = Store.open(applied.workspace)
    try:
        provisioned = alarms.definitions(store)
    finally:
        store.close()

    assert stack.alarms == len(provisioned) > 0
    assert stack.alarm_metrics == sum(len(d.expression.metrics) if d.expression else 1 for d in provisioned)
