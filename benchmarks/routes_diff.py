"""`tooling routes diff` over a month of traffic: 1,000,000 archived events (about 900 bytes each, gzip JSON
lines in the S3 archive's layout) through two routing tables of 100 rules each, reading included.

Run: .venv/bin/python benchmarks/routes_diff.py [--events 1000000] [--rules 100] [--workers 2] [--disjoint]

The archive is generated once (seeded, by the publisher's generators, padded with a realistic client
context to ~900 bytes) into a cache folder under the system's temp dir and reused by later runs. The two
tables are a realistic pull request: 100 rules (exact, prefix, suffix, numeric, anything-but, exists,
equals-ignore-case, nested `items`), of which the new table changes 10 (thresholds widened, prefixes
changed, one renamed, one removed, one added, one transformer edited). `--disjoint` makes the new table
100 unrelated rules instead (nothing shared: the worst case for the diff's one-match-per-event design).

Baseline, measured in the same run: the naive diff (json.loads, then compile_pattern and match for every
rule of both tables, for every event, one process) over the first --baseline-events events, extrapolated
linearly to the whole archive; the ratio printed is the extrapolated naive time over the measured time.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson

from tooling.observe.s3_archive import S3ArchiveObject
from tooling.patterns import compile_pattern
from tooling.routes import chunks
from tooling.routes.model import RouteRule, Routes, RouteTarget, Transformer
from tooling.routes.run import DiffOptions, EventInput, diff_routes
from tooling.routes.sample_events import archived_events

START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 30
STREAM = "ecommerce-bench-000000-events-archive"
TARGETS = ("processor", "notifier", "analytics", "notifications", "batch-queue", "s3-archive")
CHANNELS = ("web", "ios", "android", "pos", "partner-api")
AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "ShopApp/4.18.2 (iPhone15,3; iOS 17.5.1; Scale/3.00)",
    "ShopApp/4.18.1 (Android 14; Pixel 8 Pro; Build/AP2A.240705.005)",
)
LOCALES = ("en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "ja-JP")


# -- the archive ----------------------------------------------------------------------------------------------


def _context(rng: random.Random) -> dict[str, Any]:
    """What a storefront adds to an event: ~330 bytes of client context."""
    return {
        "channel": rng.choice(CHANNELS),
        "locale": rng.choice(LOCALES),
        "userAgent": rng.choice(AGENTS),
        "clientIp": f"203.0.113.{rng.randrange(1, 255)}",
        "sessionId": f"{rng.getrandbits(128):032x}",
        "traceId": f"Root=1-{rng.getrandbits(32):08x}-{rng.getrandbits(96):024x}",
        "experiment": {
            "checkout": rng.choice(("control", "one-page", "express")),
            "bucket": rng.randrange(100),
        },
    }


def _write_day(args: tuple[Path, int, int, int]) -> tuple[int, int]:
    """One day's events, one object per source (Firehose's source= partition), written atomically."""
    folder, day, count, seed = args
    rng = random.Random(f"{seed}:context:{day}")
    when = START + timedelta(days=day)
    by_source: dict[str, list[bytes]] = {}
    raw = 0
    for event in archived_events(count, seed=seed * 1000 + day, start=when, days=1):
        event["detail"]["context"] = _context(rng)
        line = orjson.dumps(event)
        raw += len(line) + 1
        by_source.setdefault(event["source"], []).append(line)
    for source, lines in by_source.items():
        key = (
            f"source={source}/year={when:%Y}/month={when:%m}/day={when:%d}/"
            f"{STREAM}-1-{when:%Y-%m-%d}-23-59-00-{hashlib.sha256(f'{source}{day}'.encode()).hexdigest()[:32]}.gz"
        )
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n", compresslevel=6))
    return count, raw


def build_archive(events: int, seed: int, cache: Path, workers: int) -> tuple[Path, dict[str, Any]]:
    folder = cache / f"archive-{events}-{seed}"
    marker = folder / "complete.json"
    if marker.is_file():
        return folder, json.loads(marker.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    per_day = [events // DAYS + (1 if day < events % DAYS else 0) for day in range(DAYS)]
    started = time.perf_counter()
    with get_context("fork").Pool(workers) as pool:
        written = pool.map(_write_day, [(folder, day, n, seed) for day, n in enumerate(per_day)])
    info = {
        "events": sum(n for n, _ in written),
        "raw_bytes": sum(b for _, b in written),
        "gzip_bytes": sum(p.stat().st_size for p in folder.rglob("*.gz")),
        "objects": sum(1 for _ in folder.rglob("*.gz")),
        "generated_in_seconds": round(time.perf_counter() - started, 1),
    }
    marker.write_text(json.dumps(info))
    return folder, info


class FolderArchive:
    """The S3ArchiveSource seam over the cached folder (the local target's bucket is such a folder)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bucket = folder.name

    def list_objects(self, prefix: str) -> list[S3ArchiveObject]:
        return sorted(
            (
                S3ArchiveObject(key=key, size=path.stat().st_size, last_modified=START)
                for path in self.folder.rglob("*.gz")
                if (key := path.relative_to(self.folder).as_posix()).startswith(prefix)
            ),
            key=lambda o: o.key,
        )

    def get_object(self, key: str) -> bytes:
        return (self.folder / key).read_bytes()


# -- the two routing tables ----------------------------------------------------------------------------------


def _pattern(i: int, rng: random.Random) -> dict[str, Any]:
    kind = i % 10
    if kind == 0:
        return {
            "source": ["ecommerce.orders"],
            "detail-type": [rng.choice(["Order Created", "Order Updated", "Order Cancelled"])],
            "detail": {
                "currency": [rng.choice(["USD", "EUR", "GBP"])],
                "items": {"quantity": [{"numeric": [">=", rng.randrange(1, 6)]}]},
            },
        }
    if kind == 1:
        return {
            "source": ["ecommerce.orders"],
            "detail-type": ["Order Created"],
            "detail": {"totalAmount": [{"numeric": [">", rng.randrange(100, 3000)]}]},
        }
    if kind == 2:
        return {
            "source": ["ecommerce.orders"],
            "detail": {"customerId": [{"prefix": f"cust-{rng.randrange(10, 99)}"}]},
        }
    if kind == 3:
        return {
            "source": ["ecommerce.payments"],
            "detail": {
                "status": [{"anything-but": ["completed"]}],
                "amount": [{"numeric": [">=", rng.randrange(100, 2000)]}],
            },
        }
    if kind == 4:
        return {
            "source": ["ecommerce.inventory"],
            "detail": {
                "quantityAvailable": [{"numeric": ["<", rng.randrange(5, 50)]}],
                "warehouseId": [rng.choice(["wh-east-1", "wh-eu-1", "wh-west-1", "wh-central-1"])],
            },
        }
    if kind == 5:
        return {
            "source": ["ecommerce.orders"],
            "detail": {"items": {"productId": [{"prefix": f"prod-{rng.randrange(10, 99)}"}]}},
        }
    if kind == 6:
        return {
            "source": ["ecommerce.users"],
            "detail": {
                "marketingOptIn": [rng.random() < 0.5],
                "registrationMethod": [{"anything-but": rng.choice(["email", "google", "apple"])}],
                "lastName": [{"prefix": rng.choice("SONHKRBM")}],
            },
        }
    if kind == 7:
        return {
            "detail-type": ["Payment Processed"],
            "detail": {
                "currency": [rng.choice(["EUR", "GBP", "USD"])],
                "paymentMethod": [{"exists": True}],
                "amount": [{"numeric": ["<", rng.randrange(50, 2500)]}],
            },
        }
    if kind == 8:
        return {
            "source": ["ecommerce.users"],
            "detail": {"email": [{"suffix": f"{rng.randrange(1000, 9999)}@example.com"}]},
        }
    return {
        "source": [{"prefix": "ecommerce."}],
        "detail": {
            "context": {
                "channel": [{"equals-ignore-case": rng.choice(CHANNELS).upper()}],
                "locale": [rng.choice(LOCALES)],
            }
        },
    }


TEMPLATE = '{"order": <orderId>, "amount": <amount>, "rule": "<aws.events.rule-name>"}'


def _rule(i: int, rng: random.Random, prefix: str = "rule") -> RouteRule:
    targets = tuple(
        RouteTarget(
            target=name,
            target_id=name,
            transformer=Transformer(
                (("amount", "$.detail.totalAmount"), ("orderId", "$.detail.orderId")), TEMPLATE
            )
            if name == "notifications"
            else None,
        )
        for name in rng.sample(TARGETS, rng.randrange(1, 3))
    )
    name = f"{prefix}-{i:03d}"
    return RouteRule(name, _pattern(i, rng), True, targets, aws_name=f"bench-{name}", arn=f"arn:bench:{name}")


def _distinct(rules: int, rng: random.Random, prefix: str, taken: set[str]) -> list[RouteRule]:
    """`rules` rules whose patterns are all different (and none of `taken`): 100 rules, 100 patterns."""
    out = []
    for i in range(rules):
        rule = _rule(i, rng, prefix)
        while rule.pattern_key in taken:
            rule = _rule(i, rng, prefix)
        taken.add(rule.pattern_key)
        out.append(rule)
    return out


def tables(rules: int, seed: int, disjoint: bool) -> tuple[Routes, Routes]:
    taken: set[str] = set()
    before = _distinct(rules, random.Random(seed), "rule", taken)
    if disjoint:
        after = _distinct(rules, random.Random(seed + 1), "new", taken)
        return Routes("before", tuple(before)), Routes("after", tuple(after))
    after = list(before)
    for i in (1, 11, 21, 31):  # thresholds widened
        amount = after[i].pattern["detail"]["totalAmount"][0]["numeric"][1]
        after[i] = replace(
            after[i],
            pattern={**after[i].pattern, "detail": {"totalAmount": [{"numeric": [">", amount // 2]}]}},
        )
    for i in (2, 12):  # prefixes moved
        after[i] = replace(
            after[i], pattern={**after[i].pattern, "detail": {"customerId": [{"prefix": "cust-5"}]}}
        )
    after[40] = replace(
        after[40], name="renamed-040", aws_name="bench-renamed-040", arn="arn:bench:renamed-040"
    )
    del after[50]
    after += _distinct(1, random.Random(seed + 2), "added", taken)
    changed = (1, 11, 21, 31, 2, 12, 40, 50)
    edited = next(
        i for i, r in enumerate(after) if any(t.transformer for t in r.targets) and i not in changed
    )
    after[edited] = replace(
        after[edited],
        targets=tuple(
            replace(
                t, transformer=Transformer(t.transformer.input_paths, TEMPLATE.replace('"rule"', '"from"'))
            )
            if t.transformer
            else t
            for t in after[edited].targets
        ),
    )
    return Routes("before", tuple(before)), Routes("after", tuple(after))


# -- the naive baseline ----------------------------------------------------------------------------------------


def _first_events(archive: FolderArchive, count: int) -> Iterator[bytes]:
    for obj in archive.list_objects(""):
        for line in gzip.decompress(archive.get_object(obj.key)).splitlines():
            if count <= 0:
                return
            count -= 1
            yield line


def naive_seconds_per_event(archive: FolderArchive, before: Routes, after: Routes, count: int) -> float:
    lines = list(_first_events(archive, count))
    rules = [*before.rules, *after.rules]
    started = time.perf_counter()
    for line in lines:
        event = json.loads(line)
        for rule in rules:
            compile_pattern(rule.pattern).matches(event)
    return (time.perf_counter() - started) / len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--disjoint", action="store_true", help="the new table shares no rule with the old")
    parser.add_argument("--baseline-events", type=int, default=200)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "tooling-routes-bench")
    args = parser.parse_args()

    load_before = os.getloadavg()
    folder, info = build_archive(args.events, args.seed, args.cache, args.workers)
    print(
        f"archive: {info['events']:,} events in {info['objects']} gzip objects, {info['raw_bytes'] / info['events']:.0f} "
        f"bytes/event ({info['raw_bytes'] / 1e6:,.0f} MB raw, {info['gzip_bytes'] / 1e6:,.0f} MB gzip), "
        f"generated once in {info['generated_in_seconds']} s; cached in {folder}"
    )
    before, after = tables(args.rules, args.seed, args.disjoint)
    distinct = len({r.pattern_key for r in (*before.rules, *after.rules)})
    print(f"tables: {len(before.rules)} and {len(after.rules)} rules, {distinct} distinct patterns")

    archive = FolderArchive(folder)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_started = time.process_time()
    started = time.perf_counter()
    keys = chunks.archive_keys(archive, None, None)
    report = diff_routes(
        before,
        after,
        EventInput(chunks.archive_chunks(archive, keys), "bench"),
        DiffOptions(workers=args.workers),
    )
    wall = time.perf_counter() - started
    parent_cpu = time.process_time() - cpu_started
    done = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, reaped when the pool closed
    workers_cpu = (done.ru_utime + done.ru_stime) - (children.ru_utime + children.ru_stime)
    load_after = os.getloadavg()
    changed = [r for r in report.rules if r.gained or r.lost or r.payload_changes]
    cpu = parent_cpu + workers_cpu
    print(
        f"routes diff: {report.events.evaluated:,} events in {wall:.1f} s wall = {report.events.evaluated / wall:,.0f} "
        f"events/s with {args.workers} worker(s); {len(changed)} rules changed, {report.gained:,} gained, "
        f"{report.lost:,} lost, {report.payload_changes:,} payloads changed"
    )
    print(
        f"CPU: {cpu:.1f} s in all ({workers_cpu:.1f} s workers, {parent_cpu:.1f} s this process) = "
        f"{cpu / report.events.evaluated * 1e6:.1f} us/event; on {args.workers} otherwise idle cores that is "
        f"~{cpu / args.workers:.1f} s wall"
    )
    per_event = naive_seconds_per_event(archive, before, after, args.baseline_events)
    naive = per_event * report.events.evaluated
    print(
        f"naive (json.loads + compile_pattern per rule per event, 1 process): {per_event * 1e3:.2f} ms/event over "
        f"the first {args.baseline_events} events, extrapolated to {report.events.evaluated:,}: {naive:,.0f} s "
        f"-> routes diff is {naive / wall:,.0f}x faster"
    )
    print(
        f"machine: {os.cpu_count()} cores; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
        f"(1-minute; other processes share these cores)"
    )


if __name__ == "__main__":
    main()
