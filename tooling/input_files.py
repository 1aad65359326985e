"""Files (and standard input) a user hands the tooling, read with a byte cap and checked to be UTF-8.

A file larger than the largest input that can be valid is refused without being read whole, so
`publish file /dev/zero` or a mistyped multi-gigabyte path ends in one line, not a MemoryError. The caps
follow AWS's limits:

- an event or a Detail: a PutEvents entry is at most 1 MiB (tooling.aws_limits.EVENT_ENTRY_BYTES, raised
  from 256 KiB in January 2026); the cap allows four times that, so that a pretty-printed file of a valid
  event is still read, and the entry-size check then applies AWS's figure;
- an event pattern: at most 4096 characters (PutRule's EventPattern, length constraint 4096), so at most
  four times as many UTF-8 bytes;
- `publish file`: JSON lines, each line an event (the event cap); the whole file, held in memory so every
  event is checked before any is sent, at most FILE_BYTES.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import BinaryIO

from tooling.aws_limits import EVENT_ENTRY_BYTES, KIB, MIB
from tooling.errors import UsageError
from tooling.strict_json import decode_utf8

ENTRY_BYTES = EVENT_ENTRY_BYTES
EVENT_BYTES = 4 * ENTRY_BYTES
PATTERN_CHARS = 4096
PATTERN_BYTES = 4 * PATTERN_CHARS
FILE_BYTES = 64 * MIB


def size_text(size: int) -> str:
    return f"{size // MIB} MiB" if size % MIB == 0 else f"{size // KIB} KiB"


def read_text(path: Path, limit: int, what: str, why: str) -> str:
    """The UTF-8 text of a file no larger than `limit` bytes; `why` says where the limit comes from."""
    try:
        with path.open("rb") as stream:
            data = read_capped(stream, limit, f"{path} (given for {what})", why)
    except OSError as exc:
        raise UsageError(
            f"cannot read {path} (given for {what}): {exc.strerror or exc}",
            hint=f"check the path after '@', or pass {what} as JSON text",
        ) from None
    return decode_utf8(data, str(path))


def read_stdin(limit: int, what: str, why: str) -> str:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a replaced stdin (tests) that holds text already
        text = sys.stdin.read(limit + 1)
        if len(text) > limit:
            raise _too_large("standard input", limit, why)
        return text
    return decode_utf8(read_capped(stream, limit, "standard input", why), f"{what} on standard input")


def read_capped(stream: BinaryIO, limit: int, name: str, why: str) -> bytes:
    """At most `limit` bytes of `stream`; a stream holding more is refused having read `limit` + 1."""
    try:
        size = os.fstat(stream.fileno()).st_size
    except (OSError, ValueError, AttributeError):  # not a file on disk (a BytesIO in tests)
        size = 0
    if size > limit:  # a regular file says its size: refused before reading anything
        raise _too_large(name, limit, why, size)
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large(name, limit, why)
    return data


def read_json_lines(stream: BinaryIO, name: str, line_limit: int, total_limit: int, why: str) -> str:
    """The text of a JSON-lines stream (or of one JSON document), each line at most `line_limit` bytes and
    all at most `total_limit`, decoded as UTF-8. A document that opens with `[` (one JSON array of events)
    may keep its events on one long line, so only the total bounds it."""
    try:
        size = os.fstat(stream.fileno()).st_size
    except (OSError, ValueError, AttributeError):
        size = 0
    if size > total_limit:
        raise _too_large(
            name, total_limit, "the events are held in memory to be checked before sending", size
        )
    chunks: list[bytes] = []
    total = 0
    line = 1
    line_bytes = 0
    array: bool | None = None  # unknown until the first byte that is not whitespace
    while True:
        chunk = stream.readline(line_limit + 1)
        if not chunk:
            break
        total += len(chunk)
        if total > total_limit:
            raise _too_large(name, total_limit, "the events are held in memory to be checked before sending")
        if array is None and chunk.strip():
            array = chunk.lstrip()[:1] == b"["
        line_bytes += len(chunk)
        if line_bytes > line_limit and not array:
            raise UsageError(
                f"{name}: line {line} is longer than {size_text(line_limit)} ({why})",
                hint="write one event per line (JSON lines), or check that this is the file you meant",
            )
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            line += 1
            line_bytes = 0
    return decode_utf8(b"".join(chunks), name)


def _too_large(name: str, limit: int, why: str, size: int | None = None) -> UsageError:
    held = f" ({size:,} bytes)" if size is not None else ""
    return UsageError(
        f"{name} is larger than {size_text(limit)}{held}; refused without reading it whole ({why})",
        hint="check that this is the file you meant" + (", or split it" if limit >= MIB else ""),
    )
