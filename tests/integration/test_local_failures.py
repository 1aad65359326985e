"""Failures on the local target: a handler that raises, one that outlives its timeout, and the worker's
isolation from the tooling process. As on AWS, EventBridge and SNS invoke Lambda asynchronously: a function
error is retried by Lambda (the function's async config) and ends in the function's DLQ, the rule seeing a
successful delivery; only a failed hand-off (no such function) is the rule's FailedInvocations and DLQ."""

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
    """The processor replaced by PROBE_HANDLER, with a 1 s timeout and one asynchronous retry."""
    (project_copy / "lambda_src" / "event_processors" / "processor.py").write_text(PROBE_HANDLER)
    toml = project_copy / "environments" / "dev.toml"
    text = toml.read_text()
    text = text.replace("[functions.processor]\nmemory_mb = 256\ntimeout_seconds = 30",
                        "[functions.processor]\nmemory_mb = 256\ntimeout_seconds = 1")  # fmt: skip
    text = text.replace("[functions.processor]\nmemory_mb = 256\ntimeout_seconds = 1\n", "[functions.processor]\n"
                        "memory_mb = 256\ntimeout_seconds = 1\n# one async retry\n", 1)  # fmt: skip
    text = text.replace("maximum_retry_attempts = 2\nmaximum_event_age_seconds = 21600",
                        "maximum_retry_attempts = 1\nmaximum_event_age_seconds = 21600", 1)  # fmt: skip
    toml.write_text(text)
    yield _apply(project_copy, monkeypatch)


def _messages(env: Env, dlq: str) -> list[dict[str, Any]]:
    return env.rows("SELECT * FROM messages WHERE queue_url = ?", (env.outputs.dead_letter_queue_urls[dlq],))


def _attributes(message: dict[str, Any]) -> dict[str, str]:
    return {k: v["StringValue"] for k, v in json.loads(message["attributes"]).items()}


def _snapshot(env: Env) -> Any:
    return build_snapshot(
        local.local_monitor_source(env.workspace, env.outputs), env.outputs, timedelta(hours=1)
    )


def _alarm(snapshot: Any, suffix: str) -> str:
    [state] = [a.state for a in snapshot.alarms if a.name.endswith(suffix)]
    return str(state)


def test_a_function_error_is_retried_by_lambda_then_lands_in_the_function_dlq_not_the_rules(env: Env) -> None:
    # No totalAmount: the real processor rejects the order by raising InvalidEventError.
    event_id = env.put("ecommerce.orders", "Order Created", {"orderId": "o-bad", "customerId": "c-1"})

    result = local.drain(env.workspace, timeout=60)

    attempts = env.rows("SELECT status, error_type FROM invocations WHERE function_key = 'processor'")
    # 1 + Lambda's 2 async retries (the function's maximum_retry_attempts), not the rule's 3.
    assert attempts == [{"status": "error", "error_type": "InvalidEventError"}] * 3
    assert result.complete and result.failed_permanently == 1 and result.dead_lettered == 1
    [dead] = _messages(env, "processor")
    assert json.loads(dead["body"])["id"] == event_id  # Lambda's DLQ holds the event itself
    attributes = _attributes(dead)
    assert set(attributes) == {"RequestID", "ErrorCode", "ErrorMessage"}
    assert attributes["ErrorCode"] == "200"
    assert attributes["ErrorMessage"].startswith("InvalidEventError:")
    assert "detail.totalAmount" in attributes["ErrorMessage"]
    [request_id] = {
        r["request_id"]
        for r in env.rows("SELECT request_id FROM invocations WHERE function_key = 'processor'")
    }
    assert attributes["RequestID"] == request_id  # one asynchronous request, retried
    assert _messages(env, "events") == []  # the hand-off to Lambda succeeded: nothing for the rule's DLQ


def test_the_monitor_shows_a_function_error_on_the_function_and_never_on_the_rule(env: Env) -> None:
    env.put("ecommerce.orders", "Order Created", {"orderId": "o-bad", "customerId": "c-1"})
    local.drain(env.workspace, timeout=60)

    snapshot = _snapshot(env)

    order_rule = next(r for r in snapshot.rules if r.key == "order-events")
    assert (order_rule.metrics.invocations, order_rule.metrics.failed_invocations) == (1, 0)
    assert order_rule.metrics.dead_letter_invocations == 0
    processor = next(f for f in snapshot.functions if f.key == "processor")
    assert (processor.metrics.invocations, processor.metrics.errors, processor.dlq_depth) == (3, 3, 1)
    assert _alarm(snapshot, "-rule-order-events-failed-invocations") == "OK"
    assert _alarm(snapshot, "-lambda-processor-errors") == "ALARM"
    assert _alarm(snapshot, "-dlq-processor-messages") == "ALARM"
    assert _alarm(snapshot, "-dlq-events-messages") == "OK"
    assert snapshot.health.status == "CRITICAL"
    assert "queue dlq:processor: DLQ not empty: 1 message(s)" in snapshot.health.verdict
    assert "rule order-events" not in snapshot.health.verdict


def test_a_delivery_failure_ends_in_the_rule_dlq_with_failed_invocations(env: Env) -> None:
    # Given the processor gone from the local state (as a function deleted outside Terraform would be)
    store = Store.open(env.workspace)
    try:
        with store.transaction() as conn:
            conn.execute("DELETE FROM functions WHERE key = 'processor'")
    finally:
        store.close()

    event_id = env.put("ecommerce.orders", "Order Created", {"orderId": "o-1", "totalAmount": 10})
    local.drain(env.workspace, timeout=60)

    assert env.rows("SELECT * FROM invocations WHERE function_key = 'processor'") == []
    [dead] = _messages(env, "events")
    assert json.loads(dead["body"])["id"] == event_id
    attributes = _attributes(dead)
    assert attributes["RULE_ARN"] == env.outputs.rule_arns["order-events"]
    assert attributes["TARGET_ARN"].endswith(f":function:{env.outputs.function_names['processor']}")
    assert attributes["ERROR_CODE"] == "ResourceNotFoundException"
    assert attributes["RETRY_ATTEMPTS"] == "0"  # a client error: EventBridge does not retry it
    assert _messages(env, "processor") == []
    snapshot = _snapshot(env)
    order_rule = next(r for r in snapshot.rules if r.key == "order-events")
    assert (order_rule.metrics.failed_invocations, order_rule.metrics.dead_letter_invocations) == (1, 1)
    assert _alarm(snapshot, "-rule-order-events-failed-invocations") == "ALARM"
    assert _alarm(snapshot, "-lambda-processor-errors") == "OK"


def test_a_handler_past_its_timeout_is_killed_retried_by_lambda_then_dead_lettered(probe_env: Env) -> None:
    env = probe_env
    event_id = env.put("ecommerce.orders", "Order Created", {"orderId": "o-slow", "sleep": 5})

    result = local.drain(env.workspace, timeout=60)

    attempts = env.rows("SELECT status, duration_ms FROM invocations WHERE function_key = 'processor'")
    assert [a["status"] for a in attempts] == ["timeout", "timeout"]  # 1 + the function's 1 retry
    assert all(a["duration_ms"] == 1000 for a in attempts)
    assert result.dead_lettered == 1
    [dead] = _messages(env, "processor")
    assert json.loads(dead["body"])["id"] == event_id
    assert "Task timed out after 1.00 seconds" in _attributes(dead)["ErrorMessage"]
    assert _messages(env, "events") == []
    logs = [r["message"] for r in env.rows("SELECT message FROM logs WHERE log_group = ?",
                                           (env.outputs.log_group_names["processor"],))]  # fmt: skip
    assert sum("Task timed out after 1.00 seconds" in line for line in logs) == 2
    assert sum('"message": "probe invoked"' in line for line in logs) == 2  # output before the kill is kept
    assert _snapshot(env).health.status == "CRITICAL"


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
    toml.write_text(toml.read_text().replace('# webhook_parameter = "/ecommerce/dev/webhook-url"',
                                             'webhook_parameter = "/ecommerce/dev/webhook-url"', 1))  # fmt: skip
    monkeypatch.setenv("TOOLING_WEBHOOK_URL", "https://127.0.0.1:9/alerts")
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
    payload = json.loads(record["body"])  # the SNS event the notifier was invoked with
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


def test_an_sns_delivery_failure_ends_in_the_subscription_dlq_and_the_rule_succeeds(env: Env) -> None:
    # Given the notifier gone from the local state: SNS cannot hand the notification to Lambda
    store = Store.open(env.workspace)
    try:
        with store.transaction() as conn:
            conn.execute("DELETE FROM functions WHERE key = 'notifier'")
    finally:
        store.close()

    env.put(
        "ecommerce.orders", "Order Created", {"orderId": "o-big", "customerId": "c-1", "totalAmount": 5000}
    )
    local.drain(env.workspace, timeout=60)

    [dead] = _messages(env, "notifications")
    assert "High-value order o-big" in json.loads(dead["body"])["Message"]
    assert env.rows("SELECT status FROM notification_deliveries WHERE protocol = 'lambda'") == [
        {"status": "failed"}
    ]
    assert _messages(env, "events") == [] and _messages(env, "notifier") == []
    rule = next(r for r in _snapshot(env).rules if r.key == "high-value-orders")
    assert (rule.metrics.invocations, rule.metrics.failed_invocations) == (1, 0)  # SNS accepted it


def test_an_event_waiting_for_a_retry_never_holds_the_others(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a poisoned event whose retry is due in an hour, published first
    monkeypatch.setattr(delivery, "RETRY_BASE_SECONDS", 3600.0)
    monkeypatch.setattr(delivery, "RETRY_MAX_SECONDS", 3600.0)
    poison = env.put("ecommerce.orders", "Order Created", {"orderId": "o-bad", "customerId": "c-1"})
    good = [
        env.put(
            "ecommerce.orders", "Order Created", {"orderId": f"o-{i}", "customerId": "c-1", "totalAmount": 10}
        )
        for i in range(20)
    ]

    # When the dispatcher runs for a few seconds
    result = local.drain(env.workspace, timeout=5)

    # Then every other event was processed, by both functions, and the poison waits for its due time
    done = env.rows("SELECT event_id, function_key FROM invocations WHERE status = 'ok'")
    assert {(e, f) for e in good for f in ("processor", "analytics")} <= {
        (r["event_id"], r["function_key"]) for r in done
    }
    # (pending also counts batch-queue messages the consumer's batching window still gathers)
    assert not result.complete and result.retries_scheduled == 1
    [waiting] = env.rows("SELECT event_id, attempts, not_before FROM deliveries WHERE source != 'sqs'")
    assert (waiting["event_id"], waiting["attempts"]) == (poison, 1)
    processor = next(f for f in _snapshot(env).functions if f.key == "processor")
    assert processor.pending.retrying == 1
    assert processor.pending.next_retry_at is not None
    assert processor.pending.next_retry_at.timestamp() == pytest.approx(waiting["not_before"], abs=0.01)


def test_a_dispatcher_killed_mid_invocation_loses_none_of_its_log_lines(probe_env: Env) -> None:
    import signal
    import subprocess
    import sys
    import time

    env = probe_env
    env.put("ecommerce.orders", "Order Created", {"orderId": "o-1", "sleep": 0.3})
    dispatcher = subprocess.Popen(
        [sys.executable, "-m", "tooling.local.background", "--root", str(env.workspace.root), "--env", "dev"],
        cwd=env.workspace.root,
    )
    try:
        # Wait until the handler has written its line (it then sleeps), and kill the dispatcher there.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            captured = [p.read_text() for p in (env.workspace.state_dir / "workers").glob("processor-*.log")]
            if any("probe invoked" in text for text in captured):
                break
            time.sleep(0.01)
        else:
            pytest.fail("the probe handler never ran")
        dispatcher.send_signal(signal.SIGKILL)
    finally:
        dispatcher.wait()

    local.drain(env.workspace, timeout=60)

    statuses = [
        r["status"] for r in env.rows("SELECT status FROM invocations WHERE function_key = 'processor'")
    ]
    assert statuses == ["interrupted", "ok"]  # recorded with its lines, then run again (at least once)
    logs = [r["message"] for r in env.rows("SELECT message FROM logs WHERE log_group = ?",
                                           (env.outputs.log_group_names["processor"],))]  # fmt: skip
    assert sum('"message": "probe invoked"' in line for line in logs) == 2  # one per attempt, none lost
