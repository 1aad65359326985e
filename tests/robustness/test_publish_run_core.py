"""tooling.publish.run, the one core call of `tooling publish`: driven with a plain request and a bus of the
test's own (no typer, no AWS), it resolves the outputs, the settings and the destination, publishes, and
keeps Ctrl-C counted until the caller has printed the outcome."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tooling.errors import UsageError
from tooling.outputs import DeploymentOutputs
from tooling.publish.bus import Bus, Entry, Result
from tooling.publish.destination import Aim, Destination
from tooling.publish.processes import PROCESSES_FROM, worker_count
from tooling.publish.publisher import ProgressCallback, PublishSettings
from tooling.publish.run import (
    FromFile,
    Generated,
    OfKind,
    PublishRequest,
    RunOptions,
    publishing,
)
from tooling.workspace import Workspace

REGION = "us-east-1"
BUS = "shop-dev-abc123"


class Accepting:
    """A bus that accepts everything and numbers the events it took."""

    def __init__(self) -> None:
        self.taken: list[Entry] = []

    def put_events(self, entries: list[Entry]) -> list[Result]:
        self.taken += entries
        return [{"EventId": f"id-{len(self.taken) - len(entries) + n}"} for n in range(len(entries))]


@pytest.fixture
def outputs_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOOLING_ROOT", str(tmp_path))  # no environments/dev.toml there: [publisher] defaults
    monkeypatch.delenv("TOOLING_ENV", raising=False)
    outputs = {
        "region": REGION,
        "event_bus_name": BUS,
        "event_bus_arn": f"arn:aws:events:{REGION}:123456789012:event-bus/{BUS}",
        "archive_name": f"{BUS}-archive",
        "rule_arns": {},
        "batch_queue_url": "",
        "batch_queue_arn": "",
        "dead_letter_queue_urls": {},
        "notifications_topic_arn": "",
        "function_names": {},
        "log_group_names": {},
    }
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({k: {"sensitive": False, "value": v} for k, v in outputs.items()}))
    return path


def opener(bus: Bus, seen: list[Destination]) -> Any:
    def open_bus(
        outputs: DeploymentOutputs, workspace: Workspace, engine: str, *, destination: Destination
    ) -> Bus:
        seen.append(destination)
        return bus

    return open_bus


def test_one_event_is_published_and_its_ids_come_back(outputs_file: Path) -> None:
    bus, seen = Accepting(), []
    request = PublishRequest(OfKind("order", seed=3), RunOptions(outputs=outputs_file))

    with publishing(request, open_bus=opener(bus, seen)) as outcome:
        pass

    assert [d.bus_name for d in seen] == [BUS]
    assert outcome.summary.ok and outcome.summary.published == 1 and outcome.total == 1
    assert outcome.destination == BUS
    order_id = json.loads(bus.taken[0]["Detail"])["orderId"]
    assert outcome.ids == {"event_id": "id-0", "orderId": order_id}


def test_generated_traffic_opens_the_display_with_the_total(outputs_file: Path) -> None:
    bus, opened = Accepting(), []
    advanced: list[tuple[int, int]] = []

    @contextmanager
    def display(total: int, threads: bool) -> Iterator[ProgressCallback]:
        opened.append((total, threads))
        yield lambda accepted, failed: advanced.append((accepted, failed))

    request = PublishRequest(Generated(25, mix="orders=1", seed=1), RunOptions(outputs=outputs_file))
    with publishing(request, open_bus=opener(bus, []), progress=display) as outcome:
        pass

    assert opened == [(25, True)]  # one process: rich may redraw from its own thread
    assert sum(a for a, _ in advanced) == 25 == outcome.summary.published
    assert {e["Source"] for e in bus.taken} == {"ecommerce.orders"}
    assert outcome.ids == {}


def test_ctrl_c_while_the_outcome_is_printed_is_counted_not_raised(outputs_file: Path) -> None:
    request = PublishRequest(OfKind("user", count=2), RunOptions(outputs=outputs_file))

    with publishing(request, open_bus=opener(Accepting(), [])) as outcome:
        signal.raise_signal(signal.SIGINT)  # as if pressed while the summary is being written
        printed = outcome.summary.published

    assert printed == 2
    with pytest.raises(KeyboardInterrupt):  # and only until the block is left
        signal.raise_signal(signal.SIGINT)


def test_requests_are_refused_before_the_bus_is_opened(outputs_file: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    seen: list[Destination] = []
    refused = [
        PublishRequest(FromFile(empty), RunOptions(outputs=outputs_file)),
        PublishRequest(OfKind("order", detail_type="Order Lost"), RunOptions(outputs=outputs_file)),
        PublishRequest(Generated(5, mix="orders=-1"), RunOptions(outputs=outputs_file)),
        PublishRequest(OfKind("user"), RunOptions(outputs=outputs_file, trace_header="no-root")),
        PublishRequest(OfKind("user"), RunOptions(outputs=outputs_file, aim=Aim(bus="other"))),
    ]

    for request in refused:
        with pytest.raises(UsageError), publishing(request, open_bus=opener(Accepting(), seen)):
            pass

    assert seen == []


def test_worker_processes_only_for_large_aws_runs() -> None:
    fast = PublishSettings()
    assert worker_count(PROCESSES_FROM - 1, fast, "aws") == 1
    assert worker_count(10_000, fast, "local", asked=8) == 1  # one SQLite store, one process
    assert worker_count(10, fast, "aws", asked=3) == 3
    assert worker_count(10_000, PublishSettings(rate=PROCESSES_FROM - 1), "aws") == 1
    assert 1 <= worker_count(10_000, fast, "aws") <= 4
