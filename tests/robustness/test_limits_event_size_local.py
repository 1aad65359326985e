"""Event size on the local target, as AWS has it since January 2026 (tooling.aws_limits): PutEvents takes
entries up to 1 MiB, but SNS still takes 256 KiB, so an event over that matched to the notifications topic
fails that one delivery (a client error EventBridge does not retry: FailedInvocations, the rule's DLQ) while
the rule's other targets and smaller events are delivered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tooling import aws_limits, local
from tooling.deploy import pipeline as deploy
from tooling.local.engine import client_error
from tooling.local.store import Store
from tooling.outputs import DeploymentOutputs
from tooling.publish.events import entry_size
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow

HIGH_VALUE_TRANSFORMER = (
    "[rules.targets.input_transformer]\n"
    'input_paths = { orderId = "$.detail.orderId", customerId = "$.detail.customerId", '
    'amount = "$.detail.totalAmount", currency = "$.detail.currency" }\n'
    "input_template = '\"High-value order <orderId> from customer <customerId>: <amount> <currency>\"'\n"
)


@pytest.fixture
def applied(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Workspace, DeploymentOutputs]]:
    """dev, with the high-value rule sending the whole event to the notifications topic (no transformer)."""
    toml = project_copy / "environments" / "dev.toml"
    text = toml.read_text()
    assert HIGH_VALUE_TRANSFORMER in text
    toml.write_text(text.replace(HIGH_VALUE_TRANSFORMER, ""))
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    workspace = Workspace.for_env("dev")
    yield workspace, local.apply_local(deploy.prepare(workspace))


def _entry(pad_bytes: int) -> dict[str, Any]:
    detail = {
        "orderId": "o-big",
        "customerId": "c-1",
        "totalAmount": 5000,
        "currency": "EUR",
        "pad": "x" * pad_bytes,
    }
    return {"Source": "ecommerce.orders", "DetailType": "Order Created", "Detail": json.dumps(detail)}


def _rows(workspace: Workspace, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    store = Store.open(workspace)
    try:
        return [dict(row) for row in store.query(sql, params)]
    finally:
        store.close()


def _counter(workspace: Workspace, name: str, metric: str) -> float:
    rows = _rows(
        workspace,
        "SELECT SUM(value) AS total FROM counters WHERE scope = 'rule' AND name = ? AND metric = ?",
        (name, metric),
    )
    return float(rows[0]["total"] or 0)


def test_an_event_over_256_kib_fails_only_its_sns_delivery(
    applied: tuple[Workspace, DeploymentOutputs],
) -> None:
    workspace, outputs = applied
    bus = local.open_local_bus(workspace, outputs)
    big = _entry(300 * 1024)  # over SNS's 256 KiB, well under EventBridge's 1 MiB
    small = _entry(100 * 1024)

    [big_result, small_result] = bus.put_events([big, small])

    assert "EventId" in big_result and "EventId" in small_result  # EventBridge takes both
    notified = [
        json.loads(row["message"])["id"] for row in _rows(workspace, "SELECT message FROM notifications")
    ]
    assert notified == [small_result["EventId"]]
    events_dlq = outputs.dead_letter_queue_urls["events"]
    [dead] = _rows(workspace, "SELECT * FROM messages WHERE queue_url = ?", (events_dlq,))
    assert json.loads(dead["body"])["id"] == big_result["EventId"]
    attributes = {k: v["StringValue"] for k, v in json.loads(dead["attributes"]).items()}
    assert attributes["RULE_ARN"] == outputs.rule_arns["high-value-orders"]
    assert attributes["ERROR_CODE"] == "SDK_CLIENT_ERROR"
    assert attributes["ERROR_MESSAGE"] == "Invalid parameter: Message too long"
    rule_name = outputs.rule_arns["high-value-orders"].rsplit("/", 1)[1]
    assert _counter(workspace, rule_name, "FailedInvocations") == 1
    # Only that delivery failed: the all-events rule put the big event on the batch queue.
    batch = outputs.batch_queue_url
    bodies = [
        json.loads(row["body"])["id"]
        for row in _rows(workspace, "SELECT body FROM messages WHERE queue_url = ?", (batch,))
    ]
    assert big_result["EventId"] in bodies


def test_put_events_takes_an_entry_up_to_1_mib_and_refuses_more(
    applied: tuple[Workspace, DeploymentOutputs],
) -> None:
    workspace, outputs = applied
    bus = local.open_local_bus(workspace, outputs)
    fits = _entry(0)
    fits["Detail"] = (
        fits["Detail"][:-1]
        + ', "fill": "'
        + "y" * (aws_limits.EVENT_ENTRY_BYTES - entry_size(fits) - 12)
        + '"}'
    )
    assert entry_size(fits) == aws_limits.EVENT_ENTRY_BYTES

    [result] = bus.put_events([fits])

    assert "EventId" in result
    fits["Detail"] = fits["Detail"][:-2] + 'yy"}'
    with pytest.raises(
        type(client_error("x", "y")), match="Total size of the entries in the request is over the limit"
    ):
        bus.put_events([fits])
