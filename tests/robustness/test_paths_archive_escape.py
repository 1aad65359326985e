"""Paths that cannot escape: `tooling s3-archive ls|cat` on the local target reads only inside the bucket
folder `.tooling/<env>/s3/<bucket>/`, and outputs values that become paths are checked when loaded.

Before: `s3-archive cat /etc/passwd` printed the file (only `..` was checked), a symbolic link in the bucket was
listed and read, and a bucket name such as `../../..` in outputs.json listed folders outside the project."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tooling import local
from tooling.cli import errors
from tooling.cli.app import app
from tooling.deploy import pipeline as deploy
from tooling.outputs import DeploymentOutputs, bucket_name_problem
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def cli(root: Path, *args: str) -> Run:
    result = CliRunner().invoke(app, list(args), env={"TOOLING_ROOT": str(root)})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # What the console script prints: the one handler's `error:` line and hint.
        import contextlib
        import io

        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = errors.handle(result.exception, debug=False)
        return Run(code, result.stdout, err.getvalue())
    return Run(result.exit_code, result.stdout, result.stderr)


@dataclass
class Archive:
    root: Path
    workspace: Workspace
    outputs: DeploymentOutputs

    @property
    def bucket(self) -> Path:
        return self.workspace.state_dir / "s3" / self.outputs.s3_archive_bucket_name

    def keys(self) -> list[str]:
        run = cli(self.root, "s3-archive", "ls", "--json")
        assert run.code == 0, run.stderr
        return [o["key"] for o in json.loads(run.stdout)["objects"]]


@pytest.fixture(scope="module")
def archive(
    tmp_path_factory: pytest.TempPathFactory, copy_project: Callable[[Path], Path]
) -> Iterator[Archive]:
    """One local deployment for the module (an apply takes seconds) whose archive bucket holds one object
    (a real Firehose write). Tests that plant links take them away again."""
    root = copy_project(tmp_path_factory.mktemp("archive") / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLING_ROOT", str(root))
        patch.setenv("TOOLING_LOCAL_DISPATCH", "off")
        workspace = Workspace.for_env("dev")
        outputs = local.apply_local(deploy.prepare(workspace))
        bus = local.open_local_bus(workspace, outputs, dispatch=False)
        try:
            entry = {
                "Source": "ecommerce.users",
                "DetailType": "User Registered",
                "Detail": '{"userId": "u-1"}',
            }
            assert "EventId" in bus.put_events([entry])[0]
        finally:
            bus.close()  # type: ignore[attr-defined]
        local.flush_s3_archive(workspace, outputs, force=True)
        yield Archive(root, workspace, outputs)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the project whose content must never be printed."""
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text("TOP-SECRET-LINE\n")
    return path


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("/etc/passwd", "it is absolute"),
        ("../../../../../../../../etc/passwd", "'..' segment"),
        ("source=x/../../../outputs.json", "'..' segment"),
        ("source=x//y.gz", "empty"),
        ("./source=x/y.gz", "'.'"),
    ],
)
def test_archive_cat_refuses_a_key_that_is_not_inside_the_bucket(
    archive: Archive, key: str, why: str
) -> None:
    run = cli(archive.root, "s3-archive", "cat", key)

    assert run.code == 2
    assert "root:" not in run.stdout and run.stdout == ""
    first, hint = run.stderr.splitlines()
    assert first.startswith(f"error: key {key!r} cannot name an object of bucket ") and why in first
    assert hint.startswith("  hint: use a key as `tooling s3-archive ls` prints it")


def test_a_link_in_the_bucket_to_a_file_outside_is_neither_listed_nor_read(
    archive: Archive, secret: Path
) -> None:
    [real] = archive.keys()
    link = archive.bucket / "source=ecommerce.users" / "stolen.gz"
    link.symlink_to(secret)
    try:
        listed = archive.keys()
        run = cli(archive.root, "s3-archive", "cat", "source=ecommerce.users/stolen.gz")
    finally:
        link.unlink()

    assert listed == [real]
    assert run.code == 2 and "TOP-SECRET" not in run.stdout
    assert "is a symbolic link" in run.stderr.splitlines()[0]


def test_a_linked_folder_in_the_bucket_is_not_followed(archive: Archive, secret: Path) -> None:
    [real] = archive.keys()
    link = archive.bucket / "source=evil"
    link.symlink_to(secret.parent, target_is_directory=True)
    try:
        listed = archive.keys()
        run = cli(archive.root, "s3-archive", "cat", "source=evil/secret.txt")
    finally:
        link.unlink()

    assert listed == [real]
    assert run.code == 2 and "TOP-SECRET" not in run.stdout
    assert "source=evil" in run.stderr and "symbolic link" in run.stderr


def test_a_bucket_folder_replaced_by_a_link_is_refused(archive: Archive, secret: Path) -> None:
    moved = archive.bucket.with_name("moved-away")
    archive.bucket.rename(moved)
    archive.bucket.symlink_to(secret.parent, target_is_directory=True)
    try:
        runs = [
            cli(archive.root, *command)
            for command in (["s3-archive", "ls"], ["s3-archive", "cat", "secret.txt"])
        ]
    finally:
        archive.bucket.unlink()
        moved.rename(archive.bucket)

    for run in runs:
        assert run.code == 2 and "TOP-SECRET" not in run.stdout and "secret.txt" not in run.stdout
        assert "is a symbolic link" in run.stderr.splitlines()[0]


def test_archive_cat_still_reads_a_listed_key(archive: Archive) -> None:
    [key] = archive.keys()

    run = cli(archive.root, "s3-archive", "cat", key)

    assert run.code == 0
    assert json.loads(run.stdout)["detail"] == {"userId": "u-1"}


# -- outputs values that become paths ---------------------------------------------------------------------


def _outputs(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "region": "us-east-1",
        "event_bus_name": "shop-dev-abc123-bus",
        "event_bus_arn": "arn:aws:events:us-east-1:000000000000:event-bus/shop-dev-abc123-bus",
        "archive_name": "shop-dev-abc123-archive",
        "rule_arns": {},
        "batch_queue_url": "https://sqs.us-east-1.amazonaws.com/000000000000/q",
        "batch_queue_arn": "arn:aws:sqs:us-east-1:000000000000:q",
        "dead_letter_queue_urls": {},
        "notifications_topic_arn": "arn:aws:sns:us-east-1:000000000000:t",
        "function_names": {},
        "log_group_names": {},
        "s3_archive_bucket_name": "shop-dev-abc123-events-archive",
        "s3_archive_stream_name": "shop-dev-abc123-events-archive",
        "event_store_table_name": "shop-dev-abc123-events",
    }
    values.update(overrides)
    return {"target": "local", "environment": "dev", "outputs": values}


BAD_BUCKETS = [
    "../../../../..",
    "/etc",
    "..",
    "a/../../b",
    "Upper-Case-Bucket",
    "ab",
    "192.168.5.4",
    "my..bucket",
    "xn--bucket",
    "bucket-s3alias",
    "-starts-with-dash",
]


@pytest.mark.parametrize("bucket", BAD_BUCKETS)
def test_a_bucket_name_outside_s3_rules_in_outputs_json_is_refused_naming_key_and_file(
    tmp_path: Path, bucket: str
) -> None:
    state = tmp_path / ".tooling" / "dev"
    state.mkdir(parents=True)
    (state / "outputs.json").write_text(json.dumps(_outputs(s3_archive_bucket_name=bucket)))

    for command in (["s3-archive", "ls"], ["s3-archive", "cat", "--latest"], ["monitor"]):
        run = cli(tmp_path, *command)
        assert run.code == 2, (command, run.stderr)
        first, hint = run.stderr.splitlines()
        assert first.startswith(
            f"error: .tooling/dev/outputs.json: output s3_archive_bucket_name {bucket!r} "
        )
        assert "not an S3 bucket name" in first
        assert hint.startswith("  hint: ") and "apply again" in hint


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("s3_archive_stream_name", "../stream"),
        ("event_store_table_name", "/tmp/table"),
        ("environment", "../dev"),
    ],
)
def test_other_names_that_could_become_paths_follow_their_aws_pattern(
    tmp_path: Path, key: str, value: str
) -> None:
    document = _outputs(**({} if key == "environment" else {key: value}))
    if key == "environment":
        document["environment"] = value
    given = tmp_path / "given-outputs.json"
    given.write_text(json.dumps(document))

    run = cli(tmp_path, "s3-archive", "ls", "--outputs", str(given))

    assert run.code == 2
    assert run.stderr.splitlines()[0].startswith(f"error: {given}: output {key} {value!r} is not ")


@pytest.mark.parametrize(
    "name", ["ecommerce-dev-3vvbja-events-archive", "abc", "a.b-c", "my.bucket.example", "x" * 63]
)
def test_valid_bucket_names_pass(name: str) -> None:
    assert bucket_name_problem(name) is None


def test_nothing_outside_the_project_is_written_or_listed_with_a_hostile_bucket(tmp_path: Path) -> None:
    project = tmp_path / "project"
    state = project / ".tooling" / "dev"
    state.mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "source=x").mkdir()
    (outside / "source=x" / "private.gz").write_bytes(b"not yours")
    relative = os.path.relpath(outside, state / "s3")
    (state / "outputs.json").write_text(json.dumps(_outputs(s3_archive_bucket_name=relative)))
    # The environment's lock (env.lock, lock-holders/) is the command's own state inside the project.
    lock_files = {"env.lock", "lock-holders"}

    def written() -> list[str]:
        return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.name not in lock_files)

    before = written()

    run = cli(project, "s3-archive", "ls", "--json")

    assert run.code == 2 and "private.gz" not in run.stdout
    assert written() == before
