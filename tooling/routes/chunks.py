"""Where a diff's events come from, as chunks of bytes a worker process can take whole.

A chunk is gzip JSON lines (an S3 archive object, decompressed by the worker) or plain JSON lines (a slice of
a file or of stdin cut at a line end, a batch of the local archive). Files are read in big blocks; a `.gz`
file is decompressed here as it streams, then cut like any other. Lines are numbered per source, so a line
that is not an event is named by file and line.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from tooling.errors import UsageError
from tooling.observe.s3_archive import S3ArchiveSource, key_day

CHUNK_BYTES = 4 * 1024 * 1024  # one task's worth of JSON lines: big enough that dispatch costs nothing
READ_BYTES = 1024 * 1024
GZIP_WBITS = 31  # zlib's window bits for the gzip container


@dataclass(frozen=True)
class Chunk:
    label: str  # the file, `stdin`, or the object key
    data: bytes
    gzip: bool = False
    first_line: int = 1  # the source's line number of the chunk's first line


def gunzip(data: bytes) -> bytes:
    """Every member of a gzip stream (a file may hold several back to back). zlib.error when it is not gzip."""
    parts = []
    while data:
        inflater = zlib.decompressobj(GZIP_WBITS)
        parts.append(inflater.decompress(data))
        parts.append(inflater.flush())
        if not inflater.eof:
            raise zlib.error("the gzip stream is truncated")
        data = inflater.unused_data
    return b"".join(parts)


def _blocks(stream: BinaryIO, gzipped: bool, label: str) -> Iterator[bytes]:
    inflater = zlib.decompressobj(GZIP_WBITS) if gzipped else None
    while True:
        block = stream.read(READ_BYTES)
        if not block:
            break
        if inflater is None:
            yield block
            continue
        try:
            yield inflater.decompress(block)
            while inflater.eof and inflater.unused_data:  # the next gzip member
                rest = inflater.unused_data
                inflater = zlib.decompressobj(GZIP_WBITS)
                yield inflater.decompress(rest)
        except zlib.error as exc:
            raise UsageError(
                f"{label} is not gzip data ({exc})", hint="name the .jsonl file, or gzip it whole"
            ) from None
    if inflater is not None:
        if not inflater.eof:
            raise UsageError(f"{label}: the gzip stream is truncated", hint="copy the file again")
        yield inflater.flush()


def _cut(blocks: Iterable[bytes], label: str) -> Iterator[Chunk]:
    """Line-aligned chunks of about CHUNK_BYTES."""
    pending: list[bytes] = []
    size = 0
    line = 1
    for block in blocks:
        pending.append(block)
        size += len(block)
        if size < CHUNK_BYTES:
            continue
        joined = b"".join(pending)
        start = 0
        while len(joined) - start >= CHUNK_BYTES:
            end = joined.rfind(b"\n", start, start + CHUNK_BYTES) + 1
            if end == 0:  # one line longer than a chunk: up to its end
                end = joined.find(b"\n", start + CHUNK_BYTES) + 1
                if end == 0:
                    break  # ... which has not been read yet
            data = joined[start:end]
            yield Chunk(label, data, first_line=line)
            line += data.count(b"\n")
            start = end
        pending, size = [joined[start:]], len(joined) - start
    rest = b"".join(pending)
    if rest:
        yield Chunk(label, rest, first_line=line)


def file_chunks(paths: Iterable[str]) -> Iterator[Chunk]:
    """The JSON-lines files in order (`-` is stdin; a name ending in .gz is decompressed)."""
    for name in paths:
        gzipped = name.endswith(".gz")
        if name == "-":
            yield from _cut(_blocks(sys.stdin.buffer, False, "stdin"), "stdin")
            continue
        path = Path(name)
        if not path.is_file():
            raise UsageError(f"--events {name}: no such file", hint="name a JSON-lines file, or - for stdin")
        try:
            stream = path.open("rb")
        except OSError as exc:
            raise UsageError(
                f"--events {name}: cannot be read ({exc.strerror})", hint="check its permissions"
            ) from None
        with stream:
            yield from _cut(_blocks(stream, gzipped, name), name)


def check_files(paths: Iterable[str]) -> None:
    """Refuse a missing file before any work starts (the chunks are read lazily)."""
    for name in paths:
        if name != "-" and not Path(name).is_file():
            raise UsageError(f"--events {name}: no such file", hint="name a JSON-lines file, or - for stdin")


def archive_keys(source: S3ArchiveSource, since: date | None, until: date | None) -> list[str]:
    """The archive's event objects written for days in [since, until] (keys carry the day), key order.
    Firehose's `errors/` objects hold records it failed to deliver, not events: left out."""
    keys = []
    for obj in source.list_objects(""):
        if obj.key.startswith("errors/"):
            continue
        day = key_day(obj.key)
        if day is None:
            continue
        if (since is not None and day < since) or (until is not None and day > until):
            continue
        keys.append(obj.key)
    return sorted(keys)


def archive_chunks(source: S3ArchiveSource, keys: Iterable[str]) -> Iterator[Chunk]:
    for key in keys:
        yield Chunk(key, source.get_object(key), gzip=key.endswith(".gz"))
