"""`publish load` holds its duration: it stops sending at --duration whatever rate it achieved, counts the
calls that were on the wire, does not build its plan (rate x duration events) up front, and reports the
requested and achieved rates. Before the fix `--rate 6000 --duration 2` ran 8.6 s and `--rate 1000000
--duration 1` was still sending after 30 s.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tooling.clients
from tooling.outputs import OUTPUT_NAMES
from tooling.publish.events import CONTENT_CHUNK, EventFactory, apportion, parse_mix
from tooling.publish.publisher import Publisher, PublishSettings
from tooling_testing.sink import Sink, start_in_thread

REGION = "us-east-1"
Entry = dict[str, Any]


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sink]:
    server = Sink()
    port, stop = start_in_thread(server)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    tooling.clients.reset()
    yield server
    stop()


def test_an_unreachable_rate_stops_at_the_duration_and_says_what_it_achieved(
    sink: Sink, tmp_path: Path
) -> None:
    outputs_file = tmp_path / "outputs.json"
    values = {"region": REGION, "event_bus_name": "load-bus", "event_bus_arn": "arn:aws:events:us-east-1:1:x"}
    maps = ("rule_arns", "dead_letter_queue_urls", "function_names", "log_group_names")
    outputs_file.write_text(
        json.dumps(
            {
                n: {"value": values.get(n, None if n == "failover" else {} if n in maps else "")}
                for n in OUTPUT_NAMES
            }
        )
    )
    command = [sys.executable, "-m", "tooling", "publish", "load", "--rate", "1000000", "--duration", "1"]
    proc = subprocess.Popen(
        [*command, "--json", "--outputs", str(outputs_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TOOLING_ROOT": str(tmp_path)},
        start_new_session=True,  # so that a hung run is killed with its worker processes
    )
    try:
        stdout, stderr = proc.communicate(timeout=10)  # a hang guard, not a timing assertion
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("publish load --rate 1000000 --duration 1 was still sending after 10 s")

    assert proc.returncode == 0, stderr
    report = json.loads(stdout)
    assert report["requested_rate"] == 1_000_000 and report["duration"] == 1
    assert report["requested"] == 1_000_000  # the plan: rate x duration
    assert 0 < report["sent"] == report["published"] == sink.accepted
    assert report["sent"] + report["unsent"] == report["requested"]
    assert 0 < report["achieved_rate"] < report["requested_rate"]
    assert report["seconds"] == pytest.approx(1.0, abs=0.9)
    assert report["calls"] == sink.requests


def test_human_output_gives_requested_and_achieved_rates(sink: Sink, tmp_path: Path) -> None:
    outputs_file = tmp_path / "outputs.json"
    values = {"region": REGION, "event_bus_name": "load-bus", "event_bus_arn": "arn:aws:events:us-east-1:1:x"}
    maps = ("rule_arns", "dead_letter_queue_urls", "function_names", "log_group_names")
    outputs_file.write_text(
        json.dumps(
            {
                n: {"value": values.get(n, None if n == "failover" else {} if n in maps else "")}
                for n in OUTPUT_NAMES
            }
        )
    )
    command = [sys.executable, "-m", "tooling", "publish", "load", "--rate", "500000", "--duration", "0.5"]
    done = subprocess.run(
        [*command, "--outputs", str(outputs_file)],
        capture_output=True,
        text=True,
        env={**os.environ, "TOOLING_ROOT": str(tmp_path), "COLUMNS": "200"},
        timeout=10,
    )

    assert done.returncode == 0, done.stderr
    rate_line = next(line for line in done.stdout.splitlines() if line.startswith("rate: "))
    assert " events/s achieved of 500000 requested: sent " in rate_line
    assert f"sent {sink.accepted} of 250000 planned in " in rate_line
    assert "(duration 0.5 s)" in rate_line


class SlowBus:
    """Answers each call after `delay`; throttles entry "n=3" on every attempt; logs what it accepted."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.accepted: Counter[int] = Counter()
        self.calls = 0

    def put_events(self, batch: list[Entry]) -> list[dict[str, Any]]:
        time.sleep(self.delay)
        results: list[dict[str, Any]] = []
        with self.lock:
            self.calls += 1
            for entry in batch:
                n = json.loads(entry["Detail"])["n"]
                if n == 3:
                    results.append({"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"})
                else:
                    self.accepted[n] += 1
                    results.append({"EventId": f"id-{n}"})
        return results


def test_at_the_deadline_calls_on_the_wire_are_counted_and_the_rest_is_unsent() -> None:
    entries = [{"Source": "t", "DetailType": "T", "Detail": json.dumps({"n": n})} for n in range(20_000)]
    bus = SlowBus(delay=0.05)
    settings = PublishSettings(
        concurrency=2, base_delay=0.01, max_delay=0.02, max_attempts=1000, deadline=time.monotonic() + 0.5
    )

    summary = Publisher(bus, settings).run(iter(entries), total=len(entries))

    assert not summary.interrupted
    assert summary.published == sum(bus.accepted.values()) > 0  # the last calls were waited for
    assert set(bus.accepted.values()) == {1}
    # The entry still being retried at the deadline was sent: it failed. The rest was never due.
    assert [(f.index, f.code) for f in summary.failures] == [(3, "NotSent")]
    assert "duration ended" in summary.failures[0].message
    assert "ThrottlingException" in summary.failures[0].message
    assert summary.failed == 1 and summary.unknown == 0
    assert summary.published + summary.failed + summary.unsent == summary.requested == 20_000
    assert summary.unsent > 15_000
    assert summary.ok is False  # one event failed


def content(entry: Entry) -> tuple[str, str, dict[str, Any]]:
    """An entry without the two fields that are fresh on every run (timestamp, idempotencyKey)."""
    detail = json.loads(entry["Detail"])
    detail.pop("timestamp"), detail.pop("idempotencyKey")
    return entry["Source"], entry["DetailType"], detail


def test_the_load_plan_is_drawn_lazily_whatever_its_size() -> None:
    # rate x duration can be 10^12 events: the first ones come at once, nothing of the size of the plan is built.
    started = time.monotonic()
    first = [e for _, e in zip(range(5), EventFactory(seed=4).mixed_by_chunk(10**12), strict=False)]
    assert len(first) == 5 and time.monotonic() - started < 5

    # A range is the same events as that slice of the whole run (workers each publish their own range),
    # and each chunk follows the mix exactly.
    mix = parse_mix("orders=50,users=30,payments=20")
    whole = list(EventFactory(seed=4).mixed_by_chunk(2500, mix))
    part = list(EventFactory(seed=4).mixed_by_chunk(2500, mix, start=1200, stop=2100))
    assert [content(e) for e in part] == [content(e) for e in whole[1200:2100]]
    kinds = Counter(e["Source"] for e in whole[:CONTENT_CHUNK])
    expected = apportion(CONTENT_CHUNK, mix)
    assert sorted(kinds.values()) == sorted(n for n in expected.values() if n)
