"""The e2e run's smoke step (tooling_testing/harness/smoke_step.py) against a fake run: the command it runs,
with the emulator's functions switched on around it, its summary line in the environment's e2e line, and a
failed smoke failing the run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tooling.errors import ToolingError
from tooling_testing.harness import faults, smoke_step
from tooling_testing.harness.run import EnvResult


class FakeRun:
    env = "dev"

    def __init__(self, tmp_path: Path, code: int, document: dict[str, Any] | None, log: str = "") -> None:
        self.logs = tmp_path
        self.code, self.document = code, document
        self.calls: list[tuple[str, ...]] = []
        (tmp_path / "dev-smoke.log").write_text(log)

    def tooling_code(self, step: str, *args: str) -> tuple[int, str]:
        self.calls.append((step, *args))
        return self.code, "" if self.document is None else json.dumps(self.document)


@pytest.fixture
def switches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What functions_running did: "on"/"off" around the command (a context manager like the real one)."""
    seen: list[str] = []

    @contextmanager
    def running(url: str) -> Iterator[None]:
        seen.append(f"on {url}")
        try:
            yield
        finally:
            seen.append("off")

    monkeypatch.setattr(smoke_step, "functions_running", running)
    return seen


def report(summary: str, ok: bool) -> dict[str, Any]:
    return {"summary": summary, "ok": ok, "routes": []}


def test_the_step_runs_smoke_as_json_with_the_functions_running(tmp_path: Path, switches: list[str]) -> None:
    run = FakeRun(tmp_path, 0, report("smoke: 6/6 routes seen, 1 skipped", True))

    line, passed = smoke_step.run_smoke_step(run, "http://127.0.0.1:5000")

    assert run.calls == [("smoke", "smoke", "--timeout", "90s", "--json")]
    assert switches == ["on http://127.0.0.1:5000", "off"]
    assert (line, passed) == ("smoke: 6/6 routes seen, 1 skipped", True)


def test_a_silent_route_is_a_failed_step_not_an_error(tmp_path: Path, switches: list[str]) -> None:
    run = FakeRun(tmp_path, 1, report("smoke: 5/6 routes seen, 1 silent, 1 skipped", False))

    assert smoke_step.run_smoke_step(run, "http://x") == (
        "smoke: 5/6 routes seen, 1 silent, 1 skipped",
        False,
    )


def test_a_smoke_that_sent_nothing_does_not_pass(tmp_path: Path, switches: list[str]) -> None:
    run = FakeRun(tmp_path, 0, report("smoke: 0/0 routes seen, 7 skipped", True))

    assert smoke_step.run_smoke_step(run, "http://x")[1] is False


def test_a_smoke_that_could_not_run_raises_with_its_error_line(tmp_path: Path, switches: list[str]) -> None:
    run = FakeRun(tmp_path, 2, None, log="smoke: ...\nerror: nothing applied yet for environment 'dev'\n")

    with pytest.raises(ToolingError) as failed:
        smoke_step.run_smoke_step(run, "http://x")

    assert (
        failed.value.message
        == "e2e dev: `tooling smoke` failed: error: nothing applied yet for environment 'dev'"
    )
    assert switches == ["on http://x", "off"]  # switched off again whatever happened


def test_a_document_without_the_summary_line_is_refused(tmp_path: Path, switches: list[str]) -> None:
    run = FakeRun(tmp_path, 0, {"ok": True, "summary": "all good"})

    with pytest.raises(ToolingError, match="smoke: N/M routes seen"):
        smoke_step.run_smoke_step(run, "http://x")


def passed_run(**changes: Any) -> EnvResult:
    result = EnvResult(
        "dev", planned=10, applied=10, replan_changes=0, monitor_health="OK", published=5, batch_queue=5,
        destroyed=10, access_hops=1, access_allowed=1, access_twins=0, access_twins_denied=0,
        faults_caught=len(faults.FAULTS),
        ci_roles="ci roles ok", drift="drift: 2/2 injected changes reported", drift_ok=True,
    )  # fmt: skip
    for name, value in changes.items():
        setattr(result, name, value)
    return result


def test_the_environment_line_carries_the_smoke_and_a_failed_smoke_fails_the_run() -> None:
    assert passed_run().ok  # the baseline passes without a smoke (a run that did not get that far)

    seen = passed_run(smoke="smoke: 6/6 routes seen, 1 skipped", smoke_ok=True)
    silent = passed_run(smoke="smoke: 5/6 routes seen, 1 silent", smoke_ok=False)

    assert ", smoke: 6/6 routes seen, 1 skipped, destroyed 10, " in seen.summary()
    assert seen.ok and not silent.ok
