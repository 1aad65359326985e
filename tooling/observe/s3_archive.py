"""`tooling s3-archive`: the S3 event archive's objects (what the Firehose stream wrote), on either target.

The seam is `S3ArchiveSource` (list keys under a prefix, get an object's bytes): observe/aws_s3_archive.py
implements it with S3 (list_objects_v2, get_object), tooling/local/s3_archive_source.py over the local bucket
folder. The layout, filters and decoding live here once: keys are
`source=<source>/year=YYYY/month=MM/day=DD/<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz`, objects are
gzip JSON lines.
"""

from __future__ import annotations

import gzip
import re
import zlib
from datetime import date, datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from tooling.errors import ToolingError, UsageError
from tooling.outputs import DeploymentOutputs

SOURCE_RE = re.compile(r"^[A-Za-z0-9._-]+$")
KEY_DATE_RE = re.compile(r"year=(\d{4})/month=(\d{2})/day=(\d{2})/")


class S3ArchiveObject(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    size: int
    last_modified: datetime


class S3ArchiveSource(Protocol):
    """One bucket's objects."""

    bucket: str

    def list_objects(self, prefix: str) -> list[S3ArchiveObject]:
        """Every object whose key starts with `prefix`, in key order."""
        ...

    def get_object(self, key: str) -> bytes:
        """The object's bytes; ToolingError when there is no such key."""
        ...


class Listing(BaseModel):
    bucket: str
    prefix: str
    objects: list[S3ArchiveObject]
    # Records the stream holds and has not written yet (local target only; None where unknown, as on AWS).
    buffered_records: int | None = None


def require_s3_archive(outputs: DeploymentOutputs) -> str:
    if not outputs.s3_archive_bucket_name:
        raise UsageError(
            f"environment {outputs.environment or '?'} has no S3 event archive",
            hint='enable [s3_archive] in the environment file, add target "s3-archive" to a rule, then apply',
        )
    return outputs.s3_archive_bucket_name


def parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--date {text!r} is not a date", hint="use YYYY-MM-DD, e.g. --date 2026-11-30"
        ) from None


def key_prefix(source: str | None, day: date | None) -> str:
    """The narrowest S3 prefix for the filters (a day without a source cannot be a prefix)."""
    if source is None:
        return ""
    if not SOURCE_RE.match(source):
        raise UsageError(f"--source {source!r} is not an event source", hint="e.g. --source ecommerce.orders")
    if day is None:
        return f"source={source}/"
    return f"source={source}/year={day:%Y}/month={day:%m}/day={day:%d}/"


def key_day(key: str) -> date | None:
    match = KEY_DATE_RE.search(key)
    return None if match is None else date(int(match[1]), int(match[2]), int(match[3]))


def list_s3_archive(source: S3ArchiveSource, event_source: str | None, day: date | None) -> Listing:
    prefix = key_prefix(event_source, day)
    objects = source.list_objects(prefix)
    if day is not None:
        objects = [o for o in objects if key_day(o.key) == day]
    return Listing(bucket=source.bucket, prefix=prefix, objects=objects)


def latest_key(source: S3ArchiveSource) -> str:
    objects = [o for o in source.list_objects("") if not o.key.startswith("errors/")]
    if not objects:
        raise ToolingError(
            f"the archive bucket {source.bucket} holds no objects yet",
            hint="publish events (tooling publish ...); the stream writes them after its buffer interval",
        )
    return max(objects, key=lambda o: (o.last_modified, o.key)).key


def decode_records(key: str, body: bytes) -> list[str]:
    """An object's records: gunzip, then one record per line (AppendDelimiterToRecord's newline)."""
    try:
        text = gzip.decompress(body).decode("utf-8") if key.endswith(".gz") else body.decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise ToolingError(f"object {key} is not gzip JSON lines: {exc}") from None
    return [line for line in text.split("\n") if line]


def read_object(source: S3ArchiveSource, key: str) -> list[str]:
    return decode_records(key, source.get_object(key))
