"""The batch queue's consumer on the local target: the SQS event source mapping's polling, batching window,
partial batch failures, visibility timeout and redrive, the event store it fills, `tooling events query`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tooling import local
from tooling.cli.app import app
from tooling.deploy import pipeline as deploy
from tooling.local import event_source
from tooling.local.delivery import Outcome, Queues
from tooling.local.event_store_source import EVENT_STORE_FILE, LocalEventStore
from tooling.local.store import Store
from tooling.outputs import DeploymentOutputs
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow
runner = CliRunner()
MAX_RECEIVE_COUNT = (
    5  # the batch queue's redrive policy (terraform/modules/messaging, tooling/local/provision)
)


@dataclass
class Env:
    workspace: Workspace
    outputs: DeploymentOutputs

    def put(self, source: str, detail_type: str, detail: dict[str, Any]) -> str:
        bus = local.open_local_bus(self.workspace, self.outputs)
        [result] = bus.put_events(
            [{"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}]
        )
        return str(result["EventId"])

    def send(self, body: str) -> str:
        store = Store.open(self.workspace)
        try:
            return Queues(store).send(self.outputs.batch_queue_url, body)
        finally:
            store.close()

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        store = Store.open(self.workspace)
        try:
            return store.scalar(sql, params)
        finally:
            store.close()

    def expire_visibility(self) -> None:
        """What waiting out the queue's visibility timeout does: every in-flight message is visible again."""
        store = Store.open(self.workspace)
        try:
            with store.transaction() as conn:
                conn.execute(
                    "UPDATE messages SET visible_at = 0 WHERE queue_url = ?", (self.outputs.batch_queue_url,)
                )
        finally:
            store.close()

    def stored_ids(self) -> list[str]:
        path = self.workspace.state_dir / EVENT_STORE_FILE
        return sorted(e.id for e in _all(LocalEventStore(path)))


def _all(store: LocalEventStore) -> list[Any]:
    from datetime import UTC, datetime

    from tooling.observe.event_store import build_query

    found = []
    for source in ("ecommerce.orders", "ecommerce.users", "ecommerce.payments", "ecommerce.inventory"):
        found += store.query(build_query(source, None, None, 1000), datetime.now(UTC))
    return found


@pytest.fixture
def env(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    workspace = Workspace.for_env("dev")
    yield Env(workspace, local.apply_local(deploy.prepare(workspace)))


def _event(event_id: str) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": event_id,
            "detail-type": "Order Created",
            "source": "ecommerce.orders",
            "account": "000000000000",
            "time": "2026-11-30T12:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {"orderId": event_id},
        }
    )


def test_published_events_reach_the_event_store_once_each_and_the_queue_drains(env: Env) -> None:
    ids = [
        env.put(
            "ecommerce.orders", "Order Created", {"orderId": f"o-{n}", "customerId": "c", "totalAmount": 5}
        )
        for n in range(3)
    ]

    drained = local.drain(env.workspace, timeout=60)

    assert drained.complete
    assert env.stored_ids() == sorted(ids)
    assert (
        env.scalar("SELECT COUNT(*) FROM messages WHERE queue_url = ?", (env.outputs.batch_queue_url,)) == 0
    )
    assert env.outputs.event_store_table_name.endswith("-events")


def test_a_malformed_message_fails_alone_then_is_redriven_to_the_batch_dlq_after_max_receives(
    env: Env,
) -> None:
    env.send(_event("good-1"))
    bad = env.send("{not json")
    env.send(_event("good-2"))

    local.drain(env.workspace, timeout=60)

    # The good ones were deleted and stored; the bad one waits out its visibility timeout, received once.
    assert env.stored_ids() == ["good-1", "good-2"]
    assert env.scalar("SELECT receive_count FROM messages WHERE id = ?", (bad,)) == 1
    for _ in range(MAX_RECEIVE_COUNT - 1):
        env.expire_visibility()
        local.drain(env.workspace, timeout=60)
    assert env.scalar("SELECT receive_count FROM messages WHERE id = ?", (bad,)) == MAX_RECEIVE_COUNT

    env.expire_visibility()
    local.drain(env.workspace, timeout=60)

    batch_dlq = env.outputs.dead_letter_queue_urls["batch-queue"]
    assert env.scalar("SELECT queue_url FROM messages WHERE id = ?", (bad,)) == batch_dlq
    assert env.scalar("SELECT body FROM messages WHERE id = ?", (bad,)) == "{not json"
    batch_processor = env.outputs.function_names["batch-processor"]
    invocations = env.scalar("SELECT COUNT(*) FROM invocations WHERE function_key = 'batch-processor'")
    assert invocations == MAX_RECEIVE_COUNT  # one batch with all three, then the bad one alone four times
    assert env.stored_ids() == ["good-1", "good-2"]
    failed = env.scalar(
        "SELECT COUNT(*) FROM logs WHERE log_group = ? AND message LIKE '%Message failed%'",
        (f"/aws/lambda/{batch_processor}",),
    )
    assert failed == MAX_RECEIVE_COUNT


def test_the_batching_window_holds_a_partial_batch_until_it_has_elapsed(env: Env) -> None:
    env.send(_event("w-1"))
    env.send(_event("w-2"))
    store = Store.open(env.workspace)
    try:
        now = time.time()
        # dev.toml: batch_size 10, batching_window_seconds 5.
        held = event_source.poll(store, now + 1)
        released = event_source.poll(store, now + 6)
        payloads = [json.loads(row["payload"]) for row in store.query("SELECT payload FROM deliveries")]
    finally:
        store.close()

    assert (held, released) == (0, 1)
    assert [[r["body"] for r in p["Records"]] for p in payloads] == [[_event("w-1"), _event("w-2")]]
    assert payloads[0]["Records"][0]["eventSource"] == "aws:sqs"


def test_a_full_batch_is_taken_at_once_in_batches_of_the_configured_size(env: Env) -> None:
    for n in range(23):
        env.send(_event(f"f-{n}"))
    store = Store.open(env.workspace)
    try:
        queued = event_source.poll(store, time.time())
        sizes = [
            len(json.loads(row["payload"])["Records"])
            for row in store.query("SELECT payload FROM deliveries")
        ]
    finally:
        store.close()

    # Two full batches at once; the remaining 3 wait for the window (5 s in dev).
    assert (queued, sizes) == (2, [10, 10])


def _outcome(ok: bool, result: Any = None) -> Outcome:
    return Outcome(ok=ok, started_at=0.0, duration_ms=1.0, result=result)


@pytest.mark.parametrize(
    ("outcome", "failed"),
    [
        (_outcome(True, {"batchItemFailures": []}), []),
        (_outcome(True, None), []),
        (_outcome(True, {"batchItemFailures": [{"itemIdentifier": "b"}]}), ["b"]),
        (_outcome(False), ["a", "b", "c"]),
        (_outcome(True, {"batchItemFailures": [{"itemIdentifier": "zzz"}]}), ["a", "b", "c"]),
        (_outcome(True, {"batchItemFailures": [{"itemIdentifier": ""}]}), ["a", "b", "c"]),
        (_outcome(True, {"batchItemFailures": [{}]}), ["a", "b", "c"]),
        (_outcome(True, "not the partial batch shape"), ["a", "b", "c"]),
    ],
    ids=["none", "null-response", "one", "function-error", "unknown-id", "empty-id", "no-id", "bad-shape"],
)
def test_the_partial_batch_response_is_read_as_lambda_reads_it(outcome: Outcome, failed: list[str]) -> None:
    assert event_source.failed_ids(outcome, ["a", "b", "c"]) == failed


def test_events_query_answers_on_the_local_target(env: Env) -> None:
    order = env.put(
        "ecommerce.orders", "Order Created", {"orderId": "o-1", "customerId": "c", "totalAmount": 5}
    )
    user = env.put("ecommerce.users", "User Registered", {"userId": "u-1"})
    local.drain(env.workspace, timeout=60)

    by_type = runner.invoke(
        app,
        [
            "events",
            "query",
            "--source",
            "ecommerce.orders",
            "--type",
            "Order Created",
            "--since",
            "1h",
            "--json",
        ],
    )
    by_source = runner.invoke(app, ["events", "query", "--source", "ecommerce.users", "--json"])
    none = runner.invoke(app, ["events", "query", "--source", "ecommerce.payments", "--json"])

    assert by_type.exit_code == 0, by_type.output
    assert [e["id"] for e in json.loads(by_type.stdout)] == [order]
    assert json.loads(by_type.stdout)[0]["event"]["detail"]["orderId"] == "o-1"
    assert [e["id"] for e in json.loads(by_source.stdout)] == [user]
    assert json.loads(none.stdout) == []


def test_events_query_refuses_bad_input_with_exit_2_and_one_line(env: Env) -> None:
    def tooling(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tooling", "events", "query", *args],
            capture_output=True,
            text=True,
            check=False,
        )

    limit = tooling("--source", "ecommerce.orders", "--limit", "0")
    since = tooling("--source", "ecommerce.orders", "--since", "soon")

    assert (limit.returncode, since.returncode) == (2, 2)
    assert limit.stderr.startswith("error: --limit must be from 1 to 1000, not 0")
    assert since.stderr.startswith("error: bad duration 'soon'")
    assert "Traceback" not in limit.stderr + since.stderr


def test_the_summary_and_the_monitor_count_the_stored_events(env: Env) -> None:
    for n in range(4):
        env.put("ecommerce.inventory", "Stock Updated", {"productId": f"p-{n}"})
    local.drain(env.workspace, timeout=60)

    summary = local.summary(env.workspace, env.outputs)

    assert summary.consumer is not None
    assert (summary.consumer.messages_deleted, summary.consumer.stored_events) == (4, 4)
    assert "event store: 4 event(s) stored" in summary.lines()
    monitor = runner.invoke(app, ["monitor", "--json"])
    assert json.loads(monitor.stdout)["consumer"]["event_store_items"] == 4


def test_with_the_consumer_disabled_the_queue_keeps_its_messages_and_there_is_no_store(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    path = project_copy / "environments" / "dev.toml"
    text = path.read_text()
    for section in ("[batch_processor]", "[event_store]"):
        head, tail = text.split(section + "\n", 1)
        text = head + section + "\n" + tail.replace("enabled = true", "enabled = false", 1)
    path.write_text(text)
    workspace = Workspace.for_env("dev")
    env = Env(workspace, local.apply_local(deploy.prepare(workspace)))

    event_id = env.put(
        "ecommerce.orders", "Order Created", {"orderId": "o-1", "customerId": "c", "totalAmount": 5}
    )
    local.drain(workspace, timeout=60)
    query = subprocess.run(
        [sys.executable, "-m", "tooling", "events", "query", "--source", "ecommerce.orders"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert "batch-processor" not in env.outputs.function_names
    assert env.outputs.event_store_table_name == ""
    assert env.scalar("SELECT COUNT(*) FROM event_source_mappings") == 0
    assert (
        json.loads(
            env.scalar("SELECT body FROM messages WHERE queue_url = ?", (env.outputs.batch_queue_url,))
        )["id"]
        == event_id
    )
    assert query.returncode == 2
    assert query.stderr.startswith("error: environment 'dev' has no event store")
