"""Archive-shaped events, seeded: what the S3 event archive holds (one EventBridge event per line, compact
JSON in EventBridge's key order), with the publisher's generators for the business content.

Everything is drawn from the seed, ids and times included, so the same arguments give the same bytes: the
committed samples (samples/events/), the tests and the benchmark's million events all come from here. Times
are spread evenly over `days` from `start`, a few seconds of jitter each, in order, as an archive holds them.
"""

from __future__ import annotations

import gzip
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from tooling.errors import UsageError
from tooling.publish.events import EventFactory

ACCOUNT_ID = "123456789012"
DEFAULT_START = datetime(2026, 11, 1, tzinfo=UTC)


def _uuid(rng: random.Random) -> str:
    text = f"{(rng.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48)) | (4 << 76) | (0x8000 << 48):032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def archived_events(
    count: int,
    *,
    seed: int,
    start: datetime = DEFAULT_START,
    days: float = 7.0,
    region: str = "us-east-1",
) -> Iterator[dict[str, Any]]:
    """A seeded run of `count` events over `days` from `start`."""
    step = days * 86400 / max(count, 1)
    ids = random.Random(f"{seed}:ids")
    keys = random.Random(f"{seed}:keys")
    clock = [start]
    factory = EventFactory(
        seed=seed,
        clock=lambda: clock[0].isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        new_key=lambda: _uuid(keys),
    )
    entries = factory.mixed_by_chunk(count)
    for position in range(count):
        at = start + timedelta(seconds=position * step + ids.random() * min(step, 5.0))
        clock[0] = at  # the detail's timestamp: the generator reads the clock while building the entry
        entry = next(entries)
        yield {
            "version": "0",
            "id": _uuid(ids),
            "detail-type": entry["DetailType"],
            "source": entry["Source"],
            "account": ACCOUNT_ID,
            "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": [],
            "detail": orjson.loads(entry["Detail"]),
        }


def archived_lines(count: int, **kwargs: Any) -> Iterator[bytes]:
    for event in archived_events(count, **kwargs):
        yield orjson.dumps(event)


def write_sample(path: str, count: int, *, seed: int, days: float) -> int:
    """The sample as a file: gzip JSON lines when the name ends in .gz (byte for byte the same for the same
    arguments: no time in the gzip header), else plain JSON lines; `-` is stdout. Returns the bytes written."""
    data = b"".join(line + b"\n" for line in archived_lines(count, seed=seed, days=days))
    if path.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        target = Path(path)
        if not target.parent.is_dir():
            raise UsageError(
                f"--out {path}: the folder {target.parent} does not exist", hint="create it first"
            )
        target.write_bytes(data)
    return len(data)
