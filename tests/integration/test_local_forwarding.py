"""The default bus on the local target: AWS service events put there are forwarded, unchanged, to the
custom bus by the [forwarding] rule, archived and routed there; a delivery the role may not make fails the
rule (FailedInvocations) and lands in the events DLQ with EventBridge's attributes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tooling import local
from tooling.cli.app import app, main
from tooling.deploy import pipeline as deploy
from tooling.local.forwarding import META_KEY, ForwardingRule, load_forwarding
from tooling.local.store import Store
from tooling.outputs import DeploymentOutputs
from tooling.publish.aws_samples import aws_service_event
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow
NOW = datetime.now(UTC).replace(microsecond=0)


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

    def put(self, entry: dict[str, Any], bus: str | None = "default") -> dict[str, Any]:
        [result] = local.open_local_bus(
            self.workspace, self.outputs, dispatch=False, event_bus=bus
        ).put_events([entry])
        return result

    def counter(self, name: str, metric: str) -> float:
        rows = self.rows(
            "SELECT SUM(value) AS v FROM counters WHERE scope = 'rule' AND name = ? AND metric = ?",
            (name, metric),
        )
        return float(rows[0]["v"] or 0)


def _apply(monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    workspace = Workspace.for_env("dev")
    return Env(workspace, local.apply_local(deploy.prepare(workspace)))


@pytest.fixture
def env(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    yield _apply(monkeypatch)


def _ec2_entry(state: str = "stopped") -> dict[str, Any]:
    return {
        "Source": "aws.ec2",
        "DetailType": "EC2 Instance State-change Notification",
        "Detail": json.dumps({"instance-id": "i-0abcd1234ef567890", "state": state}),
        "Resources": ["arn:aws:ec2:us-east-1:000000000000:instance/i-0abcd1234ef567890"],
        "Time": "2026-11-30T12:00:00Z",
    }


def _rule_name(env: Env) -> str:
    return env.outputs.forwarding_rule_arn.rsplit("/", 1)[-1]


def test_an_ec2_event_on_the_default_bus_reaches_the_custom_bus_unchanged_and_is_routed(env: Env) -> None:
    result = env.put(_ec2_entry())

    [archived] = [json.loads(r["body"]) for r in env.rows("SELECT body FROM archive")]
    assert archived["id"] == result["EventId"]  # the forwarded event keeps its id, source, time, resources
    assert (archived["source"], archived["detail-type"]) == (
        "aws.ec2",
        "EC2 Instance State-change Notification",
    )
    assert archived["time"] == "2026-11-30T12:00:00Z"
    assert archived["resources"] == ["arn:aws:ec2:us-east-1:000000000000:instance/i-0abcd1234ef567890"]
    assert archived["detail"] == {"instance-id": "i-0abcd1234ef567890", "state": "stopped"}
    [delivery] = env.rows("SELECT function_key, rule_key, payload FROM deliveries")
    assert (delivery["function_key"], delivery["rule_key"]) == ("analytics", "aws-service-events")
    assert json.loads(delivery["payload"])["id"] == result["EventId"]
    assert env.counter(_rule_name(env), "Invocations") == 1
    assert env.counter(_rule_name(env), "FailedInvocations") == 0


def test_the_forwarding_rule_and_its_arn_follow_terraforms_default_bus_format(env: Env) -> None:
    prefix = env.outputs.event_bus_name.removesuffix("-bus")

    assert env.outputs.forwarding_rule_arn == (
        f"arn:aws:events:us-east-1:000000000000:rule/{prefix}-forward-default"
    )


def test_an_event_the_forwarding_pattern_does_not_match_stays_on_the_default_bus(env: Env) -> None:
    entry = {**_ec2_entry(), "DetailType": "EC2 Spot Instance Interruption Warning"}

    result = env.put(entry)

    assert "EventId" in result  # the default bus accepts it; no rule of it matches
    assert env.rows("SELECT * FROM archive") == []
    assert env.rows("SELECT * FROM deliveries") == []
    assert env.counter(_rule_name(env), "MatchedEvents") == 0


def test_aws_sources_are_still_refused_on_the_custom_bus(env: Env) -> None:
    result = env.put(_ec2_entry(), bus=None)

    assert result == {
        "ErrorCode": "NotAuthorizedForSourceException",
        "ErrorMessage": "Not authorized for the source.",
    }
    assert env.rows("SELECT * FROM archive") == []


def test_a_delivery_the_role_may_not_make_fails_the_rule_and_is_dead_lettered(env: Env) -> None:
    store = Store.open(env.workspace)
    try:
        rule = load_forwarding(store)
        assert rule is not None
        # The role's policy no longer names the custom bus (as if edited outside Terraform).
        broken = ForwardingRule(
            **{**rule.__dict__, "role_resources": ("arn:aws:events:us-east-1:0:event-bus/x",)}
        )
        with store.transaction() as conn:
            store.set_meta(META_KEY, broken.to_json(), conn)
            store.set_meta("generation", str(int(store.meta("generation") or "0") + 1), conn)
    finally:
        store.close()

    result = env.put(_ec2_entry())

    assert env.rows("SELECT * FROM archive") == []  # never reached the custom bus
    [dead] = env.rows(
        "SELECT body, attributes FROM messages WHERE queue_url = ?",
        (env.outputs.dead_letter_queue_urls["events"],),
    )
    assert json.loads(dead["body"])["id"] == result["EventId"]
    attributes = {k: v["StringValue"] for k, v in json.loads(dead["attributes"]).items()}
    assert attributes["RULE_ARN"] == env.outputs.forwarding_rule_arn
    assert attributes["TARGET_ARN"] == env.outputs.event_bus_arn
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
    assert attributes["RETRY_ATTEMPTS"] == "0"
    assert env.counter(_rule_name(env), "FailedInvocations") == 1
    assert env.counter(_rule_name(env), "DeadLetterInvocations") == 1


def test_disabled_forwarding_has_no_rule_and_no_output(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = project_copy / "environments" / "dev.toml"
    toml.write_text(
        toml.read_text()
        .replace("[forwarding]\n", "[forwarding]\nenabled = false\n", 1)
        .replace("enabled = true\nsources", "sources", 1)
    )

    env = _apply(monkeypatch)
    env.put(_ec2_entry())

    assert env.outputs.forwarding_rule_arn == ""
    assert env.rows("SELECT * FROM archive") == []
    assert env.rows("SELECT * FROM meta WHERE key = ?", (META_KEY,)) == []


def test_publish_file_with_bus_default_forwards_the_sample(env: Env, tmp_path: Path) -> None:
    sample = aws_service_event(
        "ec2-state-change", region="us-east-1", account="000000000000", now=NOW, seed=3
    )
    path = tmp_path / "ec2.json"
    path.write_text(json.dumps(sample))

    result = CliRunner().invoke(app, ["publish", "file", str(path), "--bus", "default", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["published"] == 1
    [archived] = [json.loads(r["body"]) for r in env.rows("SELECT body FROM archive")]
    assert archived["source"] == "aws.ec2"
    assert archived["resources"] == sample["resources"]


def test_publish_file_refuses_an_unknown_bus_with_exit_2(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ec2.json"
    path.write_text(
        json.dumps(aws_service_event("ec2-state-change", region="us-east-1", account="0", now=NOW))
    )
    monkeypatch.setattr(sys, "argv", ["tooling", "publish", "file", str(path), "--bus", "other-bus"])

    with pytest.raises(SystemExit) as exited:
        main()

    assert exited.value.code == 2
    assert "--bus 'other-bus' is neither the environment's bus" in capsys.readouterr().err
    assert env.rows("SELECT * FROM archive") == []


def _snapshot(env: Env) -> Any:
    from datetime import timedelta

    from tooling.observe.monitor import build_snapshot

    return build_snapshot(
        local.local_monitor_source(env.workspace, env.outputs), env.outputs, timedelta(hours=1)
    )


def test_the_monitor_shows_the_forwarding_rule_with_its_counts_at_80_columns(env: Env) -> None:
    from rich.console import Console

    from tooling.observe.render import render

    env.put(_ec2_entry())
    snapshot = _snapshot(env)

    view = snapshot.forwarding
    assert view is not None and view.exists and view.state == "ENABLED"
    assert (view.metrics.matched_events, view.metrics.invocations, view.metrics.failed_invocations) == (
        1,
        1,
        0,
    )
    assert view.target_arn == env.outputs.event_bus_arn
    assert view.pattern["source"] == ["aws.ec2", "aws.health"]
    console = Console(width=80, record=True, no_color=True)
    console.print(render(snapshot))
    text = console.export_text()
    assert "Forwarding from the default bus" in text
    assert "forward-default" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_a_failed_forwarding_fires_its_alarm_and_makes_the_health_critical(env: Env) -> None:
    store = Store.open(env.workspace)
    try:
        rule = load_forwarding(store)
        assert rule is not None
        broken = ForwardingRule(**{**rule.__dict__, "role_resources": ()})
        with store.transaction() as conn:
            store.set_meta(META_KEY, broken.to_json(), conn)
            store.set_meta("generation", str(int(store.meta("generation") or "0") + 1), conn)
    finally:
        store.close()
    env.put(_ec2_entry())

    snapshot = _snapshot(env)

    [alarm] = [a for a in snapshot.alarms if a.name.endswith("-rule-forwarding-failed-invocations")]
    assert alarm.state == "ALARM"
    assert snapshot.health.status == "CRITICAL"
    assert any(
        p.subject == "forwarding (default bus)" and p.message == "1 failed invocation(s)"
        for p in snapshot.health.problems
    )


def test_a_dead_lettered_aws_event_cannot_be_redriven_and_stays_in_the_dlq(
    env: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(env.workspace)
    try:
        rule = load_forwarding(store)
        assert rule is not None
        broken = ForwardingRule(**{**rule.__dict__, "role_resources": ()})
        with store.transaction() as conn:
            store.set_meta(META_KEY, broken.to_json(), conn)
    finally:
        store.close()
    env.put(_ec2_entry())
    monkeypatch.setattr(sys, "argv", ["tooling", "dlq", "redrive", "events", "--json"])

    with pytest.raises(SystemExit) as exited:
        main()

    assert exited.value.code == 1
    result = json.loads(capsys.readouterr().out)
    assert (result["moved"], result["failed"]) == (0, 1)
    assert "NotAuthorizedForSourceException" in result["failures"][0]
    queue = env.outputs.dead_letter_queue_urls["events"]
    assert len(env.rows("SELECT * FROM messages WHERE queue_url = ?", (queue,))) == 1
