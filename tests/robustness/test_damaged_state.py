"""Damaged local state (issue 22, item 2): a suffix, store, outputs, lock file or folder that is not what the
tooling wrote is one `error:` line naming the file, a hint naming the way back, exit 2; the suffix is never
generated again once it exists; `destroy` + `apply` of the local target is a way back that works."""

from __future__ import annotations

import json
import os
import pty
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tooling import local
from tooling.cli import errors
from tooling.cli.app import app
from tooling.deploy import pipeline as deploy
from tooling.deploy.package import build_package
from tooling.local.store import Store
from tooling.workspace import Workspace

RECOVERY = "tooling destroy --env dev --target local -y && tooling apply --env dev --target local"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command in this process the way `tooling` does (tooling.cli.app.main): (exit code, out, err)."""
    capsys.readouterr()
    try:
        code = app(list(args), standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
    except BaseException as exc:
        code = errors.handle(exc, debug=False)
    out, err = capsys.readouterr()
    return int(code or 0), out, err


def assert_refused(result: tuple[int, str, str], *needles: str) -> None:
    code, _, err = result
    assert code == 2, err
    assert err.startswith("error: "), err
    assert err.count("error: ") == 1 and "unexpected" not in err and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err


@pytest.fixture
def project(project_copy: Path, lambda_zip: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")  # no background process outlives a test
    # The zip built once for the session, with its record: the copy's sources are the same, so no test
    # spends seconds building it again.
    for built in (lambda_zip, lambda_zip.with_suffix(".inputs")):
        shutil.copy2(built, project_copy / "build" / built.name)
    return project_copy


@pytest.fixture
def applied(project: Path) -> Iterator[Path]:
    """The local target applied; yields the environment's state folder."""
    local.apply_local(deploy.prepare(Workspace.for_env("dev")))
    yield project / ".tooling" / "dev"


def event_count(state: Path) -> int:
    conn = sqlite3.connect(state / "local.sqlite")
    try:
        return int(conn.execute("SELECT COUNT(*) FROM archive").fetchone()[0])
    finally:
        conn.close()


# -- the suffix ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"ABC\n", "holds 'ABC'"),
        (b"abcdefg\n", "holds 'abcdefg'"),
        (b"\xff\xfe\xfa\n", "not UTF-8 text"),
        (b"", "empty"),
        (None, "a folder, not a file"),
    ],
)
def test_a_damaged_suffix_is_refused_and_never_replaced(
    project: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, why: str
) -> None:
    state = project / ".tooling" / "dev"
    state.mkdir(parents=True)
    suffix = state / "suffix"
    if content is None:
        suffix.mkdir()
    else:
        suffix.write_bytes(content)

    result = cli(capsys, "tfvars", "--env", "dev")

    assert_refused(
        result, ".tooling/dev/suffix is damaged", why, "--new-suffix", "replaces every named resource"
    )
    assert suffix.is_dir() if content is None else suffix.read_bytes() == content
    assert not (state / "terraform.tfvars.json").exists()


def test_the_hint_for_a_damaged_suffix_names_the_one_the_tfvars_were_written_with(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "tfvars", "--env", "dev")[0] == 0
    suffix = project / ".tooling" / "dev" / "suffix"
    before = suffix.read_text().strip()
    suffix.write_text("#garbage#\n")

    result = cli(capsys, "apply", "--env", "dev", "--target", "local", "-y")

    assert_refused(result, f"echo {before} > .tooling/dev/suffix")
    assert suffix.read_text() == "#garbage#\n"


def test_an_existing_suffix_is_kept_across_applies(applied: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suffix = (applied / "suffix").read_text()

    assert cli(capsys, "apply", "--env", "dev", "--target", "local", "-y")[0] == 0

    assert (applied / "suffix").read_text() == suffix


def test_a_suffix_another_command_created_first_is_the_one_kept(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = Workspace.for_env("dev")
    real_link = os.link

    def link_after_another_command(source: str, target: str) -> None:
        Path(target).write_text("other1\n")  # a second first-apply won the race
        real_link(source, target)

    monkeypatch.setattr(os, "link", link_after_another_command)

    assert workspace.name_suffix() == "other1"
    assert workspace.suffix_path.read_text() == "other1\n"
    assert [p.name for p in workspace.state_dir.iterdir()] == ["suffix"]  # no temporary file left


# -- apply --new-suffix -------------------------------------------------------------------------------------


def test_new_suffix_without_a_terminal_and_without_yes_is_refused(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suffix = (applied / "suffix").read_text()

    result = cli(capsys, "apply", "--env", "dev", "--target", "local", "--new-suffix")

    assert_refused(result, "Replace the resource-name suffix of dev", "stdin is not a terminal", "pass --yes")
    assert (applied / "suffix").read_text() == suffix


def test_new_suffix_declined_at_the_prompt_changes_nothing(applied: Path) -> None:
    suffix = (applied / "suffix").read_text()
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tooling", "apply", "--env", "dev", "--target", "local", "--new-suffix"],
            stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        os.write(controller, b"n\n")
        _, err = proc.communicate(timeout=60)
    finally:
        os.close(controller)
        os.close(terminal)

    assert proc.returncode == 1, err
    assert "replaced (tables and queues lose their data)" in err  # the question, asked on stderr
    assert "apply cancelled: nothing changed" in err
    assert (applied / "suffix").read_text() == suffix


def test_new_suffix_with_yes_renames_every_local_resource(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = (applied / "suffix").read_text().strip()

    code, _, err = cli(capsys, "apply", "--env", "dev", "--target", "local", "--new-suffix", "--yes")

    new = (applied / "suffix").read_text().strip()
    assert code == 0, err
    assert new != old and f"new resource-name suffix for dev: {new}" in err
    assert (
        json.loads((applied / "outputs.json").read_text())["outputs"]["event_bus_name"]
        == f"ecommerce-dev-{new}-bus"
    )
    store = Store.open(Workspace.for_env("dev"))
    try:
        queues = [row["name"] for row in store.query("SELECT name FROM queues")]
    finally:
        store.close()
    assert queues and all(f"-{new}-" in name for name in queues)


def test_new_suffix_is_the_way_out_of_a_damaged_one(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (applied / "suffix").write_bytes(b"\x00\x01")

    code, _, err = cli(capsys, "apply", "--env", "dev", "--target", "local", "--new-suffix", "-y")

    assert code == 0, err
    assert Workspace.for_env("dev").recorded_suffix() is not None


# -- the local databases -------------------------------------------------------------------------------------


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:5000])


def not_a_database(path: Path) -> None:
    path.write_text("these are not the droids you are looking for\n" * 100)


def zero_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[4096:] = bytes(len(data) - 4096)
    path.write_bytes(bytes(data))


def folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


@pytest.mark.parametrize(
    ("damage", "why", "command"),
    [
        (truncate, "database disk image is malformed", ["monitor"]),
        (not_a_database, "file is not a database", ["monitor"]),
        (zero_pages, "database disk image is malformed", ["monitor"]),
        (folder, "not a regular file", ["monitor"]),
        (truncate, "database disk image is malformed", ["publish", "order"]),
        (not_a_database, "file is not a database", ["logs"]),
        (zero_pages, "database disk image is malformed", ["dlq", "list"]),
        # apply never provisions over a damaged store: that would hide the damage and keep what is left
        (truncate, "database disk image is malformed", ["apply", "--target", "local", "-y"]),
    ],
)
def test_a_damaged_store_names_the_file_and_the_recovery(
    applied: Path, capsys: pytest.CaptureFixture[str], damage: object, why: str, command: list[str]
) -> None:
    damage(applied / "local.sqlite")  # type: ignore[operator]

    result = cli(capsys, *command, "--env", "dev")

    assert_refused(result, f"the local state .tooling/dev/local.sqlite is damaged ({why})", RECOVERY)


def test_destroy_and_apply_recover_from_a_damaged_store(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truncate(applied / "local.sqlite")

    assert cli(capsys, "destroy", "--env", "dev", "--target", "local", "-y")[0] == 0
    assert cli(capsys, "apply", "--env", "dev", "--target", "local", "-y")[0] == 0
    code, _, err = cli(capsys, "publish", "order", "--env", "dev")

    assert code == 0, err
    assert event_count(applied) == 1


def test_a_damaged_event_store_names_its_file(applied: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_a_database(applied / "event_store.sqlite")

    result = cli(capsys, "events", "query", "--env", "dev", "--source", "ecommerce.orders")

    assert_refused(
        result, "the local state .tooling/dev/event_store.sqlite is damaged (file is not a database)"
    )


# -- outputs.json --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b"{", "not valid JSON"),
        (b"[1, 2]", "must hold a JSON object"),
        (b'{"target": "zzz", "outputs": {}}', "target is 'zzz', not aws or local"),
        (b'{"target": "local", "outputs": []}', "outputs is not a JSON object"),
        (b'{"target": "local", "outputs": {"region": "eu-west-1"}}', "outputs are missing event_bus_name"),
        (None, "a folder, not a file"),
    ],
)
def test_damaged_outputs_name_the_file_and_how_to_write_it_again(
    project: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, why: str
) -> None:
    state = project / ".tooling" / "dev"
    state.mkdir(parents=True)
    if content is None:
        (state / "outputs.json").mkdir()
    else:
        (state / "outputs.json").write_bytes(content)

    result = cli(capsys, "monitor", "--env", "dev")

    assert_refused(result, "the deployment outputs .tooling/dev/outputs.json is damaged", why)
    if content is not None:
        assert "tooling apply --env dev --target local" in result[2]
        assert "tooling outputs --env dev --refresh" in result[2]


# -- lock files and folders ----------------------------------------------------------------------------------


def test_a_folder_in_place_of_the_dispatcher_lock_refuses_before_any_event_is_accepted(
    applied: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "background")
    (applied / "dispatcher.lock").mkdir()

    result = cli(capsys, "publish", "order", "--env", "dev")

    assert_refused(result, ".tooling/dev/dispatcher.lock is damaged (a folder, not a lock file)", "rm -r")
    assert event_count(applied) == 0


def test_a_folder_in_place_of_the_firehose_lock_is_named(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (applied / "firehose.lock").mkdir()

    result = cli(capsys, "s3-archive", "ls", "--env", "dev")

    assert_refused(result, ".tooling/dev/firehose.lock is damaged")


def test_destroy_clears_folders_standing_where_its_files_belong(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (applied / "dispatcher.lock").mkdir()
    (applied / "outputs.json").unlink()
    (applied / "outputs.json").mkdir()

    code, _, err = cli(capsys, "destroy", "--env", "dev", "--target", "local", "-y")

    assert code == 0, err
    assert not (applied / "dispatcher.lock").exists() and not (applied / "outputs.json").exists()


@pytest.mark.parametrize("command", [["monitor"], ["apply", "--target", "local", "-y"], ["tfvars"]])
def test_the_state_folder_being_a_file_is_named(
    project: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    (project / ".tooling").mkdir()
    (project / ".tooling" / "dev").write_text("not a folder")

    result = cli(capsys, *command, "--env", "dev")

    assert_refused(result, ".tooling/dev is a file where the tooling keeps a folder", "mv .tooling/dev")


def test_build_being_a_file_is_named(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(project / "build")
    (project / "build").write_text("not a folder")

    result = cli(capsys, "package")

    assert_refused(result, "build is a file where the tooling keeps a folder")


def test_any_other_os_error_on_a_state_path_names_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".tooling" / "dev" / "terraform.tfvars.json").mkdir(parents=True)

    result = cli(capsys, "tfvars", "--env", "dev")

    assert_refused(result, ".tooling/dev/terraform.tfvars.json: Is a directory", "tooling doctor --env dev")


@pytest.mark.parametrize("record", [b"{\xff", b"[1]", b"{}"])
def test_a_damaged_package_record_only_means_the_zip_is_built_again(tmp_path: Path, record: bytes) -> None:
    source = tmp_path / "lambda_src"
    (source / "handlers").mkdir(parents=True)
    (source / "handlers" / "app.py").write_text("def handler(event, context):\n    return event\n")
    zip_path = tmp_path / "build" / "lambda.zip"
    first = build_package(source, zip_path)
    zip_path.with_suffix(".inputs").write_bytes(record)

    again = build_package(source, zip_path)

    assert again.rebuilt and again.sha256 == first.sha256
    assert json.loads(zip_path.with_suffix(".inputs").read_text())["sha256"] == first.sha256


# -- the environment file ------------------------------------------------------------------------------------


def test_an_environment_file_that_is_not_utf8_is_one_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "environments" / "dev.toml"
    path.write_bytes(b'project = "ecommerce"\nenvironment = "d\xe9v"\n')

    result = cli(capsys, "config", "validate", "--env", "dev")

    assert_refused(result, "dev.toml is not UTF-8 text: byte 0xe9 at line 2, column 17", "save it as UTF-8")
    assert result[2].count("\n") == 2  # the error line and the hint
