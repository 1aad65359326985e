"""The e2e run's drift step (tooling_testing/harness/drift_step.py) judges `tooling drift --json` strictly:
exactly the injected resources with exactly their attributes, exit 2; anything missing or extra fails the
run, and its part of the summary line says so. Offline: hand-made answers, no server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tooling.errors import ToolingError
from tooling_testing.harness import drift_step
from tooling_testing.harness.drift_step import QUEUE_ADDRESS, RULE_ADDRESS, Injected, judge
from tooling_testing.harness.run import EnvResult


def _changes(log: list[str] | None = None) -> list[Injected]:
    def note(what: str) -> Any:
        return lambda: (log if log is not None else []).append(what)

    return [
        Injected("rule disabled", RULE_ADDRESS, frozenset({"state"}), frozenset({"is_enabled"}),
                 note("disable"), note("enable")),
        Injected("queue visibility timeout", QUEUE_ADDRESS, frozenset({"visibility_timeout_seconds"}),
                 frozenset(), note("visibility 77"), note("visibility 60")),
    ]  # fmt: skip


def _answer(*resources: tuple[str, list[str]]) -> dict[str, Any]:
    return {
        "drift": bool(resources),
        "resources": [
            {
                "address": a,
                "action": "update",
                "changes": [{"attribute": n, "state": 1, "real": 2} for n in names],
            }
            for a, names in resources
        ],
    }


RULE_5X = (RULE_ADDRESS, ["is_enabled", "state"])
QUEUE = (QUEUE_ADDRESS, ["visibility_timeout_seconds"])


def test_exactly_the_injected_changes_pass() -> None:
    assert judge(_answer(RULE_5X, QUEUE), 2, _changes()) == ("drift: 2/2 injected changes reported", True, [])
    assert judge(_answer((RULE_ADDRESS, ["state"]), QUEUE), 2, _changes())[1] is True  # hashicorp/aws 6.x


def test_a_change_reported_on_another_attribute_fails() -> None:
    line, ok, problems = judge(_answer((RULE_ADDRESS, ["is_enabled"]), QUEUE), 2, _changes())

    assert (line, ok) == ("drift: 1/2 injected changes reported", False)
    assert problems == [f"rule disabled: {RULE_ADDRESS} reported with ['is_enabled']"]


def test_a_resource_nobody_changed_fails() -> None:
    noise = ("module.primary.module.event_bus.aws_cloudwatch_event_bus.this", ["tags"])

    line, ok, problems = judge(_answer(RULE_5X, QUEUE, noise), 2, _changes())

    assert (line, ok) == ("drift: 2/2 injected changes reported, 1 not injected", False)
    assert problems == [f"not injected, reported: {noise[0]} ['tags']"]


def test_a_missing_change_and_the_wrong_exit_code_fail() -> None:
    line, ok, problems = judge(_answer(QUEUE), 0, _changes())

    assert (line, ok) == ("drift: 1/2 injected changes reported", False)
    assert problems == [
        f"rule disabled: {RULE_ADDRESS} reported with []",
        "exit 0, drift True (expected exit 2, drift true)",
    ]


def test_the_changes_are_undone_even_when_tooling_drift_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    done: list[str] = []
    monkeypatch.setattr(drift_step, "injected_changes", lambda outputs, endpoint: _changes(done))
    log = tmp_path / "dev-drift.log"
    log.write_text("error: terraform plan failed (exit 1): Error: boom\n")

    with pytest.raises(ToolingError, match=r"exit 1.*Error: boom"):
        drift_step.drift_step(lambda *args: (1, ""), {}, "http://127.0.0.1:1", log)

    assert done == ["disable", "visibility 77", "enable", "visibility 60"]


def test_the_environments_line_carries_the_drift_part_and_a_failed_one_fails_the_run() -> None:
    result = EnvResult("dev", planned=3, applied=3, replan_changes=0, destroyed=3)
    result.drift, result.drift_ok = "drift: 2/2 injected changes reported", True

    assert "drift: 2/2 injected changes reported, destroyed 3" in result.summary()
    result.drift_ok = False
    assert result.ok is False and result.as_json()["drift_ok"] is False
