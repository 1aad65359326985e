"""Failures on the local target: a handler that raises, one that outlives its timeout, and the worker's
isolation from the tooling process. Retries follow the target's retry policy, then the DLQs get the event
with the error, and the monitor's health verdict says so."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tooling import local
from tooling.deploy import pipeline as deploy
from tooling.local import delivery
from tooling.local.store import Store
from tooling.observe.monitor import build_snapshot
from tooling.outputs import DeploymentOutputs
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow

PROBE_HANDLER = '''
"""Test double for the processor: sleeps or raises on request, else reports where it runs."""
import json
import os
import sys
import time


def handler(event, context):
    detail = event.get("detail", {})
    print(json.dumps({"message": "probe invoked", "eventId": event.get("id")}))
    if detail.get("sleep"):
        time.sleep(detail["sleep"])
    if detail.get("raise"):
        raise RuntimeError(detail["raise"])
    import aws_lambda_powertools
    import boto3

    def importable(name):
        try:
            __import__(name)
        except ImportError:
            return False
        return True

    return {
        "boto3": boto3.__name__,
        "importable": {name: importable(name) for name in ("tooling", "pydantic", "typer")},
        "pid": os.getpid(),
        "path0": sys.path[0],
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "powertools": aws_lambda_powertools.__file__,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "function_name": context.function_name,
    }
'''


@dataclass
class Env:
    workspace: Workspace
    outputs: DeploymentOutputs

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        store = Store.open(self.workspace)
        try:
            return [dict(row) for row in store.query(sql, params)]
        finally:
            store.close()

    def put(self, source: str, detail_type: str, detail: dict[str, Any]) -> str:
        bus = local.open_local_bus(self.workspace, self.outputs)
        [result] = bus.put_events(
            [{"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}]
        )
        return str(result["EventId"])


def _apply(root: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    monkeypatch.setattr(delivery, "RETRY_BASE_SECONDS", 0.01)
    monkeypatch.setattr(delivery, "RETRY_MAX_SECONDS", 0.05)
    workspace = Workspace.for_env("dev")
    return Env(workspace, local.apply_local(deploy.prepare(workspace)))


@pytest.fixture
def env(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    yield _apply(project_copy, monkeypatch)


@pytest.fixture
def probe_env(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    """The processor replaced by PROBE_HANDLER, with a 1 s timeout and one retry on order-events."""
    (project_copy / "lambda_src" / "event_processors" / "processor.py").write_text(PROBE_HANDLER)
    toml = project_copy / "environments" / "dev.toml"
    text = toml.read_text()
    text = text.replace("[functions.processor]\nmemory_mb = 256\ntimeout_seconds = 30",
                        "[functions.processor]\nmemory_mb = 256\ntimeout_seconds = 1")  # fmt: skip
    text = text.replace("maximum_retry_attempts = 3, maximum_event_age_seconds = 3600 }\n\n[[rules]]\nname = \"high",
                        "maximum_retry_attempts = 1, maximum_event_age_seconds = 3600 }\n\n[[rules]]\nname = \"high", 1)  # fmt: skip
    toml.write_text(text)
    yield _apply(project_copy, monkeypatch)


def test_a_handler_that_raises_is_retried_per_policy_then_dead_lettered_with_the_error(env: Env) -> None:
    # No totalAmount: the real processor rejects the order by raising InvalidEventError.
    event_id = env.put("ecommerce.orders", "Order Created", {"orderId": "o-bad", "customerId": "c-1"})

    result = local.drain(env.workspace, timeout=60)

    attempts = env.rows("SELECT status, error_type FROM invocations WHERE function_key = 'processor'")
    assert (
        attempts == [{"status": "error", "error_type": "InvalidEventError"}] * 4
    )  # 1 + 3 retries (dev.toml)
    assert result.complete and result.failed_permanently == 1 and result.dead_lettered == 1
    [dead] = env.rows(
        "SELECT * FROM messages WHERE queue_url = ?", (env.outputs.dead_letter_queue_urls["events"],)
    )
    attributes = {k: v["StringValue"] for k, v in json.loads(dead["attributes"]).items()}
    assert json.loads(dead["body"])["id"] == event_id
    assert attributes["RULE_ARN"] == env.outputs.rule_arns["order-events"]
    assert attributes["TARGET_ARN"].endswith(f":function:{env.outputs.function_names['processor']}")
    assert attributes["ERROR_CODE"] == "LAMBDA_FUNCTION_ERROR"
    assert "detail.totalAmount" in attributes["ERROR_MESSAGE"]
    assert attributes["RETRY_ATTEMPTS"] == "3"
    [record] = env.rows(
        "SELECT body FROM messages WHERE queue_url = ?", (env.outputs.dead_letter_queue_urls["processor"],)
    )
    on_failure = json.loads(record["body"])
    assert on_failure["requestContext"]["condition"] == "RetriesExhausted"
    assert on_failure["requestContext"]["approximateInvokeCount"] == 4
    assert on_failure["responsePayload"]["errorType"] == "InvalidEventError"


def test_the_monitor_shows_failed_invocations_dlq_depth_and_a_critical_verdict(env: Env) -> None:
    env.put("ecommerce.orders", "Order Created", {"orderId": "o-bad", "customerId": "c-1"})
    local.drain(env.workspace, timeout=60)

    snapshot = build_snapshot(
        local.local_monitor_source(env.workspace, env.outputs), env.outputs, timedelta(hours=1)
    )

    order_rule = next(r for r in snapshot.rules if r.key == "order-events")
    assert order_rule.metrics.failed_invocations == 1
    assert order_rule.metrics.dead_letter_invocations == 1
    processor = next(f for f in snapshot.functions if f.key == "processor")
    assert (processor.metrics.invocations, processor.metrics.errors, processor.dlq_depth) == (4, 4, 1)
    events_dlq = next(q for q in snapshot.queues if q.key == "dlq:events")
    assert events_dlq.visible == 1
    assert snapshot.health.status == "CRITICAL"
    assert "rule order-events: 1 failed invocation(s)" in snapshot.health.verdict
    assert "queue dlq:events: DLQ not empty: 1 message(s)" in snapshot.health.verdict


def test_a_handler_past_its_timeout_is_killed_retried_then_dead_lettered(probe_env: Env) -> None:
    env = probe_env
    event_id = env.put("ecommerce.orders", "Order Created", {"orderId": "o-slow", "sleep": 5})

    result = local.drain(env.workspace, timeout=60)

    attempts = env.rows("SELECT status, duration_ms FROM invocations WHERE function_key = 'processor'")
    assert [a["status"] for a in attempts] == ["timeout", "timeout"]  # 1 + 1 retry
    assert all(a["duration_ms"] == 1000 for a in attempts)
    assert result.dead_lettered == 1
    [dead] = env.rows(
        "SELECT * FROM messages WHERE queue_url = ?", (env.outputs.dead_letter_queue_urls["events"],)
    )
    attributes = {k: v["StringValue"] for k, v in json.loads(dead["attributes"]).items()}
    assert json.loads(dead["body"])["id"] == event_id
    assert attributes["ERROR_CODE"] == "TIMEOUT"
    assert "Task timed out after 1.00 seconds" in attributes["ERROR_MESSAGE"]
    logs = [r["message"] for r in env.rows("SELECT message FROM logs WHERE log_group = ?",
                                           (env.outputs.log_group_names["processor"],))]  # fmt: skip
    assert sum("Task timed out after 1.00 seconds" in line for line in logs) == 2
    assert sum('"message": "probe invoked"' in line for line in logs) == 2  # output before the kill is kept
    snapshot = build_snapshot(
        local.local_monitor_source(env.workspace, env.outputs), env.outputs, timedelta(hours=1)
    )
    assert snapshot.health.status == "CRITICAL"


def test_the_worker_is_a_warm_isolated_process_running_the_zip(probe_env: Env) -> None:
    env = probe_env
    first = env.put("ecommerce.users", "User Registered", {"userId": "u-1"})
    second = env.put("ecommerce.users", "User Registered", {"userId": "u-2"})

    local.drain(env.workspace, timeout=60)

    results = {
        r["event_id"]: json.loads(r["result"])
        for r in env.rows("SELECT event_id, result FROM invocations WHERE function_key = 'processor'")
    }
    one, two = results[first], results[second]
    code_dir = Path(one["path0"])
    assert one["pid"] == two["pid"] != os.getpid()  # warm between invocations, not the tooling process
    assert code_dir.parent == env.workspace.state_dir / "code"
    assert Path(one["powertools"]).is_relative_to(code_dir)  # the zip's copy, not the venv's
    assert one["cwd"] == str(code_dir)
    assert one["function_name"] == env.outputs.function_names["processor"]
    assert 0 < one["remaining_ms"] <= 1000
    assert {k: one["env"][k] for k in ("POWERTOOLS_SERVICE_NAME", "HIGH_VALUE_THRESHOLD", "AWS_REGION", "LOG_LEVEL")} == {
        "POWERTOOLS_SERVICE_NAME": "processor", "HIGH_VALUE_THRESHOLD": "1000", "AWS_REGION": "us-east-1",
        "LOG_LEVEL": "INFO",
    }  # fmt: skip
    assert "AWS_ACCESS_KEY_ID" not in one["env"] and "TOOLING_ROOT" not in one["env"]
    # Like Lambda: the zip and the SDK stack, nothing else the tooling's virtualenv holds.
    assert one["boto3"] == "boto3"
    assert one["importable"] == {"tooling": False, "pydantic": False, "typer": False}


def test_a_failing_sns_subscriber_gets_lambda_async_retries_then_its_own_dlq(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A webhook nobody listens on: the notifier raises WebhookDeliveryError after its own bounded retries.
    toml = project_copy / "environments" / "dev.toml"
    toml.write_text(toml.read_text().replace('# webhook_url = "https://hooks.example.com/alerts"',
                                             'webhook_url = "http://127.0.0.1:9/alerts"', 1))  # fmt: skip
    env = _apply(project_copy, monkeypatch)
    env.put(
        "ecommerce.orders", "Order Created", {"orderId": "o-big", "customerId": "c-1", "totalAmount": 5000}
    )

    local.drain(env.workspace, timeout=120)

    attempts = env.rows("SELECT error_type FROM invocations WHERE function_key = 'notifier'")
    assert [a["error_type"] for a in attempts] == ["WebhookDeliveryError"] * 3  # Lambda's 2 async retries
    [record] = env.rows(
        "SELECT body FROM messages WHERE queue_url = ?", (env.outputs.dead_letter_queue_urls["notifier"],)
    )
    payload = json.loads(record["body"])["requestPayload"]
    assert payload["Records"][0]["EventSource"] == "aws:sns"
    assert "High-value order o-big from customer c-1: 5000" in payload["Records"][0]["Sns"]["Message"]
    # SNS accepted the notification, so for EventBridge the rule's delivery succeeded: nothing in its DLQ.
    assert (
        env.rows(
            "SELECT * FROM messages WHERE queue_url = ?", (env.outputs.dead_letter_queue_urls["events"],)
        )
        == []
    )
    snapshot = build_snapshot(
        local.local_monitor_source(env.workspace, env.outputs), env.outputs, timedelta(hours=1)
    )
    rule = next(r for r in snapshot.rules if r.key == "high-value-orders")
    assert (rule.metrics.invocations, rule.metrics.failed_invocations) == (1, 0)
    assert snapshot.health.status == "CRITICAL"  # the notifier's DLQ is not empty
