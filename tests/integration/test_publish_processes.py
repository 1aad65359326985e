"""Generated traffic from several worker processes: the same events one process would send, each accepted
exactly once under injected faults, a fatal error raised, and Ctrl-C accounted for."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

import tooling.clients
from tooling.outputs import OUTPUT_NAMES
from tooling.publish.events import CONTENT_CHUNK, EventFactory
from tooling.publish.http_bus import HttpBus
from tooling.publish.processes import publish_generated, split
from tooling.publish.publisher import PublishSettings
from tooling_testing.sink import Fault, FaultPlan, Sink, start_in_thread

REGION = "us-east-1"
BUS = "proc-bus"
FAST_RETRIES = PublishSettings(concurrency=4, base_delay=0.001, max_delay=0.01, max_attempts=20)


class Recorder:
    """A fault plan that remembers what it did, so acceptance is counted at the receiving end."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self.lock = threading.Lock()
        self.accepted: Counter[str] = Counter()
        self.content: Counter[str] = Counter()
        self.faults = 0

    def __call__(self, number: int, body: bytes) -> Fault | None:
        fault = self.plan(number, body)
        entries = json.loads(body)["Entries"]
        with self.lock:
            if fault is not None:
                self.faults += 1
                if fault.drop or fault.status != 200:
                    return fault
            failed = set(fault.failed_entries) if fault else set()
            for position, entry in enumerate(entries):
                if position not in failed:
                    self.accepted[json.loads(entry["Detail"])["idempotencyKey"]] += 1
                    self.content[_content(entry)] += 1
        return fault


def _content(entry: dict[str, Any]) -> str:
    """An entry without its per-run fields (timestamp, idempotencyKey), as a comparable string."""
    detail = {
        k: v for k, v in json.loads(entry["Detail"]).items() if k not in ("timestamp", "idempotencyKey")
    }
    return json.dumps([entry["Source"], entry["DetailType"], detail], sort_keys=True)


StartEndpoint = Callable[[FaultPlan | None], Sink]


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[StartEndpoint]:
    stops: list[Callable[[], None]] = []

    def start(plan: FaultPlan | None) -> Sink:
        server = Sink(plan)
        port, stop = start_in_thread(server)
        stops.append(stop)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        tooling.clients.reset()
        return server

    yield start
    for stop in stops:
        stop()


@pytest.mark.parametrize(
    ("count", "processes"), [(1, 4), (999, 2), (1000, 2), (5500, 3), (20000, 4), (3001, 7)]
)
def test_ranges_cover_every_position_once_on_chunk_boundaries(count: int, processes: int) -> None:
    ranges = split(count, processes)

    assert [p for start, stop in ranges for p in range(start, stop)] == list(range(count))
    assert all(start % CONTENT_CHUNK == 0 and stop > start for start, stop in ranges)
    assert len(ranges) == min(processes, -(-count // CONTENT_CHUNK))


def test_a_range_is_the_same_events_as_that_slice_of_the_whole_run() -> None:
    whole = [_content(e) for e in EventFactory(seed=9).mixed(3500)]

    for start, stop in ((0, 1000), (1000, 3000), (2500, 3500), (1234, 2345)):
        part = [_content(e) for e in EventFactory(seed=9).mixed(3500, start=start, stop=stop)]
        assert part == whole[start:stop]


def test_processes_publish_each_event_exactly_once_under_faults(endpoint: StartEndpoint) -> None:
    def plan(number: int, body: bytes) -> Fault | None:
        if number % 4 == 1:
            return Fault(failed_entries=(0, 5), entry_code="ThrottlingException")
        if number % 11 == 3:
            return Fault(status=503, code="ServiceUnavailableException")
        return Fault(drop=True) if number % 17 == 5 else None

    recorder = Recorder(plan)
    endpoint(recorder)
    count = 4 * CONTENT_CHUNK + 321

    summary = publish_generated(HttpBus(BUS, REGION), count, seed=5, settings=FAST_RETRIES, processes=3)

    assert summary.ok and summary.published == count and summary.failures == []
    assert len(recorder.accepted) == count and set(recorder.accepted.values()) == {1}
    assert recorder.content == Counter(_content(e) for e in EventFactory(seed=5).mixed(count))
    assert recorder.faults > 100


def test_entries_that_fail_for_good_are_reported_at_their_run_index(endpoint: StartEndpoint) -> None:
    endpoint(lambda n, body: Fault(failed_entries=(9,), entry_code="InvalidArgument"))
    count = 2 * CONTENT_CHUNK

    summary = publish_generated(HttpBus(BUS, REGION), count, seed=1, settings=FAST_RETRIES, processes=2)

    assert summary.published == count - count // 10
    indices = [f.index for f in summary.failures]
    assert indices == sorted(indices) and len(indices) == count // 10
    assert {f.code for f in summary.failures} == {"InvalidArgument"}
    assert any(i >= CONTENT_CHUNK for i in indices)  # the second worker's failures are re-based


def test_an_error_that_retrying_cannot_fix_is_raised(endpoint: StartEndpoint) -> None:
    endpoint(lambda n, body: Fault(status=400, code="AccessDeniedException"))

    with pytest.raises(ClientError, match="AccessDeniedException"):
        publish_generated(HttpBus(BUS, REGION), 3000, seed=1, settings=FAST_RETRIES, processes=3)


@pytest.mark.parametrize("to_group", [True, False], ids=["terminal-ctrl-c", "signal-to-parent-only"])
def test_ctrl_c_stops_every_worker_and_accounts_for_every_event(
    endpoint: StartEndpoint, tmp_path: Path, to_group: bool
) -> None:
    recorder = Recorder(lambda n, body: None)
    endpoint(recorder)
    outputs_file = tmp_path / "outputs.json"
    values = {
        "region": REGION,
        "event_bus_name": BUS,
        "event_bus_arn": f"arn:aws:events:{REGION}:1:event-bus/x",
    }
    maps = ("rule_arns", "dead_letter_queue_urls", "function_names", "log_group_names")
    outputs_file.write_text(
        json.dumps(
            {
                n: {"value": values.get(n, None if n == "failover" else {} if n in maps else "")}
                for n in OUTPUT_NAMES
            }
        )
    )
    count = 20000
    command = [sys.executable, "-m", "tooling", "publish", "batch", "--count", str(count), "--rate", "2000"]
    proc = subprocess.Popen(
        [*command, "--processes", "2", "--json", "--outputs", str(outputs_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TOOLING_ROOT": str(tmp_path)},
        start_new_session=True,  # its own process group, as a shell gives a foreground job
    )
    deadline = time.monotonic() + 60
    while sum(recorder.accepted.values()) < 500 and time.monotonic() < deadline:
        time.sleep(0.05)

    if to_group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 130, stderr
    summary = json.loads(stdout)
    assert summary["published"] == sum(recorder.accepted.values())
    assert set(recorder.accepted.values()) == {1}
    assert 500 <= summary["published"] < count
    assert summary["published"] + summary["failed"] == count
    assert {f["code"] for f in summary["failures"]} == {"NotSent"}
    # Each worker reports the untouched tail of its own range (entries queued behind the stop are listed one
    # by one, as a single-process run lists them).
    tails = [f["index"] for f in summary["failures"] if "interrupted" in f["message"]]
    assert len(tails) == 2 and tails[0] < count // 2 <= tails[1]
