"""`tooling doctor` (issue 22, item 2): each of the environment's own files OK or DAMAGED with the way back,
read-only unless `--repair`, exit 1 while anything is damaged; `--repair` rebuilds what the environment file
can rebuild and never the suffix."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tooling import local
from tooling.cli import errors
from tooling.cli.app import app
from tooling.deploy import pipeline as deploy
from tooling.workspace import Workspace


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command in this process the way `tooling` does: (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        code = app(list(args), standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
    except BaseException as exc:
        code = errors.handle(exc, debug=False)
    out, err = capsys.readouterr()
    return int(code or 0), out, err


@pytest.fixture
def applied(project_copy: Path, lambda_zip: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The local target applied (the session's zip reused); yields the environment's state folder."""
    import shutil

    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    for built in (lambda_zip, lambda_zip.with_suffix(".inputs")):
        shutil.copy2(built, project_copy / "build" / built.name)
    local.apply_local(deploy.prepare(Workspace.for_env("dev")))
    yield project_copy / ".tooling" / "dev"


def checks(
    capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, dict[str, str]], list[str]]:
    code, out, _ = cli(capsys, "doctor", "--env", "dev", "--json", *extra)
    document = json.loads(out)
    return code, {c["path"]: c for c in document["checks"]}, document["repaired"]


def snapshot(*folders: Path) -> dict[str, tuple[bytes | None, int]]:
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            data = path.read_bytes() if path.is_file() else None
            found[str(path)] = (data, path.stat().st_mtime_ns)
    return found


def published(state: Path) -> int:
    conn = sqlite3.connect(state / "local.sqlite")
    try:
        return int(conn.execute("SELECT COUNT(*) FROM archive").fetchone()[0])
    finally:
        conn.close()


def test_a_healthy_environment_is_all_ok_with_exit_0(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "doctor", "--env", "dev")

    assert code == 0
    assert "DAMAGED" not in out and "dev: nothing damaged" in out
    for name in ("suffix", "outputs.json", "terraform.tfvars.json", "local.sqlite", "event_store.sqlite"):
        assert any(line.startswith("OK") and name in line for line in out.splitlines()), out


def test_doctor_names_each_damaged_file_with_its_fix_and_changes_nothing(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = applied / "local.sqlite"
    store.write_bytes(store.read_bytes()[:5000])
    (applied / "firehose.lock").mkdir()
    (applied / "terraform.tfvars.json").write_text("junk")
    (applied / "outputs.json").write_bytes(b"\xff")
    (applied.parent.parent / "build" / "lambda.zip").write_bytes(b"PK not really")
    before = snapshot(applied, applied.parent.parent / "build")

    code, found, repaired = checks(capsys)

    assert code == 1 and repaired == []
    assert snapshot(applied, applied.parent.parent / "build") == before
    damaged = {path: check for path, check in found.items() if check["status"] == "damaged"}
    assert set(damaged) == {
        ".tooling/dev/local.sqlite",
        ".tooling/dev/firehose.lock",
        ".tooling/dev/terraform.tfvars.json",
        ".tooling/dev/outputs.json",
        "build/lambda.zip",
    }
    assert (
        "tooling destroy --env dev --target local -y && tooling apply --env dev --target local"
        in (damaged[".tooling/dev/local.sqlite"]["fix"])
    )
    assert "rm -r .tooling/dev/firehose.lock" in damaged[".tooling/dev/firehose.lock"]["fix"]
    assert "tooling outputs --env dev --refresh" in damaged[".tooling/dev/outputs.json"]["fix"]
    assert "tooling package --force" in damaged["build/lambda.zip"]["fix"]
    assert found[".tooling/dev/suffix"]["status"] == "ok"


def test_repair_rebuilds_a_damaged_store_tfvars_and_outputs(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = applied / "local.sqlite"
    store.write_bytes(store.read_bytes()[:5000])
    (applied / "terraform.tfvars.json").write_text("junk")
    (applied / "outputs.json").write_text("{")

    code, found, repaired = checks(capsys, "--repair")

    assert code == 0, found
    assert all(check["status"] != "damaged" for check in found.values())
    assert "tfvars" in repaired and "outputs" in repaired
    assert any("provisioned afresh" in item for item in repaired)
    assert cli(capsys, "publish", "order", "--env", "dev")[0] == 0
    assert published(applied) == 1


def test_repair_of_a_lock_file_keeps_the_local_data(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "publish", "order", "--env", "dev")[0] == 0
    (applied / "dispatcher.lock").mkdir()

    code, found, repaired = checks(capsys, "--repair")

    assert code == 0, found
    assert repaired == [".tooling/dev/dispatcher.lock"]
    assert (applied / "dispatcher.lock").is_dir() is False
    assert published(applied) == 1


def test_repair_never_writes_the_suffix(applied: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (applied / "suffix").write_text("BAD\n")
    store = applied / "local.sqlite"
    store.write_bytes(store.read_bytes()[:5000])

    code, found, repaired = checks(capsys, "--repair")

    assert code == 1 and repaired == []
    assert (applied / "suffix").read_text() == "BAD\n"
    assert found[".tooling/dev/suffix"]["status"] == "damaged"
    assert "--new-suffix" in found[".tooling/dev/suffix"]["fix"]


def test_doctor_on_an_environment_never_applied_has_nothing_damaged(
    project_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, found, _ = checks(capsys)

    assert code == 0
    assert found[".tooling/dev/suffix"]["status"] == "absent"
    assert found[".tooling/dev/outputs.json"]["status"] == "absent"
    assert not (project_copy / ".tooling").exists()  # checking created nothing
