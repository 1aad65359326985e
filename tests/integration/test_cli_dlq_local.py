"""`tooling dlq` and schema-checked `tooling publish` on the local target, through the CLI: the new user's
path (a bad event, the health verdict, peek, purge or redrive) and every refused input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tooling import local
from tooling.cli import confirm, errors
from tooling.cli.app import app
from tooling.deploy import pipeline as deploy
from tooling.local import delivery
from tooling.local.store import Store
from tooling.outputs import DeploymentOutputs
from tooling.workspace import Workspace

BAD_ORDER = '{"totalAmount": "lots"}'


@dataclass
class Run:
    code: int
    stdout: str
    error: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Env:
    root: Path
    workspace: Workspace
    outputs: DeploymentOutputs

    def cli(self, *args: str, input: str | None = None) -> Run:
        result = CliRunner().invoke(app, list(args), env={"TOOLING_ROOT": str(self.root)}, input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            error = str(getattr(result.exception, "message", result.exception))
            return Run(errors.handle(result.exception, debug=False), result.stdout, error)
        return Run(result.exit_code, result.stdout, "")

    def drain(self) -> None:
        local.drain(self.workspace, timeout=60)

    def depth(self, name: str) -> int:
        store = Store.open(self.workspace)
        try:
            url = self.outputs.dead_letter_queue_urls[name]
            return int(store.scalar("SELECT COUNT(*) FROM messages WHERE queue_url = ?", (url,)))
        finally:
            store.close()

    def queue_depth(self, url: str) -> int:
        store = Store.open(self.workspace)
        try:
            return int(store.scalar("SELECT COUNT(*) FROM messages WHERE queue_url = ?", (url,)))
        finally:
            store.close()

    def age_metrics(self, seconds: float) -> None:
        """Time passes: the counters (and so the alarms' periods) move `seconds` into the past."""
        store = Store.open(self.workspace)
        try:
            with store.transaction() as conn:
                conn.execute("UPDATE counters SET bucket = bucket - ?", (int(seconds),))
                conn.execute("UPDATE samples SET ts = ts - ?", (seconds,))
        finally:
            store.close()

    def health(self) -> dict[str, Any]:
        run = self.cli("monitor", "--since", "5m", "--json")
        health: dict[str, Any] = run.json()["health"]
        return health


@pytest.fixture
def env(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    monkeypatch.setattr(delivery, "RETRY_BASE_SECONDS", 0.01)
    monkeypatch.setattr(delivery, "RETRY_MAX_SECONDS", 0.05)
    workspace = Workspace.for_env("dev")
    outputs = local.apply_local(deploy.prepare(workspace))
    yield Env(project_copy, workspace, outputs)


def _reject_one_order(env: Env) -> str:
    """A bad order the processor rejects: Lambda retries it twice, then it lands in the processor's DLQ."""
    run = env.cli("publish", "order", "--detail", BAD_ORDER, "--no-validate", "--json")
    assert run.code == 0, run.error
    env.drain()
    return str(run.json()["event_id"])


# -- the new user's path --------------------------------------------------------------------------------------


def test_a_rejected_event_is_critical_then_peek_shows_why_and_purge_restores_ok(env: Env) -> None:
    event_id = _reject_one_order(env)
    health = env.health()
    assert health["status"] == "CRITICAL"
    assert any(p["subject"] == "queue dlq:processor" for p in health["problems"])

    peeked = env.cli("dlq", "peek", "processor", "--json").json()
    [message] = peeked["messages"]
    assert json.loads(message["body"])["id"] == event_id
    assert message["attributes"]["ErrorCode"] == "200"
    assert "totalAmount" in message["attributes"]["ErrorMessage"]
    assert message["attributes"]["RequestID"]
    assert env.depth("processor") == 1  # peeking left it there

    purged = env.cli("dlq", "purge", "processor", "-y", "--json")
    assert purged.code == 0 and purged.json() == {"name": "processor", "purged": 1, "depth_after": 0}
    assert env.depth("processor") == 0
    assert not any(p["subject"] == "queue dlq:processor" for p in env.health()["problems"])
    env.age_metrics(3600)  # the function's errors leave the alarm's period, as they would on AWS
    assert env.health()["status"] == "OK"


def test_redrive_republishes_a_function_dlq_event_onto_the_bus_and_health_recovers(env: Env) -> None:
    _reject_one_order(env)
    # The processor is fixed: the stored event is made valid again, as a fixed deployment would accept it.
    store = Store.open(env.workspace)
    try:
        url = env.outputs.dead_letter_queue_urls["processor"]
        [row] = store.query("SELECT seq, body FROM messages WHERE queue_url = ?", (url,))
        event = json.loads(row["body"])
        event["detail"]["totalAmount"] = 12.5
        with store.transaction() as conn:
            conn.execute("UPDATE messages SET body = ? WHERE seq = ?", (json.dumps(event), row["seq"]))
    finally:
        store.close()
    archived_before = _count(env, "SELECT COUNT(*) FROM archive")

    run = env.cli("dlq", "redrive", "processor", "--json")
    assert run.code == 0, run.error
    assert run.json()["mode"] == "republish"
    assert (run.json()["moved"], run.json()["failed"]) == (1, 0)
    assert (run.json()["depth_before"], run.json()["depth_after"]) == (1, 0)
    env.drain()
    assert env.depth("processor") == 0
    assert _count(env, "SELECT COUNT(*) FROM archive") == archived_before + 1  # it went onto the bus again
    assert (
        _count(env, "SELECT COUNT(*) FROM invocations WHERE function_key = 'processor' AND status = 'ok'")
        == 1
    )
    env.age_metrics(3600)
    assert env.health()["status"] == "OK"


def test_redrive_of_the_batch_dlq_moves_messages_back_to_the_batch_queue(env: Env) -> None:
    url = env.outputs.dead_letter_queue_urls["batch-queue"]
    queues = local.local_queues(env.workspace)
    queues.send(url, '{"id": "a"}')
    queues.send(url, '{"id": "b"}')
    batch_before = env.queue_depth(env.outputs.batch_queue_url)

    listed = {d["name"]: d for d in env.cli("dlq", "list", "--json").json()}
    assert listed["batch-queue"]["depth"] == 2 and listed["batch-queue"]["redrive"] == "move"
    assert listed["processor"]["redrive"] == "republish" and listed["processor"]["depth"] == 0

    run = env.cli("dlq", "redrive", "batch-queue", "--json").json()
    assert (run["mode"], run["moved"], run["failed"]) == ("move", 2, 0)
    assert run["destination"] == env.outputs.batch_queue_url
    assert env.depth("batch-queue") == 0
    assert env.queue_depth(env.outputs.batch_queue_url) == batch_before + 2


def test_list_names_every_dlq_with_depth_age_and_what_feeds_it(env: Env) -> None:
    _reject_one_order(env)
    listed = env.cli("dlq", "list", "--json").json()
    assert [d["name"] for d in listed] == list(env.outputs.dead_letter_queue_urls)
    processor = next(d for d in listed if d["name"] == "processor")
    assert processor["depth"] == 1 and processor["oldest_age_seconds"] >= 0
    assert env.outputs.function_names["processor"] in processor["fed_by"]
    assert "order-events" in next(d for d in listed if d["name"] == "events")["fed_by"]


def test_purge_without_yes_asks_and_a_no_keeps_every_message(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    _reject_one_order(env)
    monkeypatch.setattr(confirm, "stdin_is_terminal", lambda: True)  # CliRunner's stdin stands in for one
    run = env.cli("dlq", "purge", "processor", input="n\n")
    assert run.code == 1
    assert env.depth("processor") == 1


@pytest.mark.parametrize("command", [["peek", "nope"], ["redrive", "nope"], ["purge", "nope", "-y"]])
def test_an_unknown_dlq_name_is_refused_with_the_known_names(env: Env, command: list[str]) -> None:
    run = env.cli("dlq", *command)
    assert run.code == 2
    assert "no DLQ named 'nope'" in run.error and "processor" in run.error


@pytest.mark.parametrize("command", [["redrive", "events"], ["purge", "events", "-y"]])
def test_an_empty_dlq_is_refused_and_nothing_changes(env: Env, command: list[str]) -> None:
    run = env.cli("dlq", *command)
    assert run.code == 2 and "is empty" in run.error


def test_peek_of_an_empty_dlq_says_so(env: Env) -> None:
    run = env.cli("dlq", "peek", "events")
    assert run.code == 0 and "empty" in run.stdout


def test_without_a_deployment_dlq_commands_say_so(project_copy: Path) -> None:
    env = Env(project_copy, Workspace.for_env("dev"), None)  # type: ignore[arg-type]
    run = env.cli("dlq", "list")
    assert run.code == 2 and "nothing applied yet" in run.error


# -- publish: schemas, ids, file formats ----------------------------------------------------------------------


def _archived(env: Env) -> int:
    return _count(env, "SELECT COUNT(*) FROM archive")


def _count(env: Env, sql: str) -> int:
    store = Store.open(env.workspace)
    try:
        return int(store.scalar(sql))
    finally:
        store.close()


def test_a_broken_event_is_refused_with_its_path_and_nothing_is_sent(env: Env) -> None:
    run = env.cli("publish", "order", "--detail", BAD_ORDER)
    assert run.code == 2
    assert "$.detail.totalAmount" in run.error and "is not of type 'number'" in run.error
    assert _archived(env) == 0


def test_a_single_publish_prints_the_event_id_and_the_order_id(env: Env) -> None:
    run = env.cli("publish", "order", "--amount", "25")
    assert run.code == 0
    [line] = [line for line in run.stdout.splitlines() if line.startswith("event_id")]
    event_id, order_id = line.split()[1], line.split()[3]
    store = Store.open(env.workspace)
    try:
        [body] = [json.loads(r["body"]) for r in store.query("SELECT body FROM archive")]
    finally:
        store.close()
    assert body["id"] == event_id and body["detail"]["orderId"] == order_id
    as_json = env.cli("publish", "user", "--json").json()
    assert as_json["published"] == 1 and as_json["event_id"] and as_json["userId"]


def _order(order_id: str) -> dict[str, Any]:
    return {
        "source": "ecommerce.orders",
        "detail-type": "Order Created",
        "detail": {
            "orderId": order_id,
            "customerId": "c-1",
            "totalAmount": 10.0,
            "currency": "USD",
            "items": [{"productId": "p-1", "quantity": 1, "price": 10.0}],
            "status": "created",
            "timestamp": "2026-01-01T00:00:00Z",
        },
    }


@pytest.mark.parametrize("layout", ["lines", "array", "pretty"])
def test_publish_file_takes_json_lines_an_array_or_one_pretty_object(
    env: Env, tmp_path: Path, layout: str
) -> None:
    events = [_order("o-1"), _order("o-2")] if layout != "pretty" else [_order("o-1")]
    text = {
        "lines": "\n".join(json.dumps(e) for e in events),
        "array": json.dumps(events, indent=2),
        "pretty": json.dumps(events[0], indent=2),
    }[layout]
    path = tmp_path / "events.json"
    path.write_text(text)
    run = env.cli("publish", "file", str(path), "--json")
    assert run.code == 0, run.error
    assert run.json()["published"] == len(events) and _archived(env) == len(events)


def test_publish_file_with_one_broken_event_sends_none(env: Env, tmp_path: Path) -> None:
    bad = _order("o-2")
    bad["detail"]["totalAmount"] = "lots"
    path = tmp_path / "events.json"
    path.write_text(json.dumps([_order("o-1"), bad]))
    run = env.cli("publish", "file", str(path))
    assert run.code == 2 and "event 2: $.detail.totalAmount" in run.error
    assert _archived(env) == 0
    assert env.cli("publish", "file", str(path), "--no-validate", "--json").json()["published"] == 2


def test_a_malformed_event_file_is_refused(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text('{"source": "ecommerce.orders",\n  "detail-type": ')
    run = env.cli("publish", "file", str(path))
    assert run.code == 2 and "not valid JSON" in run.error
    assert _archived(env) == 0


# -- small things ---------------------------------------------------------------------------------------------

HELP_COMMANDS = [[], ["dlq"], ["dlq", "list"], ["dlq", "peek"], ["dlq", "redrive"], ["dlq", "purge"],
                 ["publish", "order"], ["publish", "batch"], ["publish", "file"], ["monitor"]]  # fmt: skip


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=lambda c: " ".join(c) or "tooling")
def test_help_fits_80_columns_without_cutting_a_word(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert result.exit_code == 0
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    assert "…" not in result.stdout


def test_version_prints_the_package_version() -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"tooling {version('tooling')}"
