"""What `tooling routes diff` refuses: one `error:` line naming the problem, a hint, exit 2, no traceback,
and nothing written (a diff over files reads the project and writes nothing, not even `.tooling/`)."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tooling.routes.sample_events import archived_events

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(REPO / "environments", project / "environments")
    events = b"".join(orjson.dumps(e) + b"\n" for e in archived_events(50, seed=1))
    (project / "events.jsonl").write_bytes(events)
    (project / "bad.jsonl").write_bytes(events[: events.index(b"\n") + 1] + b'{"id": "2", "source": \n')
    (project / "plain.gz").write_bytes(b"not gzip at all")
    (project / "broken.toml").write_text('project = "ecommerce"\nrules = [\n')
    return project


def tooling(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tooling", "routes", "diff", *args],
        capture_output=True, text=True, check=False, cwd=root,
        env={**os.environ, "TOOLING_ROOT": str(root), "TOOLING_LOCAL_DISPATCH": "off"},
    )  # fmt: skip


DEV = "environments/dev.toml"
CASES = [
    (("--events", "events.jsonl"), "name one routing table to compare with", "--base main"),
    (("--before", DEV, "--base", "main", "--events", "events.jsonl"), "name one routing table", "--before OLD.toml"),
    (("--before", DEV), "name one source of events", "--s3-archive"),
    (("--before", DEV, "--events", "events.jsonl", "--s3-archive"), "name one source of events", "--events"),
    (("--before", DEV, "--events", "events.jsonl", "--since", "2026-11-01"), "--since/--until select archive days", "--s3-archive"),
    (("--before", DEV, "--s3-archive", "--since", "yesterday"), "--since 'yesterday' is not a date", "YYYY-MM-DD"),
    (("--before", DEV, "--s3-archive", "--since", "2026-11-02", "--until", "2026-11-01"), "--since 2026-11-02 is after --until 2026-11-01", "swap"),
    (("--before", DEV, "--events", "events.jsonl", "--fail-on", "all"), "--fail-on 'all' is not one of lost, gained, any", "--fail-on lost"),
    (("--before", DEV, "--events", "events.jsonl", "--json", "--markdown"), "--json and --markdown", "drop --json"),
    (("--before", DEV, "--events", "missing.jsonl"), "--events missing.jsonl: no such file", "JSON-lines file"),
    (("--before", DEV, "--events", "bad.jsonl"), "bad.jsonl line 2: not an event", "one EventBridge event"),
    (("--before", DEV, "--events", "plain.gz"), "plain.gz is not gzip data", ".jsonl"),
    (("--before", "broken.toml", "--events", "events.jsonl"), "broken.toml: 1 problem(s)", "config validate"),
    (("--base", "main", "--events", "events.jsonl"), "is not inside a git repository", "--before OLD.toml"),
    (("--deployed", "--events", "events.jsonl"), "nothing applied yet for environment 'dev'", "tooling apply"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "line", "hint"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_a_refused_input_is_one_line_a_hint_and_exit_2(
    root: Path, args: tuple[str, ...], line: str, hint: str
) -> None:
    before = sorted(p.relative_to(root) for p in root.rglob("*"))

    proc = tooling(root, *args)

    assert proc.returncode == 2, proc.stderr
    first, *rest = proc.stderr.splitlines()
    assert first.startswith("error: ") and line in proc.stderr
    assert any(hint in part for part in rest), proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_a_diff_over_files_writes_nothing_and_reads_gzip_too(root: Path) -> None:
    (root / "events.jsonl.gz").write_bytes(gzip.compress((root / "events.jsonl").read_bytes()))
    before = sorted(p.relative_to(root) for p in root.rglob("*"))

    plain = tooling(root, "--before", DEV, "--events", "events.jsonl", "--json")
    zipped = tooling(root, "--before", DEV, "--events", "events.jsonl.gz", "--json")

    assert plain.returncode == zipped.returncode == 0, plain.stderr + zipped.stderr
    assert orjson.loads(plain.stdout)["rules"] == orjson.loads(zipped.stdout)["rules"]
    assert orjson.loads(plain.stdout)["events"]["evaluated"] == 50
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
