"""The local target end to end, offline: apply from environments/dev.toml, publish, drain, observe.

Every test runs against a throwaway project copy (TOOLING_ROOT) with the real build/lambda.zip, the real
handlers in worker processes, and the background dispatcher switched off so each test drains explicitly.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tooling import local
from tooling.config import Config
from tooling.deploy import pipeline as deploy
from tooling.errors import ToolingError
from tooling.local import delivery
from tooling.local.store import Store
from tooling.observe.event_store import build_query
from tooling.observe.logs import collect_logs, log_groups
from tooling.observe.monitor import build_snapshot
from tooling.observe.replay import build_request, wait_for_replay
from tooling.outputs import DeploymentOutputs, load_outputs
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow


@dataclass
class LocalEnv:
    workspace: Workspace
    config: Config
    outputs: DeploymentOutputs

    def bus(self) -> local.LocalBus:
        bus = local.open_local_bus(self.workspace, self.outputs)
        assert isinstance(bus, local.LocalBus)
        return bus

    def store(self) -> Store:
        return Store.open(self.workspace)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        store = self.store()
        try:
            return [dict(row) for row in store.query(sql, params)]
        finally:
            store.close()

    def pause_consumer(self) -> None:
        """Disable the batch queue's event source mapping (UpdateEventSourceMapping Enabled=false on AWS),
        so the queue keeps what it receives."""
        store = self.store()
        try:
            with store.transaction() as conn:
                conn.execute("UPDATE event_source_mappings SET enabled = 0")
        finally:
            store.close()

    def all_messages(self, url: str) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM messages WHERE queue_url = ? ORDER BY seq", (url,))


@pytest.fixture
def env(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalEnv]:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    monkeypatch.setattr(delivery, "RETRY_BASE_SECONDS", 0.01)
    monkeypatch.setattr(delivery, "RETRY_MAX_SECONDS", 0.05)
    workspace = Workspace.for_env("dev")
    prepared = deploy.prepare(workspace)
    outputs = local.apply_local(prepared)
    yield LocalEnv(workspace, prepared.config, outputs)


def entry(source: str, detail_type: str, detail: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail), **extra}


def order(order_id: str, amount: float, detail_type: str = "Order Created") -> dict[str, Any]:
    detail = {"orderId": order_id, "customerId": f"cust-{order_id}", "totalAmount": amount, "currency": "EUR"}
    return entry("ecommerce.orders", detail_type, detail)


KNOWN_BATCH = [
    order("o-500", 500),
    order("o-1000", 1000),
    order("o-1000.01", 1000.01),
    order("o-2500", 2500),
    order("o-1000.01", 1000.01, "Order Updated"),
    order("o-500", 500, "Order Cancelled"),
    entry("ecommerce.users", "User Registered", {"userId": "u-1", "email": "ana@example.com"}),
    entry("ecommerce.users", "User Registered", {"userId": "u-2"}),
    entry("ecommerce.payments", "Payment Processed", {"paymentId": "p-1", "orderId": "o-500", "amount": 500}),
    entry("ecommerce.inventory", "Stock Updated", {"productId": "prod-1", "quantity": 3}),
]


def publish(env: LocalEnv, entries: list[dict[str, Any]]) -> list[str]:
    bus = env.bus()
    ids: list[str] = []
    for start in range(0, len(entries), 10):
        results = bus.put_events(entries[start : start + 10])
        assert all("EventId" in r for r in results), results
        ids += [r["EventId"] for r in results]
    return ids


# -- the demo flow ---------------------------------------------------------------------------------------------


def test_demo_flow_routes_every_event_to_its_targets(env: LocalEnv) -> None:
    ids = publish(env, KNOWN_BATCH)

    result = local.drain(env.workspace, timeout=60)

    assert result.complete and result.failed_attempts == 0
    processed = {
        r["event_id"]: json.loads(r["result"])
        for r in env.rows("SELECT * FROM invocations WHERE function_key = 'processor' AND status = 'ok'")
    }
    # Orders (order-events) and user registrations (user-registration) reached the processor; payments and
    # inventory did not (no rule sends them there).
    assert set(processed) == set(ids[:8])
    assert {k: v["priority"] for k, v in processed.items() if v["action"] == "order_processed"} == {
        ids[0]: "normal", ids[1]: "normal", ids[2]: "high", ids[3]: "high"
    }  # fmt: skip
    assert [processed[i]["action"] for i in ids[4:8]] == [
        "order_updated", "order_cancelled", "user_registered", "user_registered"
    ]  # fmt: skip


def test_only_orders_over_1000_notify_with_the_transformed_text(env: LocalEnv) -> None:
    publish(env, KNOWN_BATCH)

    local.drain(env.workspace, timeout=60)

    texts = [r["message"] for r in env.rows("SELECT message FROM notifications ORDER BY published_at")]
    assert texts == [
        '"High-value order o-1000.01 from customer cust-o-1000.01: 1000.01 EUR"',
        '"High-value order o-2500 from customer cust-o-2500: 2500 EUR"',
    ]
    alerts = env.rows("SELECT result FROM invocations WHERE function_key = 'notifier' AND status = 'ok'")
    assert len(alerts) == 2
    notifier_logs = collect_logs(
        local.local_log_source(env.workspace, env.outputs),
        log_groups(env.outputs, ["notifier"]),
        start=datetime.now(UTC) - timedelta(minutes=5),
        text="High-value order alert",
    )
    assert len(notifier_logs) == 2
    assert all(e.data is not None and e.data["level"] == "WARNING" for e in notifier_logs)


def test_every_event_reaches_the_batch_queue_exactly_once(env: LocalEnv) -> None:
    env.pause_consumer()  # the queue itself is the observation point here (the consumer's own test: below)
    ids = publish(env, KNOWN_BATCH)

    local.drain(env.workspace, timeout=60)

    bodies = [json.loads(m["body"]) for m in env.all_messages(env.outputs.batch_queue_url)]
    assert sorted(b["id"] for b in bodies) == sorted(ids)
    assert {b["source"] for b in bodies} == {
        "ecommerce.orders", "ecommerce.users", "ecommerce.payments", "ecommerce.inventory"
    }  # fmt: skip


def test_every_event_passes_the_batch_queue_into_the_event_store_exactly_once(env: LocalEnv) -> None:
    ids = publish(env, KNOWN_BATCH)

    local.drain(env.workspace, timeout=60)

    store = local.local_event_store(env.workspace, env.outputs)
    stored = [
        e.id
        for source in ("ecommerce.orders", "ecommerce.users", "ecommerce.payments", "ecommerce.inventory")
        for e in store.query(build_query(source, None, None, 1000), datetime.now(UTC))
    ]
    assert sorted(stored) == sorted(ids)
    assert env.all_messages(env.outputs.batch_queue_url) == []


def test_the_monitor_snapshot_counts_what_happened_and_is_healthy(env: LocalEnv) -> None:
    publish(env, KNOWN_BATCH)
    local.drain(env.workspace, timeout=60)

    snapshot = build_snapshot(
        local.local_monitor_source(env.workspace, env.outputs), env.outputs, timedelta(hours=1)
    )

    rules = {r.key: r.metrics for r in snapshot.rules}
    assert rules["order-events"].matched_events == 6
    assert rules["order-events"].invocations == 6
    assert rules["high-value-orders"].matched_events == 2
    assert rules["user-registration"].invocations == 2
    assert rules["all-events"].matched_events == 10
    assert rules["all-events"].invocations == 30  # batch queue + S3 archive + analytics
    functions = {f.key: f.metrics for f in snapshot.functions}
    assert (functions["processor"].invocations, functions["analytics"].invocations) == (8, 10)
    assert functions["notifier"].invocations == 2
    batch = next(q for q in snapshot.queues if q.key == "batch-queue")
    assert (batch.visible, batch.in_flight) == (0, 0)  # consumed by the batch processor
    assert snapshot.consumer is not None and snapshot.consumer.invocations >= 1
    assert all(q.visible == 0 for q in snapshot.queues if q.role == "dlq")
    assert snapshot.bus.archive is not None and snapshot.bus.archive.event_count == 10
    assert snapshot.health.status == "OK", snapshot.health.verdict


# -- PutEvents ---------------------------------------------------------------------------------------------------


def test_put_events_reports_per_entry_errors_in_order(env: LocalEnv) -> None:
    results = env.bus().put_events(
        [
            order("o-1", 10),
            {"DetailType": "Order Created", "Detail": "{}"},
            {"Source": "ecommerce.orders", "DetailType": "Order Created", "Detail": "not json"},
            {"Source": "ecommerce.orders", "DetailType": "Order Created", "Detail": "[1, 2]"},
            {"Source": "aws.ec2", "DetailType": "x", "Detail": "{}"},
            {"Source": "ecommerce.orders", "Detail": "{}"},
        ]
    )

    assert "EventId" in results[0]
    assert results[1] == {
        "ErrorCode": "InvalidArgument",
        "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument.",
    }
    assert results[2] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert results[3]["ErrorCode"] == "MalformedDetail"
    assert results[4]["ErrorCode"] == "NotAuthorizedForSourceException"
    assert results[5]["ErrorCode"] == "InvalidArgument" and "DetailType" in results[5]["ErrorMessage"]
    assert [r["event_id"] for r in env.rows("SELECT event_id FROM archive")] == [results[0]["EventId"]]


def test_put_events_refuses_more_than_10_entries_or_1mib(env: LocalEnv) -> None:
    bus = env.bus()

    with pytest.raises(Exception) as too_many:
        bus.put_events([order(f"o-{i}", 1) for i in range(11)])
    with pytest.raises(Exception) as too_big:
        bus.put_events([entry("ecommerce.orders", "Order Created", {"blob": "x" * 1_048_600})])

    assert too_many.value.response["Error"]["Code"] == "ValidationException"  # type: ignore[attr-defined]
    assert too_big.value.response["Error"]["Code"] == "ValidationException"  # type: ignore[attr-defined]
    assert env.rows("SELECT COUNT(*) AS n FROM archive")[0]["n"] == 0


def test_accepted_events_are_stamped_like_eventbridge_and_archived(env: LocalEnv) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    [event_id] = publish(env, [{**order("o-7", 7), "Time": when, "Resources": ["arn:aws:s3:::bucket"]}])

    [archived] = env.rows("SELECT body FROM archive")
    event = json.loads(archived["body"])

    assert event == {
        "version": "0",
        "id": event_id,
        "detail-type": "Order Created",
        "source": "ecommerce.orders",
        "account": "000000000000",
        "time": "2026-01-02T03:04:05Z",
        "region": "us-east-1",
        "resources": ["arn:aws:s3:::bucket"],
        "detail": {"orderId": "o-7", "customerId": "cust-o-7", "totalAmount": 7, "currency": "EUR"},
    }


# -- provisioning --------------------------------------------------------------------------------------------------


def test_outputs_use_aws_arn_formats_in_the_local_account(env: LocalEnv) -> None:
    out = load_outputs(env.workspace)
    prefix = env.config.name_prefix(env.workspace.name_suffix())

    assert out.target == "local"
    assert out.event_bus_arn == f"arn:aws:events:us-east-1:000000000000:event-bus/{prefix}-bus"
    assert out.rule_arns["order-events"] == (
        f"arn:aws:events:us-east-1:000000000000:rule/{prefix}-bus/{prefix}-order-events"
    )
    assert out.batch_queue_url == f"https://sqs.us-east-1.amazonaws.com/000000000000/{prefix}-batch"
    assert set(out.dead_letter_queue_urls) == {
        "events",
        "batch-queue",
        "notifications",
        "processor",
        "notifier",
        "analytics",
    }  # the same keys as terraform's dead_letter_queue_urls
    assert out.notifications_topic_arn == f"arn:aws:sns:us-east-1:000000000000:{prefix}-notifications"
    assert out.log_group_names["processor"] == f"/aws/lambda/{prefix}-processor"


def test_reapply_is_idempotent_and_updates_changed_rules(env: LocalEnv) -> None:
    publish(env, [order("o-1", 5000)])
    toml = env.workspace.default_config
    toml.write_text(
        toml.read_text().replace(
            'detail-type = ["Order Created"], detail', 'detail-type = ["Order Updated"], detail'
        )
    )

    again = local.apply_local(deploy.prepare(env.workspace))
    publish(env, [order("o-2", 5000), order("o-3", 5000, "Order Updated")])

    assert again == env.outputs
    assert len(env.all_messages(env.outputs.batch_queue_url)) == 3  # kept across the re-apply
    notified = [
        json.loads(r["message"]) for r in env.rows("SELECT message FROM notifications ORDER BY published_at")
    ]
    assert notified == [
        "High-value order o-1 from customer cust-o-1: 5000 EUR",
        "High-value order o-3 from customer cust-o-3: 5000 EUR",
    ]


def test_destroy_removes_the_local_state(env: LocalEnv) -> None:
    publish(env, [order("o-1", 1)])

    local.destroy(env.workspace)

    assert not (env.workspace.state_dir / "local.sqlite").exists()
    with pytest.raises(ToolingError, match="has no state") as missing:
        local.open_local_bus(env.workspace, env.outputs)
    assert missing.value.hint == "provision it first: tooling apply --target local"


# -- SQS semantics ------------------------------------------------------------------------------------------------


def test_a_consumer_receives_hides_and_deletes_while_peek_disturbs_nothing(env: LocalEnv) -> None:
    publish(env, [order("o-1", 1), order("o-2", 2)])
    queues = local.local_queues(env.workspace)
    url = env.outputs.batch_queue_url
    source = local.local_monitor_source(env.workspace, env.outputs)

    peeked = source.peek(url, 10)
    first = queues.receive(url, max_messages=1, visibility_timeout=30)
    counts_after_receive = queues.counts(url)
    deleted = queues.delete(url, first[0]["ReceiptHandle"])
    counts_after_delete = queues.counts(url)

    assert len(peeked) == 2 and all(m.receive_count == 0 for m in peeked)
    assert counts_after_receive is not None and (
        counts_after_receive.visible,
        counts_after_receive.in_flight,
    ) == (1, 1)
    assert deleted
    assert counts_after_delete is not None and (
        counts_after_delete.visible,
        counts_after_delete.in_flight,
    ) == (1, 0)


def test_receive_with_visibility_zero_leaves_the_message_visible_and_redrive_moves_it(env: LocalEnv) -> None:
    publish(env, [order("o-1", 1)])
    queues = local.local_queues(env.workspace)
    url = env.outputs.batch_queue_url

    for _ in range(5):
        assert len(queues.receive(url, visibility_timeout=0)) == 1
    sixth = queues.receive(url, visibility_timeout=0)

    assert sixth == []  # past maxReceiveCount (5): moved to the batch queue's DLQ
    dlq = queues.counts(env.outputs.dead_letter_queue_urls["batch-queue"])
    assert dlq is not None and dlq.visible == 1


# -- replay ------------------------------------------------------------------------------------------------------


def test_replay_delivers_archived_events_again_marked_as_replayed(env: LocalEnv) -> None:
    env.pause_consumer()  # the replayed copies are read from the batch queue
    ids = publish(env, [order("o-1", 1), entry("ecommerce.users", "User Registered", {"userId": "u-1"})])
    local.drain(env.workspace, timeout=60)
    source = local.local_replay_source(env.workspace, env.outputs)
    now = datetime.now(UTC) + timedelta(seconds=1)
    request = build_request(
        env.outputs, now - timedelta(minutes=5), now, rules=["all-events"], now=now + timedelta(seconds=1)
    )

    source.start_replay(request)
    status = wait_for_replay(source, request.name, interval=0.01)
    local.drain(env.workspace, timeout=60)

    assert status.state == "COMPLETED"
    bodies = [json.loads(m["body"]) for m in env.all_messages(env.outputs.batch_queue_url)]
    replayed = [b for b in bodies if "replay-name" in b]
    assert sorted(b["id"] for b in replayed) == sorted(ids)
    assert {b["replay-name"] for b in replayed} == {request.name}
    analytics = env.rows(
        "SELECT event_id FROM invocations WHERE function_key = 'analytics' AND status = 'ok'"
    )
    assert sorted(r["event_id"] for r in analytics) == sorted(ids * 2)
    # Only the chosen rule: the processor saw each event once, and replays are not archived again.
    assert len(env.rows("SELECT * FROM invocations WHERE function_key = 'processor'")) == 2
    assert env.rows("SELECT COUNT(*) AS n FROM archive")[0]["n"] == 2


# -- durability ----------------------------------------------------------------------------------------------------

CRASHING_PUBLISHER = """
import json, os, signal, sys
from pathlib import Path
from tooling import local
from tooling.outputs import load_outputs
from tooling.workspace import Workspace

ws = Workspace(root=Path(sys.argv[1]), env="dev")
bus = local.open_local_bus(ws, load_outputs(ws), dispatch=False)
detail = {"orderId": "o-crash", "customerId": "c-1", "totalAmount": 4200, "currency": "USD"}
results = bus.put_events([{"Source": "ecommerce.orders", "DetailType": "Order Created", "Detail": json.dumps(detail)}])
print(json.dumps(results), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # dies after acceptance, before any delivery
"""


def test_events_accepted_before_a_crash_are_delivered_by_the_next_command(
    env: LocalEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CRASHING_PUBLISHER, str(env.workspace.root)],
        capture_output=True, text=True, check=False, env={**os.environ},
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL
    [accepted] = json.loads(proc.stdout)
    assert len(env.rows("SELECT * FROM deliveries")) == 3  # processor, analytics, notifier (via SNS)

    # The next command (here: the monitor, with background dispatch on as in the CLI) resumes the deliveries.
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "background")
    local.local_monitor_source(env.workspace, env.outputs)
    deadline = time.monotonic() + 60
    while env.rows("SELECT * FROM deliveries") and time.monotonic() < deadline:
        time.sleep(0.1)
    wait_for_background_dispatcher(env.workspace)

    done = env.rows(
        "SELECT function_key FROM invocations WHERE event_id = ? AND status = 'ok'", (accepted["EventId"],)
    )
    assert sorted(r["function_key"] for r in done) == ["analytics", "notifier", "processor"]


def test_a_delivery_claimed_by_a_dispatcher_that_died_is_run_again(env: LocalEnv) -> None:
    [event_id] = publish(env, [entry("ecommerce.users", "User Registered", {"userId": "u-9"})])
    store = env.store()
    with store.transaction() as conn:  # as a dispatcher killed mid-invocation leaves it
        conn.execute("UPDATE deliveries SET claimed = 1")
    store.close()

    result = local.drain(env.workspace, timeout=60)

    assert result.complete
    done = env.rows("SELECT function_key FROM invocations WHERE event_id = ? AND status = 'ok'", (event_id,))
    assert sorted(r["function_key"] for r in done) == ["analytics", "processor"]


def wait_for_background_dispatcher(workspace: Workspace, timeout: float = 30) -> None:
    """Stop it as `destroy` does: an exclusive taker of the environment's lock is the request it honours."""
    from tooling.envlock import Mode, env_lock

    with env_lock(workspace, Mode.EXCLUSIVE, command="test", wait_timeout=timeout, notify=None):
        pass


# -- the CLI, unchanged on the local target ---------------------------------------------------------------------


def test_cli_apply_publish_and_monitor_work_on_the_local_target(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from tooling.cli.app import app

    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    runner = CliRunner()
    workspace = Workspace.for_env("dev")

    applied = runner.invoke(app, ["apply", "--target", "local"])
    published = runner.invoke(app, ["publish", "batch", "--count", "30", "--seed", "7", "--json"])
    drained = local.drain(workspace, timeout=60)
    monitored = runner.invoke(app, ["monitor", "--json"])

    assert applied.exit_code == 0, applied.output
    assert published.exit_code == 0, published.output
    assert drained.complete and drained.failed_attempts == 0
    assert monitored.exit_code == 0, monitored.output
    snapshot = json.loads(monitored.stdout)
    rules = {r["key"]: r["metrics"] for r in snapshot["rules"]}
    assert rules["all-events"]["matched_events"] == 30
    assert next(q for q in snapshot["queues"] if q["key"] == "batch-queue")["visible"] == 0  # consumed
    assert snapshot["consumer"]["event_store_items"] == 30
    assert snapshot["health"]["status"] == "OK"


def test_archived_events_older_than_the_retention_are_dropped(env: LocalEnv) -> None:
    publish(env, [order("o-new", 1)])
    store = env.store()
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO archive (event_id, event_time, ingested_at, body) VALUES ('old', 0, ?, '{}')",
            (time.time() - 31 * 86400,),  # dev.toml keeps 30 days
        )
    store.close()

    local.drain(env.workspace, timeout=60)

    remaining = [r["event_id"] for r in env.rows("SELECT event_id FROM archive")]
    assert len(remaining) == 1 and "old" not in remaining


def test_the_demo_runs_healthy_and_prints_the_high_value_notification(project_copy: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tooling", "demo", "--count", "40"],
        capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "200"}, timeout=120,
    )  # fmt: skip

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "published 41, failed 0" in proc.stdout
    assert (
        "SNS notification of the high-value order:\n  High-value order demo-high-value-order" in proc.stdout
    )
    assert "Health: OK" in proc.stdout
    # Every event reached the S3 archive's layout, and the summary counts it.
    assert "S3 archive: 41 records in " in proc.stdout
    assert re.search(
        r"records in +41 +written +41 in \d+ object\(s\) across \d+ source\(s\)\n +buffered 0", proc.stdout
    )


def test_an_email_subscription_is_recorded_as_sent_for_each_notification(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = project_copy / "environments" / "dev.toml"
    toml.write_text(toml.read_text().replace('# email = "ops@example.com"', 'email = "ops@example.com"', 1))
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    workspace = Workspace.for_env("dev")
    env = LocalEnv(workspace, deploy.prepare(workspace).config, local.apply_local(deploy.prepare(workspace)))

    publish(env, [order("o-big", 5000), order("o-small", 5)])

    sent = env.rows("SELECT protocol, endpoint, status FROM notification_deliveries WHERE protocol = 'email'")
    assert sent == [{"protocol": "email", "endpoint": "ops@example.com", "status": "sent"}]


def test_local_alarm_since_is_when_its_state_changed_not_when_it_was_read(env: LocalEnv) -> None:
    source = local.local_monitor_source(env.workspace, env.outputs)
    created = datetime.fromtimestamp(
        float(env.rows("SELECT value FROM meta WHERE key = 'created_at'")[0]["value"]), UTC
    )
    name = next(a.name for a in source.alarms() if a.name.endswith("-dlq-events-messages"))

    first = {a.name: a for a in source.alarms()}
    assert first[name].state == "OK" and first[name].updated_at == created  # OK since provisioning

    store = env.store()
    try:
        delivery.Queues(store).send(env.outputs.dead_letter_queue_urls["events"], "{}")
    finally:
        store.close()
    before = datetime.now(UTC)
    fired = {a.name: a for a in source.alarms()}
    time.sleep(0.05)
    again = {a.name: a for a in source.alarms()}

    assert fired[name].state == "ALARM" and fired[name].updated_at is not None
    assert fired[name].updated_at >= before  # the change, seen by the evaluation after the message arrived
    assert again[name].updated_at == fired[name].updated_at  # read again: still the time of the change
    others = [n for n in first if n != name]
    assert all(again[n].updated_at == created for n in others)  # unchanged alarms keep their time
