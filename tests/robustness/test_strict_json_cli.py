"""The defects of issue 22 around JSON and input sizes, through the CLI: each refused with one line naming
the file or the JSON path, a hint, exit 2; never published, never matched, never an "unexpected" error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tooling import local
from tooling.deploy import pipeline as deploy
from tooling.errors import UsageError
from tooling.input_files import EVENT_BYTES, FILE_BYTES, size_text
from tooling.local import delivery
from tooling.local.store import Store
from tooling.publish.events import read_entries_from
from tooling.workspace import Workspace

CONFIG = """
project = "shop"
environment = "dev"
region = "eu-west-1"

[[rules]]
name = "orders"
pattern = { source = ["ecommerce.orders"] }
[[rules.targets]]
target = "processor"
"""


def tooling(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "tooling", *args],
        input=stdin, capture_output=True, check=False, cwd=cwd, timeout=120,
        env={**os.environ, "TOOLING_ROOT": str(cwd), "TOOLING_LOCAL_DISPATCH": "off"},
    )  # fmt: skip
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def assert_refused(proc: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("error: ") and len(lines) == 2 and lines[1].startswith("  hint: "), proc.stderr
    for part in parts:
        assert part in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and "unexpected" not in proc.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "environments").mkdir(parents=True)
    (root / "environments" / "dev.toml").write_text(CONFIG)
    return root


def test_a_nan_detail_is_refused_before_anything_is_published(project: Path) -> None:
    proc = tooling("publish", "order", "--detail", '{"totalAmount": NaN}', cwd=project)

    assert_refused(proc, "--detail: NaN at $.totalAmount is not JSON")
    assert not (project / ".tooling").exists()


@pytest.mark.parametrize("numeric", ['["=", 5]', '["<", 0]', '[">", 1000]'])
def test_a_nan_event_matches_no_numeric_filter_it_is_refused(project: Path, numeric: str) -> None:
    pattern = '{"detail": {"totalAmount": [{"numeric": ' + numeric + "}]}}"

    proc = tooling(
        "test-pattern", "--pattern", pattern, "--event", '{"detail": {"totalAmount": NaN}}', cwd=project
    )

    assert proc.stdout == ""
    assert_refused(proc, "the event: NaN at $.detail.totalAmount")


@pytest.mark.parametrize(
    ("option", "what"), [("--event", "the event"), ("--pattern", "the pattern"), ("--detail", "--detail")]
)
def test_a_file_that_is_not_utf8_is_one_line_naming_it(project: Path, option: str, what: str) -> None:
    bad = project / "latin1.json"
    bad.write_bytes('{"city": "Zürich"}'.encode("latin-1"))
    args = ["publish", "order"] if option == "--detail" else ["test-pattern"]
    other = (
        [] if option == "--detail" else (["--pattern", "{}"] if option == "--event" else ["--event", "{}"])
    )

    proc = tooling(*args, option, f"@{bad}", *other, cwd=project)

    assert_refused(proc, f"{bad}: not UTF-8 text (byte 0xfc at offset 11)")


def test_an_argument_that_is_not_utf8_is_refused(project: Path) -> None:
    event = os.fsdecode(b'{"city": "Z\xfcrich"}')  # as the shell hands over Latin-1 bytes

    proc = tooling("test-pattern", "--pattern", '{"city": ["x"]}', "--event", event, cwd=project)

    assert_refused(proc, "the event: not UTF-8 text")


FIVE_THOUSAND_AND_ONE_DIGITS = "1" + "0" * 5000


@pytest.mark.parametrize(
    "command", [["test-pattern", "--pattern", '{"qty": [1]}', "--event"], ["publish", "order", "--detail"]]
)
def test_a_5001_digit_integer_in_an_event_or_detail_is_refused_with_its_path(
    project: Path, command: list[str]
) -> None:
    proc = tooling(*command, '{"qty": ' + FIVE_THOUSAND_AND_ONE_DIGITS + "}", cwd=project)

    assert_refused(proc, "the number at $.qty has 5001 digits; at most 1000 characters are accepted")


def test_a_5001_digit_integer_in_a_pattern_makes_it_invalid_as_aws_says(project: Path) -> None:
    pattern = '{"qty": [{"numeric": [">", ' + FIVE_THOUSAND_AND_ONE_DIGITS + "]}]}"

    proc = tooling("test-pattern", "--pattern", pattern, "--event", '{"qty": 1}', cwd=project)

    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (  # AWS's own limit on a pattern's length answers first
        "1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096\n"
    )


def test_a_2000_digit_integer_in_a_pattern_makes_it_invalid_with_its_path(project: Path) -> None:
    pattern = '{"qty": [{"numeric": [">", 1' + "0" * 1999 + "]}]}"

    proc = tooling("test-pattern", "--pattern", pattern, "--event", '{"qty": 1}', cwd=project)

    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        "Event pattern is not valid. Reason: the number at $.qty[0].numeric[1] has 2000 digits; "
        "at most 1000 characters are accepted\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["events", "query", "--source", "a", "--since", "999999999d"],
        ["monitor", "--since", "999999999d"],
        ["logs", "--since", "1" + "0" * 5000 + "s"],
        ["replay", "--start", "999999999d", "--end", "now"],
    ],
)
def test_an_absurd_duration_is_one_line_with_the_accepted_range(project: Path, args: list[str]) -> None:
    proc = tooling(*args, cwd=project)

    assert_refused(proc, "is longer than 3650d (10 years)")
    assert "use a duration from 1s to 3650d" in proc.stderr


def test_publish_file_dev_zero_is_refused_after_one_lines_worth(project: Path) -> None:
    started = time.monotonic()

    proc = tooling("publish", "file", "/dev/zero", cwd=project)

    assert_refused(proc, f"/dev/zero: line 1 is longer than {size_text(EVENT_BYTES)}")
    assert time.monotonic() - started < 60


class CountingStream:
    """An endless stream of zero bytes that counts what was read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readline(self, size: int = -1) -> bytes:
        assert size > 0, "an unbounded read of an endless stream"
        self.read_bytes += size
        return b"\0" * size

    def fileno(self) -> int:
        raise OSError("not a file")


def test_an_endless_stream_is_read_no_further_than_one_line_cap() -> None:
    stream = CountingStream()

    with pytest.raises(UsageError, match=f"line 1 is longer than {size_text(EVENT_BYTES)}"):
        read_entries_from(stream, "<stdin>")  # type: ignore[arg-type]  # duck-typed stream

    assert stream.read_bytes == EVENT_BYTES + 1


def test_a_file_larger_than_the_cap_is_refused_before_reading(project: Path) -> None:
    huge = project / "huge.jsonl"
    with huge.open("wb") as sparse:
        sparse.truncate(FILE_BYTES + 1)

    proc = tooling("publish", "file", str(huge), cwd=project)

    assert_refused(
        proc, f"is larger than 64 MiB ({FILE_BYTES + 1:,} bytes); refused without reading it whole"
    )


@pytest.mark.parametrize(
    ("option", "size", "cap"),
    [("--event", EVENT_BYTES + 1, size_text(EVENT_BYTES)), ("--pattern", 16385, "16 KiB")],
)
def test_event_and_pattern_files_are_capped(project: Path, option: str, size: int, cap: str) -> None:
    big = project / "big.json"
    with big.open("wb") as sparse:
        sparse.truncate(size)
    other = ["--pattern", "{}"] if option == "--event" else ["--event", "{}"]

    proc = tooling("test-pattern", option, f"@{big}", *other, cwd=project)

    assert_refused(proc, f"is larger than {cap}")


def test_a_json_array_of_events_may_sit_on_one_long_line(project: Path) -> None:
    event = {
        "Source": "ecommerce.orders",
        "DetailType": "Order Created",
        "Detail": json.dumps({"pad": "x" * 900}),
    }
    path = project / "events.json"
    path.write_text(json.dumps([event] * 1500))  # one line of about 1.5 MiB

    proc = tooling("publish", "file", str(path), "--no-validate", cwd=project)

    assert "longer than" not in proc.stderr
    assert "nothing applied yet" in proc.stderr  # read and parsed: it stops only for want of a deployment


def test_a_publish_file_line_with_infinity_names_file_line_and_path(project: Path) -> None:
    path = project / "events.jsonl"
    good = {"source": "ecommerce.orders", "detail-type": "Order Created", "detail": {"orderId": "o-1"}}
    path.write_text(
        json.dumps(good) + "\n" + '{"source": "a", "detail-type": "b", "detail": {"x": -Infinity}}\n'
    )

    proc = tooling("publish", "file", str(path), cwd=project)

    assert proc.returncode == 2
    assert f"{path}:2: the line: -Infinity at $.detail.x is not JSON" in proc.stderr


def test_an_event_on_stdin_starting_with_at_is_json_not_a_path(project: Path) -> None:
    (project / "event.json").write_text('{"source": "ecommerce.orders"}')

    proc = tooling("invoke", "processor", "--event", "-", cwd=project, stdin=b"@event.json")

    assert_refused(proc, "the event is not valid JSON (Expecting value at line 1 column 1)")


def test_a_config_pattern_with_nan_is_refused_with_its_path(project: Path) -> None:
    config = project / "environments" / "dev.toml"
    config.write_text(
        CONFIG.replace('pattern = { source = ["ecommerce.orders"] }', "pattern = '{\"a\": [NaN]}'")
    )
    toml_native = project / "native.toml"
    toml_native.write_text(
        CONFIG.replace('["ecommerce.orders"]', '["ecommerce.orders"], x = [{ numeric = [">", nan] }]')
    )

    string_form = tooling("config", "validate", cwd=project)
    native_form = tooling("config", "validate", "--config", str(toml_native), cwd=project)

    assert string_form.returncode == 2
    assert "rules[0].pattern: NaN at $.a[0] is not JSON" in string_form.stderr
    assert native_form.returncode == 2
    assert "NaN at $.x[0].numeric[1] is not JSON" in native_form.stderr


# -- the local bus: PutEvents refuses a malformed Detail per entry, as AWS does -------------------------------


@pytest.fixture
def bus(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[local.LocalBus, Workspace]]:
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    monkeypatch.setattr(delivery, "RETRY_BASE_SECONDS", 0.01)
    workspace = Workspace.for_env("dev")
    outputs = local.apply_local(deploy.prepare(workspace))
    opened = local.open_local_bus(workspace, outputs)
    assert isinstance(opened, local.LocalBus)
    yield opened, workspace


def entry(detail: str) -> dict[str, Any]:
    return {"Source": "ecommerce.orders", "DetailType": "Order Created", "Detail": detail}


@pytest.mark.slow
def test_local_put_events_refuses_each_malformed_detail_and_keeps_the_others(
    bus: tuple[local.LocalBus, Workspace],
) -> None:
    local_bus, workspace = bus
    details = [
        '{"orderId": "o-1", "totalAmount": NaN}',
        '{"orderId": "o-2", "totalAmount": Infinity}',
        '{"orderId": "o-3", "orderId": "o-4"}',
        '{"orderId": "o-5", "note": "\\ud800"}',
        '{"orderId": "o-6", "totalAmount": 1e400}',
        '{"orderId": "o-7", "totalAmount": 1' + "0" * 5000 + "}",
        '{"orderId": "o-8", "totalAmount": 12.5}',
    ]

    results = local_bus.put_events([entry(d) for d in details])

    malformed = {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert results[:6] == [malformed] * 6
    assert "EventId" in results[6]
    store = Store.open(workspace)
    try:
        archived = [json.loads(row["body"]) for row in store.query("SELECT body FROM archive", ())]
    finally:
        store.close()
    assert [event["detail"]["orderId"] for event in archived] == ["o-8"]
