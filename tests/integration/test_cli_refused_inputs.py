"""Inputs the tooling refuses: exit 2 and one clear line, never a traceback and never 1 (which means "no
match" for test-pattern and route), and never a file touched outside `.tooling/<env>/`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tooling.strict_json import MAX_DEPTH

DEEP = 1000


def tooling(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tooling", *args],
        capture_output=True, text=True, check=False, cwd=cwd, env={**os.environ, **(env or {})},
    )  # fmt: skip


def deep_event() -> str:
    return '{"source": "a", "detail": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}"


def assert_refused(proc: subprocess.CompletedProcess[str], line: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ")
    assert line in proc.stderr
    assert "Traceback" not in proc.stderr and "unexpected" not in proc.stderr


@pytest.mark.parametrize("command", [["test-pattern", "--pattern", '{"source": ["a"]}'], ["route"]])
def test_an_event_nested_too_deep_is_a_usage_error_not_no_match(command: list[str], tmp_path: Path) -> None:
    event = tmp_path / "deep.json"
    event.write_text(deep_event())

    proc = tooling(*command, "--event", f"@{event}")

    assert_refused(proc, f"the event is nested more than {MAX_DEPTH} levels deep")


def test_a_pattern_nested_too_deep_is_invalid(tmp_path: Path) -> None:
    pattern = {"detail": {}}
    cursor = pattern["detail"]
    for _ in range(MAX_DEPTH + 5):
        cursor["a"] = {}
        cursor = cursor["a"]
    cursor["b"] = [1]

    proc = tooling("test-pattern", "--pattern", json.dumps(pattern), "--event", "{}")

    assert proc.returncode == 2
    assert f"the pattern is nested more than {MAX_DEPTH} levels deep" in proc.stderr


def test_a_publish_file_line_nested_100000_deep_is_refused_with_its_line(tmp_path: Path) -> None:
    lines = tmp_path / "events.jsonl"
    lines.write_text('{"Source": "a", "DetailType": "x", "Detail": ' + "[" * 100_000 + "]" * 100_000 + "}\n")

    proc = tooling("publish", "file", str(lines), "--target", "local")

    assert_refused(proc, f"{lines}:1: the line is nested more than {MAX_DEPTH} levels deep")


@pytest.mark.parametrize("amount", ["inf", "nan", "1e308"])
def test_an_amount_that_is_not_a_finite_price_is_refused(amount: str) -> None:
    proc = tooling("publish", "order", "--amount", amount, "--target", "local")

    assert proc.returncode == 2
    assert "Invalid value for '--amount'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["monitor"],
        ["outputs"],
        ["logs"],
        ["publish", "order"],
        ["replay", "--start", "1h", "--end", "now"],
        ["tfvars"],
        ["route", "--event", "{}"],
    ],
)
def test_a_path_like_env_is_refused_by_every_command(command: list[str]) -> None:
    proc = tooling(*command, "--env", "../x")

    assert_refused(proc, "environment name '../x' is not valid")


def test_destroy_with_a_path_as_env_touches_nothing(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    for name in ("local.sqlite", "dispatcher.lock", "outputs.json", "keep.txt"):
        (victim / name).write_text("precious")
    (victim / "code").mkdir()
    (victim / "code" / "x.py").write_text("precious")
    before = sorted(str(p) for p in victim.rglob("*"))

    proc = tooling("destroy", "--env", str(victim), "--target", "local", "-y")

    assert_refused(proc, "is not valid")
    assert sorted(str(p) for p in victim.rglob("*")) == before
    assert all(p.read_text() == "precious" for p in victim.rglob("*") if p.is_file())


def test_an_outputs_file_holding_an_empty_object_is_a_usage_error(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text("{}")

    proc = tooling("monitor", "--outputs", str(outputs), env={"TOOLING_LOCAL_DISPATCH": "off"})

    assert_refused(proc, f"{outputs}: outputs are missing region")


def test_config_validate_refuses_a_file_declaring_another_environment(repo_root: Path) -> None:
    proc = tooling(
        "config", "validate", "--env", "dev", "--config", str(repo_root / "environments" / "prod.toml")
    )

    assert_refused(proc, "environment: the file declares 'prod', not 'dev' as --env says")


def test_config_types_are_strict_a_bool_is_not_a_number(tmp_path: Path, repo_root: Path) -> None:
    config = tmp_path / "dev.toml"
    config.write_text(
        (repo_root / "environments" / "dev.toml")
        .read_text()
        .replace("max_attempts = 8", "max_attempts = true")
    )

    proc = tooling("config", "validate", "--env", "dev", "--config", str(config))

    assert_refused(proc, "publisher.max_attempts: must be a whole number, not true/false (true)")


def test_test_pattern_cases_exit_2_when_any_case_is_invalid_and_still_answer_every_line(
    tmp_path: Path,
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"pattern": {"source": ["a"]}, "event": {"source": "a"}}\n'
        '{"pattern": {"source": "a"}, "event": {"source": "a"}}\n'
        '{"pattern": {"source": ["b"]}, "event": {"source": "a"}}\n'
    )

    proc = tooling("test-pattern", "--cases", str(cases))

    assert proc.returncode == 2
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert results[0] == {"match": True} and "error" in results[1] and results[2] == {"match": False}
    assert "1 case(s) invalid" in proc.stderr


def test_under_umask_000_written_files_keep_explicit_modes(project_copy: Path) -> None:
    old = os.umask(0)
    try:
        proc = tooling("apply", "--target", "local", cwd=project_copy, env={"TOOLING_LOCAL_DISPATCH": "off"})
    finally:
        os.umask(old)
    assert proc.returncode == 0, proc.stderr
    state = project_copy / ".tooling" / "dev"

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(project_copy / ".tooling") == mode(state) == 0o755
    assert mode(state / "local.sqlite") == mode(state / "idempotency.sqlite") == 0o600
    assert (
        mode(state / "outputs.json")
        == mode(state / "terraform.tfvars.json")
        == mode(state / "suffix")
        == 0o644
    )
    code = [p for p in (state / "code").rglob("*") if not p.is_symlink()]
    assert code and all(mode(p) == (0o755 if p.is_dir() else 0o644) for p in code)
    written = [p for p in project_copy.joinpath(".tooling").rglob("*") if not p.is_symlink()]
    assert not [p for p in written if mode(p) & stat.S_IWOTH]  # nothing world-writable
