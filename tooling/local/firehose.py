"""The local Amazon Data Firehose stream of the S3 event archive, and the bucket it writes to.

A record put by a rule (`s3-archive` target) is buffered in SQLite inside the PutEvents transaction, under
its partition: what the stream's MetadataExtraction processor (JQ `{source:.source}`) and the prefix
`source=!{partitionKeyFromQuery:source}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`
make of it, with the record's arrival time in UTC. A partition's buffer becomes one S3 object when it holds
`buffer_size_mb` (uncompressed) or its oldest record is `buffer_interval_seconds` old, whichever comes first,
as Firehose's buffering hints do. The object is the records each followed by a newline
(AppendDelimiterToRecord), gzip-compressed, named `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz` after
the prefix, as Firehose names objects.

A record that is not a JSON object with a string `source` (an input transformer's text, say) fails
partitioning and, as in Firehose, is written under `errors/partitioning-failed/year=/month=/day=/`, wrapped
in Firehose's error envelope (rawData in base64).

The bucket is a folder, `.tooling/<env>/s3/<bucket>/`, each key a relative path. Objects are written to a
temporary file and renamed, so a crash leaves no half object; the records leave the buffer only after the
rename. An object's uuid is derived from its first record, so a flush interrupted between the rename and
the commit writes the same object again rather than a duplicate.

Who flushes: the background dispatcher (tooling.local.dispatch) delivers buffers when they fall due and
stays alive while records are buffered; `tooling s3-archive` delivers what is due before it reads. Nothing
delivers early except `flush(force=True)`, which `tooling demo` uses at its end (and says so).
"""

from __future__ import annotations

import base64
import fcntl
import gzip
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tooling.local.bucket import bucket_root
from tooling.local.store import Counters, Store
from tooling.workspace import PRIVATE_DIR_MODE, PRIVATE_MODE, Workspace, make_dir, open_lock

SCOPE = "firehose"
STREAM_VERSION = 1
ERROR_PREFIX = "errors/partitioning-failed"
# Namespace of the object uuids (derived from stream and first record, see the module docstring).
OBJECT_NAMESPACE = uuid.UUID("6f1c2d8e-3b8a-4f3e-9a51-0c7e2b1d4a90")
LOCK_NAME = "firehose.lock"


@dataclass(frozen=True)
class Stream:
    name: str
    arn: str
    bucket: str
    buffer_bytes: int
    buffer_seconds: int


def streams(conn_or_store: Store | sqlite3.Connection) -> list[Stream]:
    sql = "SELECT name, arn, bucket, buffer_bytes, buffer_seconds FROM delivery_streams ORDER BY name"
    rows = conn_or_store.query(sql) if isinstance(conn_or_store, Store) else conn_or_store.execute(sql)
    return [
        Stream(r["name"], r["arn"], r["bucket"], int(r["buffer_bytes"]), int(r["buffer_seconds"]))
        for r in rows
    ]


def _date_prefix(epoch: float) -> str:
    when = datetime.fromtimestamp(epoch, UTC)
    return f"year={when:%Y}/month={when:%m}/day={when:%d}/"


def partition_of(data: str, arrived_at: float) -> str:
    """The S3 prefix a record lands under: by its `source` and arrival date, or the error prefix."""
    try:
        record = json.loads(data)
    except ValueError:
        record = None
    source = record.get("source") if isinstance(record, dict) else None
    if not isinstance(source, str) or not source or "/" in source:
        return f"{ERROR_PREFIX}/{_date_prefix(arrived_at)}"
    return f"source={source}/{_date_prefix(arrived_at)}"


def put_record(conn: sqlite3.Connection, stream_arn: str, data: str, now: float, counters: Counters) -> bool:
    """Firehose PutRecord, inside the caller's transaction; False when the stream does not exist."""
    row = conn.execute("SELECT name FROM delivery_streams WHERE arn = ?", (stream_arn,)).fetchone()
    if row is None:
        return False
    conn.execute(
        "INSERT INTO firehose_records (stream, partition_prefix, data, arrived_at) VALUES (?, ?, ?, ?)",
        (row["name"], partition_of(data, now), data, now),
    )
    counters.add(SCOPE, row["name"], "IncomingRecords", at=now)
    counters.add(SCOPE, row["name"], "IncomingBytes", len(data.encode()), at=now)
    return True


def buffered_count(store: Store) -> int:
    return int(store.scalar("SELECT COUNT(*) FROM firehose_records") or 0)


def next_due(store: Store) -> float | None:
    """When the oldest buffered partition falls due by its interval (None when nothing is buffered)."""
    value = store.scalar(
        "SELECT MIN(r.first + s.buffer_seconds) FROM (SELECT stream, partition_prefix, MIN(arrived_at) AS first "
        "FROM firehose_records GROUP BY stream, partition_prefix) r JOIN delivery_streams s ON s.name = r.stream"
    )
    return None if value is None else float(value)


@dataclass
class FlushResult:
    objects: int = 0
    records: int = 0
    failed: int = 0
    still_buffered: int = 0


def encode_object(records: list[str]) -> bytes:
    """gzip of the records each followed by a newline (mtime 0: the same records give the same bytes)."""
    body = "".join(f"{record}\n" for record in records).encode()
    return gzip.compress(body, mtime=0)


def object_key(prefix: str, stream: str, first_seq: int, first_arrival: float) -> str:
    stamp = datetime.fromtimestamp(first_arrival, UTC).strftime("%Y-%m-%d-%H-%M-%S")
    name = uuid.uuid5(OBJECT_NAMESPACE, f"{stream}/{first_seq}")
    return f"{prefix}{stream}-{STREAM_VERSION}-{stamp}-{name}.gz"


def _error_envelope(data: str, stream: Stream, arrived_at: float, now: float) -> str:
    """What Firehose writes under the error prefix for a record that failed dynamic partitioning."""
    return json.dumps(
        {
            "attemptsMade": 1,
            "arrivalTimestamp": int(arrived_at * 1000),
            "errorCode": "DynamicPartitioning.MetadataExtractionFailed",
            "errorMessage": "Non JSON record provided or the source field is missing",
            "attemptEndingTimestamp": int(now * 1000),
            "rawData": base64.b64encode(data.encode()).decode(),
            "streamName": stream.name,
        },
        separators=(",", ":"),
    )


@contextmanager
def _flush_lock(workspace: Workspace) -> Iterator[None]:
    """One flusher at a time per environment (the dispatcher and a `tooling s3-archive` may both try)."""
    workspace.ensure()
    with open_lock(workspace.state_dir / LOCK_NAME) as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def write_object(root: Path, bucket: str, key: str, body: bytes) -> Path:
    """Atomic PutObject into the bucket folder: a temporary file, fsynced, then renamed over the key."""
    path = root / bucket / key
    make_dir(path.parent, PRIVATE_DIR_MODE)
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    # Event data: owner-only whatever the umask (os.open's mode is masked by it; fchmod is not).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def flush(
    store: Store, workspace: Workspace, *, now: float | None = None, force: bool = False
) -> FlushResult:
    """Deliver every buffer that is due (all of them with `force`); return what was written."""
    result = FlushResult()
    root = bucket_root(workspace)
    with _flush_lock(workspace):
        now = time.time() if now is None else now
        for stream in streams(store):
            for part in store.query(
                "SELECT partition_prefix, MIN(arrived_at) AS first, SUM(LENGTH(CAST(data AS BLOB)) + 1) AS size "
                "FROM firehose_records WHERE stream = ? GROUP BY partition_prefix ORDER BY first",
                (stream.name,),
            ):
                due = (
                    force
                    or part["size"] >= stream.buffer_bytes
                    or part["first"] + stream.buffer_seconds <= now
                )
                if due:
                    _deliver_partition(store, root, stream, str(part["partition_prefix"]), now, result)
    result.still_buffered = buffered_count(store)
    return result


def _deliver_partition(
    store: Store, root: Path, stream: Stream, prefix: str, now: float, result: FlushResult
) -> None:
    """Write the partition's buffer as objects of at most buffer_bytes (uncompressed) each."""
    rows = store.query(
        "SELECT seq, data, arrived_at FROM firehose_records WHERE stream = ? AND partition_prefix = ? ORDER BY seq",
        (stream.name, prefix),
    )
    chunk: list[sqlite3.Row] = []
    size = 0
    for row in rows:
        length = len(str(row["data"]).encode()) + 1
        if chunk and size + length > stream.buffer_bytes:
            _deliver_chunk(store, root, stream, prefix, chunk, now, result)
            chunk, size = [], 0
        chunk.append(row)
        size += length
    if chunk:
        _deliver_chunk(store, root, stream, prefix, chunk, now, result)


def _deliver_chunk(
    store: Store,
    root: Path,
    stream: Stream,
    prefix: str,
    chunk: list[sqlite3.Row],
    now: float,
    result: FlushResult,
) -> None:
    records = [str(row["data"]) for row in chunk]
    if prefix.startswith(ERROR_PREFIX):
        records = [_error_envelope(str(r["data"]), stream, float(r["arrived_at"]), now) for r in chunk]
    key = object_key(prefix, stream.name, int(chunk[0]["seq"]), float(chunk[0]["arrived_at"]))
    counters = Counters()
    try:
        write_object(root, stream.bucket, key, encode_object(records))
    except OSError:
        # S3 refused the write (here: the folder cannot be written). Firehose keeps the records and retries;
        # so do we, at the next flush. DeliveryToS3.Success averages to below 1 for the period.
        counters.add(SCOPE, stream.name, "DeliveryToS3.Attempts", at=now)
        result.failed += 1
        with store.transaction() as conn:
            counters.flush(conn)
        return
    counters.add(SCOPE, stream.name, "DeliveryToS3.Attempts", at=now)
    counters.add(SCOPE, stream.name, "DeliveryToS3.Success", at=now)
    counters.add(SCOPE, stream.name, "DeliveryToS3.Records", len(chunk), at=now)
    counters.add(SCOPE, stream.name, "DeliveryToS3.Bytes", sum(len(r.encode()) + 1 for r in records), at=now)
    seqs = [int(row["seq"]) for row in chunk]
    with store.transaction() as conn:
        conn.execute(f"DELETE FROM firehose_records WHERE seq IN ({','.join('?' * len(seqs))})", seqs)
        counters.flush(conn)
    result.objects += 1
    result.records += len(chunk)
