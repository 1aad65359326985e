"""One `tooling publish` run, from the command line's request to the outcome it prints.

A request names what to publish (events of one kind, a file's events, generated traffic, or a load held for
a duration), the environment and its files, the aim (--bus, --no-endpoint, --region), the engine and the
tuning. The run resolves the settings ([publisher] under the command line's), the outputs and the
destination, opens the bus through the caller's `open_bus` (tooling.targets.bus_for: this package never
picks the target's implementation itself), picks the worker processes, and publishes.

`publishing` and `loading` are context managers: Ctrl-C is counted, never raised, from the first call until
the `with` block that prints the outcome is left, so the run stops (a second press stops waiting for calls
on the wire) and the summary it reports is printed whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tooling.errors import UsageError
from tooling.outputs import DeploymentOutputs, load_outputs, with_target
from tooling.publish.bus import Bus, RecordingBus
from tooling.publish.destination import Aim, Destination, choose_destination, endpoint_errors_explained
from tooling.publish.events import (
    Entry,
    EventFactory,
    EventKind,
    check_detail_type,
    detail_types,
    parse_detail_override,
    parse_mix,
    read_entries,
)
from tooling.publish.load import LoadReport, LoadTick, planned, run_load
from tooling.publish.processes import publish_generated, worker_count
from tooling.publish.publisher import (
    Interrupts,
    NoticeCallback,
    ProgressCallback,
    PublishSettings,
    PublishSummary,
    publish,
)
from tooling.publish.schemas import business_id, validate_entries
from tooling.publish.settings import run_settings
from tooling.workspace import Workspace

# -- the request ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOptions:
    """What every `tooling publish` command takes besides its events (None: the environment's default)."""

    env: str = "dev"
    config: Path | None = None
    outputs: Path | None = None
    target: str | None = None
    concurrency: int | None = None
    rate: float | None = None
    trace_header: str | None = None
    engine: str = "http"
    aim: Aim = field(default_factory=Aim)


@dataclass(frozen=True)
class OfKind:
    """`publish order|user|payment|inventory`: `count` events of one kind and detail-type."""

    kind: EventKind
    count: int = 1
    detail_type: str | None = None  # None: the kind's first
    amount: float | None = None
    detail: str | None = None  # --detail: a JSON object (or @file) merged over each generated detail
    seed: int | None = None


@dataclass(frozen=True)
class FromFile:
    """`publish file`: the events of a file ('-' for stdin)."""

    path: Path


@dataclass(frozen=True)
class Generated:
    """`publish batch`: mixed traffic, generated where it is sent (in each worker process)."""

    count: int
    mix: str | None = None  # --mix: weights per kind, e.g. orders=50,users=25
    seed: int | None = None
    processes: int | None = None


@dataclass(frozen=True)
class PublishRequest:
    events: OfKind | FromFile | Generated
    options: RunOptions = field(default_factory=RunOptions)
    # Check given events against schemas/ before sending (generated ones are valid by construction).
    validate: bool = True


@dataclass(frozen=True)
class LoadRequest:
    """`publish load`: hold `rate` events/s of generated traffic for `duration` seconds (options.rate unused)."""

    rate: float
    duration: float
    mix: str | None = None
    seed: int | None = None
    processes: int | None = None
    options: RunOptions = field(default_factory=RunOptions)


# -- what the caller provides --------------------------------------------------------------------------------


class BusOpener(Protocol):
    """Opens the bus `destination` names on the target the outputs were produced by."""

    def __call__(
        self, outputs: DeploymentOutputs, workspace: Workspace, engine: str, *, destination: Destination
    ) -> Bus: ...


# Opens the live display of a run of `total` events and yields its progress callback; the flag is False when
# worker processes are forked (no thread may run in this process then: the display redraws from the callback).
ProgressDisplay = Callable[[int, bool], AbstractContextManager[ProgressCallback]]


class LoadDisplay(Protocol):
    """The live line of a load run: fed every tick, closed when the run is over (before the outcome)."""

    def tick(self, tick: LoadTick) -> None: ...

    def close(self) -> None: ...


# -- the outcome ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishOutcome:
    summary: PublishSummary
    total: int
    destination: str  # what the summary line says the events were published to
    ids: dict[str, str]  # one event: the id EventBridge gave it and its business id (orderId, ...)


@dataclass(frozen=True)
class LoadOutcome:
    report: LoadReport
    planned: int
    destination: str


# -- the runs ------------------------------------------------------------------------------------------------


@contextmanager
def publishing(
    request: PublishRequest,
    *,
    open_bus: BusOpener,
    progress: ProgressDisplay | None = None,
    notice: NoticeCallback | None = None,
) -> Iterator[PublishOutcome]:
    """Publish what the request names and yield the outcome (see the module's docstring for Ctrl-C); every
    refusal (the events, the settings, the outputs, the aim) comes before the bus is opened. `progress` is
    opened for runs of more than one event."""
    what = _read(request)
    prepared = _prepare(request.options, request.options.rate, open_bus)
    # One event: remember what EventBridge answered, to show its id.
    recording = RecordingBus(prepared.bus) if what.entries is not None and what.total == 1 else None
    bus: Bus = recording if recording is not None else prepared.bus
    generated = what.generated
    workers = (
        1
        if generated is None
        else worker_count(what.total, prepared.settings, prepared.target, generated.processes)
    )
    interrupts = Interrupts()
    with interrupts.on_sigint(), endpoint_errors_explained(prepared.destination):
        if progress is None or what.total <= 1:
            summary = _send(what, bus, prepared.settings, workers, None, notice, interrupts)
        else:
            # Workers are forked: no thread (a display's refresher) may be running in this process when they are.
            with progress(what.total, workers == 1) as advance:
                summary = _send(what, bus, prepared.settings, workers, advance, notice, interrupts)
        ids = _single_ids(what.entries[0], recording) if what.entries and recording is not None else {}
        yield PublishOutcome(summary, what.total, prepared.destination.describe(), ids)


@contextmanager
def loading(
    request: LoadRequest,
    *,
    open_bus: BusOpener,
    display: Callable[[int], LoadDisplay] | None = None,
    notice: NoticeCallback | None = None,
) -> Iterator[LoadOutcome]:
    """Hold the request's rate for its duration (tooling.publish.load) and yield the outcome; `display` is
    opened with the planned number of events."""
    weights = _mix(request.mix)
    count = planned(request.rate, request.duration)
    prepared = _prepare(request.options, request.rate, open_bus)
    workers = worker_count(count, prepared.settings, prepared.target, request.processes)
    line = display(count) if display is not None else None
    interrupts = Interrupts()
    with interrupts.on_sigint(), endpoint_errors_explained(prepared.destination):
        report = run_load(
            prepared.bus,
            rate=request.rate,
            duration=request.duration,
            settings=prepared.settings,
            processes=workers,
            mix=weights,
            seed=request.seed,
            tick=line.tick if line is not None else None,
            notice=notice,
            interrupts=interrupts,
        )
        if line is not None:
            line.close()
        yield LoadOutcome(report, count, prepared.destination.describe())


# -- their parts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    settings: PublishSettings
    destination: Destination
    bus: Bus
    target: str


def _prepare(options: RunOptions, rate: float | None, open_bus: BusOpener) -> _Prepared:
    """The settings, then the deployment's outputs, the destination they and the aim decide, and its bus."""
    settings = run_settings(
        options.env,
        options.config,
        concurrency=options.concurrency,
        rate=rate,
        trace_header=options.trace_header,
    )
    workspace = Workspace.for_env(options.env)
    outputs = with_target(load_outputs(workspace, options.outputs), options.target)
    destination = choose_destination(outputs, options.aim)
    bus = open_bus(outputs, workspace, options.engine, destination=destination)
    return _Prepared(settings, destination, bus, outputs.target)


@dataclass(frozen=True)
class _Events:
    """What a request publishes, read and checked: the given entries, or a generated run and its mix."""

    total: int
    entries: list[Entry] | None = None
    generated: Generated | None = None
    weights: dict[EventKind, float] | None = None


def _read(request: PublishRequest) -> _Events:
    """The request's events; given ones are checked against the schemas (unless `validate` is off), so a
    broken one stops the run before anything is sent."""
    events = request.events
    if isinstance(events, Generated):
        return _Events(events.count, generated=events, weights=_mix(events.mix))
    entries = _entries(events)
    if request.validate:
        validate_entries(entries)
    return _Events(len(entries), entries=entries)


def _send(
    what: _Events,
    bus: Bus,
    settings: PublishSettings,
    workers: int,
    progress: ProgressCallback | None,
    notice: NoticeCallback | None,
    interrupts: Interrupts,
) -> PublishSummary:
    if what.generated is None:
        entries = what.entries or []
        return publish(
            bus, entries, settings, total=what.total, progress=progress, notice=notice, interrupts=interrupts
        )
    return publish_generated(
        bus,
        what.total,
        mix=what.weights,
        seed=what.generated.seed,
        settings=settings,
        processes=workers,
        progress=progress,
        notice=notice,
        interrupts=interrupts,
    )


def _entries(events: OfKind | FromFile) -> list[Entry]:
    if isinstance(events, FromFile):
        entries = read_entries(events.path)
        if not entries:
            raise UsageError(
                f"{events.path} holds no events",
                hint="write one PutEvents entry or EventBridge event per line",
            )
        return entries
    kind = events.kind
    chosen = check_detail_type(kind, events.detail_type) if events.detail_type else detail_types(kind)[0]
    overrides = parse_detail_override(events.detail) if events.detail is not None else None
    factory = EventFactory(seed=events.seed)
    return [
        factory.entry(kind, chosen, amount=events.amount, overrides=overrides) for _ in range(events.count)
    ]


def _mix(text: str | None) -> dict[EventKind, float] | None:
    return parse_mix(text) if text is not None else None


def _single_ids(entry: Entry, recording: RecordingBus) -> dict[str, str]:
    """The event id EventBridge gave the one event, and its business id (orderId, userId, ...)."""
    ids: dict[str, str] = {}
    event_id = next((r["EventId"] for r in recording.results if r.get("EventId")), None)
    if event_id:
        ids["event_id"] = str(event_id)
    found = business_id(entry)
    if found is not None:
        ids[found[0]] = found[1]
    return ids


__all__ = [
    "BusOpener",
    "FromFile",
    "Generated",
    "LoadDisplay",
    "LoadOutcome",
    "LoadRequest",
    "OfKind",
    "ProgressDisplay",
    "PublishOutcome",
    "PublishRequest",
    "RunOptions",
    "loading",
    "publishing",
]
