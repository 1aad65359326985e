"""The S3 event archive on the local target: the all-events rule's s3-archive target buffers records like a
Firehose stream and writes gzip JSON lines under source=/year=/month=/day=/ when a buffer falls due."""

from __future__ import annotations

import gzip
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tooling import local
from tooling.cli import errors
from tooling.cli.app import app
from tooling.config import Config
from tooling.deploy import pipeline as deploy
from tooling.errors import UsageError
from tooling.local import firehose
from tooling.local.dispatch import Dispatcher
from tooling.local.store import Store
from tooling.observe.monitor import build_snapshot
from tooling.outputs import DeploymentOutputs
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow

KEY_RE = re.compile(
    r"^source=(?P<source>[a-z.]+)/year=(?P<y>\d{4})/month=(?P<m>\d{2})/day=(?P<d>\d{2})/"
    r"(?P<stream>[a-z0-9-]+)-1-(?P=y)-(?P=m)-(?P=d)-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.gz$"
)


@dataclass
class ArchiveEnv:
    root: Path
    workspace: Workspace
    config: Config
    outputs: DeploymentOutputs

    @property
    def bucket(self) -> Path:
        return self.workspace.state_dir / "s3" / self.outputs.s3_archive_bucket_name

    def objects(self) -> list[str]:
        return sorted(p.relative_to(self.bucket).as_posix() for p in self.bucket.rglob("*.gz"))

    def publish(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        bus = local.open_local_bus(self.workspace, self.outputs, dispatch=False)
        try:
            return bus.put_events(entries)
        finally:
            bus.close()  # type: ignore[attr-defined]

    def flush(self, *, at: float | None = None, force: bool = False) -> firehose.FlushResult:
        store = Store.open(self.workspace)
        try:
            return firehose.flush(store, self.workspace, now=at, force=force)
        finally:
            store.close()

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        store = Store.open(self.workspace)
        try:
            with store.transaction() as conn:
                return list(conn.execute(statement, params))
        finally:
            store.close()

    def cli(self, *args: str) -> Any:
        return CliRunner().invoke(app, list(args), env={"TOOLING_ROOT": str(self.root)})


def _apply(root: Path, edit: Any = None) -> ArchiveEnv:
    if edit is not None:
        path = root / "environments" / "dev.toml"
        path.write_text(edit(path.read_text()))
    workspace = Workspace.for_env("dev")
    prepared = deploy.prepare(workspace)
    outputs = local.apply_local(prepared)
    return ArchiveEnv(root, workspace, prepared.config, outputs)


@pytest.fixture
def env(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveEnv]:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    yield _apply(project_copy)


def event(source: str, detail_type: str, **detail: Any) -> dict[str, Any]:
    return {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}


MIXED = [
    event(
        "ecommerce.orders", "Order Created", orderId="o-1", customerId="c-1", totalAmount=10, currency="EUR"
    ),
    event("ecommerce.users", "User Registered", userId="u-1"),
    event(
        "ecommerce.orders", "Order Updated", orderId="o-1", customerId="c-1", totalAmount=12, currency="EUR"
    ),
    event("ecommerce.inventory", "Stock Updated", productId="p-1"),
]


def test_records_wait_in_the_buffer_until_the_interval_has_passed(env: ArchiveEnv) -> None:
    env.publish(MIXED)

    early = env.flush()

    assert early.objects == 0 and early.still_buffered == 4
    assert env.objects() == []


def test_a_due_buffer_becomes_one_gzip_json_lines_object_per_source_and_day(env: ArchiveEnv) -> None:
    results = env.publish(MIXED)
    later = time.time() + env.config.s3_archive.buffer_interval_seconds + 1

    flushed = env.flush(at=later)

    assert (flushed.objects, flushed.records, flushed.still_buffered) == (3, 4, 0)
    keys = env.objects()
    sources = [KEY_RE.match(key)["source"] for key in keys]  # type: ignore[index]
    assert sorted(sources) == ["ecommerce.inventory", "ecommerce.orders", "ecommerce.users"]
    today = datetime.now(UTC)
    assert all(f"year={today:%Y}/month={today:%m}/day={today:%d}/" in key for key in keys)
    assert all(KEY_RE.match(key)["stream"] == env.outputs.s3_archive_stream_name for key in keys)  # type: ignore[index]
    orders = next(k for k in keys if k.startswith("source=ecommerce.orders/"))
    text = gzip.decompress((env.bucket / orders).read_bytes()).decode()
    assert text.endswith("\n") and text.count("\n") == 2
    lines = [json.loads(line) for line in text.splitlines()]
    assert [e["detail-type"] for e in lines] == ["Order Created", "Order Updated"]
    assert [e["id"] for e in lines] == [results[0]["EventId"], results[2]["EventId"]]


def test_a_buffer_over_its_size_is_split_into_objects_of_at_most_that_size(env: ArchiveEnv) -> None:
    env.publish([event("ecommerce.users", "User Registered", userId=f"u-{i}") for i in range(6)])
    one_record = len(env.sql("SELECT data FROM firehose_records LIMIT 1")[0][0]) + 1
    env.sql("UPDATE delivery_streams SET buffer_bytes = ?", (one_record * 2,))

    flushed = env.flush()  # due by size, long before the interval

    assert (flushed.objects, flushed.records) == (3, 6)
    sizes = [len(gzip.decompress((env.bucket / key).read_bytes())) for key in env.objects()]
    assert all(size <= one_record * 2 for size in sizes)


def test_a_flush_interrupted_before_its_commit_rewrites_the_same_object(env: ArchiveEnv) -> None:
    env.publish(MIXED[:1])
    later = time.time() + 3600
    saved = env.sql("SELECT seq, stream, partition_prefix, data, arrived_at FROM firehose_records")
    env.flush(at=later)
    first = env.objects()
    # The crash: the object was renamed into place, but the records were never deleted.
    env.sql("INSERT INTO firehose_records VALUES (?, ?, ?, ?, ?)", tuple(saved[0]))

    env.flush(at=later)

    assert env.objects() == first and len(first) == 1


def test_no_half_object_is_visible_while_writing(env: ArchiveEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    env.publish(MIXED[:1])

    def crash(*_: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(firehose.os, "replace", crash)
    result = env.flush(force=True)

    assert (result.objects, result.failed, result.still_buffered) == (0, 1, 1)
    assert [p.name for p in env.bucket.rglob("*") if p.is_file()] == []


def test_a_record_that_is_not_json_lands_under_the_error_prefix(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    env = _apply(
        project_copy,
        lambda text: text.replace(
            '[[rules.targets]]\ntarget = "s3-archive"\n',
            '[[rules.targets]]\ntarget = "s3-archive"\ninput_transformer = { input_template = "plain text" }\n',
        ),
    )
    env.publish(MIXED[:1])

    env.flush(force=True)

    [key] = env.objects()
    assert key.startswith("errors/partitioning-failed/year=")
    [line] = gzip.decompress((env.bucket / key).read_bytes()).decode().splitlines()
    envelope = json.loads(line)
    assert envelope["errorCode"] == "DynamicPartitioning.MetadataExtractionFailed"
    assert envelope["streamName"] == env.outputs.s3_archive_stream_name


def test_a_missing_stream_is_a_failed_invocation_dead_lettered_at_once(env: ArchiveEnv) -> None:
    env.sql("DELETE FROM delivery_streams")
    env.sql("UPDATE meta SET value = value || 'x' WHERE key = 'generation'")

    env.publish(MIXED[:1])

    summary = local.summary(env.workspace, env.outputs)
    target = next(t for t in summary.targets if t.kind == "s3-archive")
    assert (target.delivered, target.failed) == (0, 1)
    dlq = env.outputs.dead_letter_queue_urls["events"]
    [body] = [row[0] for row in env.sql("SELECT body FROM messages WHERE queue_url = ?", (dlq,))]
    assert json.loads(body)["source"] == "ecommerce.orders"


def test_the_background_dispatcher_waits_for_the_buffer_and_delivers_it(env: ArchiveEnv) -> None:
    env.sql("UPDATE delivery_streams SET buffer_seconds = 1")
    env.publish(MIXED)
    store = Store.open(env.workspace)
    try:
        Dispatcher(env.workspace, store).run(time.time() + 30, idle_seconds=0.1)
    finally:
        store.close()

    assert len(env.objects()) == 3
    assert env.sql("SELECT COUNT(*) FROM firehose_records")[0][0] == 0


def test_archive_ls_and_cat_read_the_local_bucket(env: ArchiveEnv) -> None:
    env.publish(MIXED)
    env.flush(force=True)

    listed = env.cli("s3-archive", "ls", "--source", "ecommerce.orders", "--json")
    assert listed.exit_code == 0, listed.output
    listing = json.loads(listed.stdout)
    [obj] = listing["objects"]
    assert listing["bucket"] == env.outputs.s3_archive_bucket_name and listing["buffered_records"] == 0
    shown = env.cli("s3-archive", "cat", obj["key"], "--json")
    assert shown.exit_code == 0, shown.output
    assert [r["detail-type"] for r in json.loads(shown.stdout)["records"]] == [
        "Order Created",
        "Order Updated",
    ]
    today = datetime.now(UTC).date()
    other_day = env.cli("s3-archive", "ls", "--date", (today - timedelta(days=1)).isoformat(), "--json")
    assert json.loads(other_day.stdout)["objects"] == []
    assert env.cli("s3-archive", "cat", "--latest").exit_code == 0


def test_monitor_shows_the_stream_and_the_bucket(env: ArchiveEnv) -> None:
    env.publish(MIXED)
    env.flush(force=True)

    snapshot = build_snapshot(
        local.local_monitor_source(env.workspace, env.outputs), env.outputs, timedelta(hours=1)
    )

    archive = snapshot.s3_archive
    assert archive is not None
    assert (archive.incoming_records, archive.delivered_records, archive.objects) == (4, 4, 3)
    assert (archive.successful_deliveries, archive.failed_deliveries, archive.buffered_records) == (3, 0, 0)


def test_a_disabled_archive_has_empty_outputs_and_archive_ls_says_so(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    env = _apply(
        project_copy,
        lambda text: text.replace(
            "enabled = true\nbuffer_size_mb", "enabled = false\nbuffer_size_mb"
        ).replace('[[rules.targets]]\ntarget = "s3-archive"\n\n', ""),
    )

    assert (env.outputs.s3_archive_bucket_name, env.outputs.s3_archive_stream_name) == ("", "")
    result = env.cli("s3-archive", "ls")
    # The CLI's error handler (what `tooling` runs) turns the UsageError into its one line and exit 2.
    assert isinstance(result.exception, UsageError)
    assert errors.handle(result.exception, debug=False) == 2
    assert "has no S3 event archive" in result.exception.message


def test_a_failed_write_fires_the_delivery_failures_alarm_and_the_health_verdict(
    env: ArchiveEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.publish(MIXED[:1])
    monkeypatch.setattr(firehose.os, "replace", lambda *_: (_ for _ in ()).throw(OSError(13, "denied")))
    env.flush(force=True)

    snapshot = build_snapshot(
        local.local_monitor_source(env.workspace, env.outputs), env.outputs, timedelta(hours=1)
    )

    [alarm] = [a for a in snapshot.alarms if a.name.endswith("-firehose-s3-archive-delivery-failures")]
    assert alarm.state == "ALARM"
    assert snapshot.s3_archive is not None and snapshot.s3_archive.failed_deliveries == 1
    assert "s3-archive: 1 failed delivery(ies) to S3" in snapshot.health.verdict
