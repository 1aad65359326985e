"""`tooling publish order|user|payment|inventory|batch|file`: drive traffic through the deployed bus."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tooling.cli.load_line import LoadLine
from tooling.cli.locking import shares_environment
from tooling.cli.options import ConfigOption, EnvOption, JsonOption, OutputsOption, TargetOption
from tooling.errors import UsageError
from tooling.outputs import load_outputs, with_target
from tooling.publish.bus import Bus, RecordingBus
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
from tooling.publish.http_bus import ENGINES
from tooling.publish.load import planned, run_load
from tooling.publish.processes import can_fork, publish_generated
from tooling.publish.publisher import Interrupts, ProgressCallback, PublishSettings, PublishSummary, publish
from tooling.publish.schemas import business_id, validate_entries
from tooling.targets import bus_for
from tooling.workspace import Workspace

if TYPE_CHECKING:
    from tooling.config import Publisher as PublisherConfig

publish_app = typer.Typer(
    no_args_is_help=True,
    help="Publish events to the bus: one to try a rule, a batch to exercise the system, a file to replay.",
)

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
FAILURES_SHOWN = 20
# The account's default event bus, where AWS services put their events ([forwarding] forwards them).
DEFAULT_BUS = "default"

CountOption = Annotated[int, typer.Option("--count", "-n", min=1, help="How many events to publish.")]
# A finite amount with cents: inf, nan and amounts no payment system holds are usage errors (exit 2).
MAX_AMOUNT = 1_000_000_000.0
OrderAmountOption = Annotated[
    float | None,
    typer.Option(
        "--amount", min=0.01, max=MAX_AMOUNT, help="totalAmount; the line items are priced to add up to it."
    ),
]
PaymentAmountOption = Annotated[
    float | None, typer.Option("--amount", min=0.01, max=MAX_AMOUNT, help="Payment amount.")
]
DetailOption = Annotated[
    str | None,
    typer.Option(
        "--detail", help='JSON object merged over the generated detail, or @file: \'{"currency": "EUR"}\''
    ),
]
ConcurrencyOption = Annotated[
    int | None,
    typer.Option(
        "--concurrency",
        min=1,
        max=64,
        help="Most PutEvents calls in flight (default: config); senders are added while calls wait.",
    ),
]
RateOption = Annotated[
    float | None, typer.Option("--rate", min=0.01, help="Cap on events per second (default: no cap).")
]
SeedOption = Annotated[
    int | None, typer.Option("--seed", help="Seed for reproducible content (ids, amounts, kinds).")
]
TraceHeaderOption = Annotated[
    str | None,
    typer.Option("--trace-header", help="X-Ray trace header for every event (Root=1-...;Sampled=1)."),
]
NoValidateOption = Annotated[
    bool, typer.Option("--no-validate", help="Skip checking each detail against schemas/ before sending.")
]
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="aws target: http (signed PutEvents on a kept-alive connection, fastest) or boto3 (put_events).",
    ),
]
ProcessesOption = Annotated[
    int | None,
    typer.Option(
        "--processes",
        min=1,
        max=64,
        help="Worker processes for the aws target (default: one per CPU, up to 4, for 2000+ events).",
    ),
]
NoEndpointOption = Annotated[
    bool,
    typer.Option(
        "--no-endpoint",
        help="With [failover]: put on the primary region's bus instead of through the global endpoint.",
    ),
]
PROGRESS_REDRAW = 0.2
# Below this many events a second process costs more (fork, its own connections) than it brings.
PROCESSES_FROM = 2000
MAX_AUTO_PROCESSES = 4
MixOption = Annotated[
    str | None,
    typer.Option("--mix", help="Weights per kind, e.g. orders=50,users=25 (default: all four)."),
]


@dataclass(frozen=True)
class SendOptions:
    env: str
    config: Path | None
    outputs: Path | None
    target: str | None
    concurrency: int | None
    rate: float | None
    trace_header: str | None
    json_out: bool
    validate: bool = True
    engine: str = "http"
    # None: the environment's custom bus; "default": the account's default bus (publish file --bus).
    bus: str | None = None
    # [failover]: through the global endpoint (False: to the primary region's bus, --no-endpoint).
    endpoint: bool = True


@dataclass(frozen=True)
class Generated:
    """A `publish batch` run: its events are generated where they are sent (in each worker process)."""

    count: int
    mix: dict[EventKind, float] | None
    seed: int | None
    processes: int | None


def _publisher_config(env: str, config: Path | None) -> PublisherConfig:
    """The [publisher] settings: from --config, else environments/<env>.toml when present, else defaults."""
    # Imported here, not at the top: a command's start-up is what `tooling publish` users wait for.
    from tooling.config import Publisher as PublisherConfig
    from tooling.config import load_config

    if config is not None:
        from tooling.cli.config_cmd import resolve_config

        return resolve_config(env, config).publisher
    default = Workspace.for_env(env).default_config
    return load_config(default).publisher if default.is_file() else PublisherConfig()


def _check_trace_header(value: str | None) -> str | None:
    if value is not None and (not 1 <= len(value) <= 500 or "Root=" not in value):
        raise UsageError(
            "--trace-header must be an X-Ray trace header of at most 500 characters",
            hint="e.g. --trace-header 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1'",
        )
    return value


def _event_bus(bus: str | None, custom_bus: str) -> str | None:
    """The bus `--bus` names: None for the environment's custom bus, "default" for the account's."""
    if bus is None or bus == custom_bus:
        return None
    if bus == DEFAULT_BUS:
        return DEFAULT_BUS
    raise UsageError(
        f"--bus {bus!r} is neither the environment's bus ({custom_bus}) nor the default bus",
        hint="pass --bus default (AWS service events for the forwarding rule), or leave --bus out",
    )


def _check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise UsageError(
            f"--engine {engine!r} is not an engine; use one of: {', '.join(ENGINES)}",
            hint="--engine http is the default; --engine boto3 sends through boto3's put_events",
        )
    return engine


def _processes(generated: Generated, settings: PublishSettings, target: str) -> int:
    """Workers for a generated run: as asked, else one per CPU (up to 4) for large aws runs. The local
    target publishes into one SQLite store from one process."""
    if target == "local" or not can_fork():
        return 1
    if generated.processes is not None:
        return generated.processes
    if generated.count < PROCESSES_FROM or (settings.rate is not None and settings.rate < PROCESSES_FROM):
        return 1
    # The CPUs this process may run on (a container or taskset may allow fewer than the machine has).
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(usable, MAX_AUTO_PROCESSES))


def _send(
    options: SendOptions, entries: Iterable[Entry], total: int, generated: Generated | None = None
) -> None:
    """Publish, render the summary, and exit 0 only when every event was accepted. A list of entries is
    checked against the schemas first (unless --no-validate): a broken one stops the run before sending."""
    if options.validate and isinstance(entries, list):
        validate_entries(entries)
    trace_header = _check_trace_header(options.trace_header)
    cfg = _publisher_config(options.env, options.config)
    settings = PublishSettings(
        max_request_bytes=cfg.max_request_bytes,
        max_attempts=cfg.max_attempts,
        concurrency=options.concurrency or cfg.concurrency,
        rate=options.rate,
        trace_header=trace_header,
    )
    workspace = Workspace.for_env(options.env)
    outputs = with_target(load_outputs(workspace, options.outputs), options.target)
    event_bus = _event_bus(options.bus, outputs.event_bus_name)
    bus: Bus = bus_for(
        outputs, workspace, _check_engine(options.engine), event_bus=event_bus, endpoint=options.endpoint
    )
    single = isinstance(entries, list) and len(entries) == 1
    recording = RecordingBus(bus) if single else None
    if recording is not None:
        bus = recording

    workers = _processes(generated, settings, outputs.target) if generated is not None else 1
    interrupts = Interrupts()

    def run(progress: ProgressCallback | None) -> PublishSummary:
        if generated is None:
            return publish(
                bus, entries, settings, total=total, progress=progress, notice=_notice, interrupts=interrupts
            )
        return publish_generated(
            bus,
            generated.count,
            mix=generated.mix,
            seed=generated.seed,
            settings=settings,
            processes=workers,
            progress=progress,
            notice=_notice,
            interrupts=interrupts,
        )

    # From the first call to the printed summary Ctrl-C is counted, never raised: the run stops (and a second
    # press stops waiting for calls on the wire), and the summary it reports is printed whole.
    with interrupts.on_sigint():
        if options.json_out or total <= 1:
            summary = run(None)
        else:
            # Workers are forked: no thread (rich's refresher) may be running in this process when they are.
            summary = _publish_with_progress(run, total, refresh_thread=workers == 1)

        ids = _single_ids(entries, recording) if isinstance(entries, list) and recording is not None else {}
        if options.json_out:
            print(json.dumps({**summary.as_json(), **ids}), flush=True)
        else:
            _render(summary, total, options.bus or outputs.event_bus_name)
            if ids:
                typer.echo("  ".join(f"{key} {value}" for key, value in ids.items()))
    if summary.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if not summary.ok:
        raise typer.Exit(EXIT_FAILED)


def _notice(line: str) -> None:
    """A diagnostic for the person at the terminal (what an interrupted run waits for), on stderr."""
    print(line, file=sys.stderr, flush=True)


def _single_ids(entries: list[Entry], recording: RecordingBus) -> dict[str, str]:
    """The event id EventBridge gave the one event, and its business id (orderId, userId, ...)."""
    ids: dict[str, str] = {}
    event_id = next((r["EventId"] for r in recording.results if r.get("EventId")), None)
    if event_id:
        ids["event_id"] = str(event_id)
    found = business_id(entries[0])
    if found is not None:
        ids[found[0]] = found[1]
    return ids


def _publish_with_progress(
    run: Callable[[ProgressCallback], PublishSummary], total: int, *, refresh_thread: bool = True
) -> PublishSummary:
    """Run with a progress bar on stderr. Without `refresh_thread` the bar is redrawn from the progress
    callback (at most every PROGRESS_REDRAW seconds) instead of by rich's background thread."""
    # rich (~25 ms to import) only where a person reads the output: `--json` runs never load it.
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("publishing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
    )
    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=False, auto_refresh=refresh_thread) as progress:
        task = progress.add_task("publish", total=total, failed=0)
        failed = 0
        drawn = time.monotonic()

        def advance(accepted: int, newly_failed: int) -> None:
            nonlocal failed, drawn
            failed += newly_failed
            progress.update(task, advance=accepted + newly_failed, failed=failed)
            if not refresh_thread and time.monotonic() - drawn >= PROGRESS_REDRAW:
                progress.refresh()
                drawn = time.monotonic()

        return run(advance)


def _render(summary: PublishSummary, total: int, bus_name: str) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    out = Console(highlight=False)
    status = "[green]ok[/green]" if summary.ok else "[red]incomplete[/red]"
    unknown = f", {summary.unknown} unknown (may have been accepted)" if summary.unknown else ""
    out.print(
        f"{status}: published {summary.published} of {total} event(s) to {escape(bus_name)} "
        f"in {summary.seconds:.2f} s ({summary.events_per_second:.0f} events/s), {summary.failed} failed"
        + unknown
        + (" [yellow](interrupted)[/yellow]" if summary.interrupted else "")
    )
    if summary.failures:
        table = Table("index", "events", "code", "message")
        for failure in summary.failures[:FAILURES_SHOWN]:
            table.add_row(
                str(failure.index), str(failure.count), escape(failure.code), escape(failure.message)
            )
        out.print(table)
        if len(summary.failures) > FAILURES_SHOWN:
            out.print(f"... and {len(summary.failures) - FAILURES_SHOWN} more (use --json for all of them)")
    if summary.unknown_events:
        out.print(
            "unknown: these events may have been accepted; a re-send should skip them (or rely on consumers "
            "de-duplicating on idempotencyKey)"
        )
        table = Table("index", "events", "ids", "why")
        for unknown_event in summary.unknown_events[:FAILURES_SHOWN]:
            ids = " ".join(f"{key}={value}" for key, value in unknown_event.ids.items())
            table.add_row(
                str(unknown_event.index), str(unknown_event.count), escape(ids), escape(unknown_event.reason)
            )
        out.print(table)
        if len(summary.unknown_events) > FAILURES_SHOWN:
            shown = len(summary.unknown_events) - FAILURES_SHOWN
            out.print(f"... and {shown} more (use --json for all of them)")


def _kind(
    kind: EventKind,
    detail_type: str | None,
    amount: float | None,
    detail: str | None,
    count: int,
    seed: int | None,
    options: SendOptions,
) -> None:
    chosen = check_detail_type(kind, detail_type) if detail_type else detail_types(kind)[0]
    overrides = parse_detail_override(detail) if detail is not None else None
    factory = EventFactory(seed=seed)
    entries = [factory.entry(kind, chosen, amount=amount, overrides=overrides) for _ in range(count)]
    _send(options, entries, count)


def _type_help(kind: EventKind) -> str:
    return "Detail-type: " + " | ".join(f'"{t}"' for t in detail_types(kind)) + " (default: the first)."


@publish_app.command("order")
@shares_environment("publish order")
def order(
    detail_type: Annotated[str | None, typer.Option("--type", help=_type_help("order"))] = None,
    amount: OrderAmountOption = None,
    detail: DetailOption = None,
    count: CountOption = 1,
    seed: SeedOption = None,
    concurrency: ConcurrencyOption = None,
    rate: RateOption = None,
    trace_header: TraceHeaderOption = None,
    env: EnvOption = "dev",
    config: ConfigOption = None,
    outputs: OutputsOption = None,
    target: TargetOption = None,
    json_out: JsonOption = False,
    no_validate: NoValidateOption = False,
    engine: EngineOption = "http",
    no_endpoint: NoEndpointOption = False,
) -> None:
    """Publish order events (source ecommerce.orders).

    Example: tooling publish order --type "Order Created" --amount 1500
    """
    options = SendOptions(
        env, config, outputs, target, concurrency, rate, trace_header, json_out, not no_validate, engine,
        endpoint=not no_endpoint,
    )  # fmt: skip
    _kind("order", detail_type, amount, detail, count, seed, options)


@publish_app.command("user")
@shares_environment("publish user")
def user(
    detail_type: Annotated[str | None, typer.Option("--type", help=_type_help("user"))] = None,
    detail: DetailOption = None,
    count: CountOption = 1,
    seed: SeedOption = None,
    concurrency: ConcurrencyOption = None,
    rate: RateOption = None,
    trace_header: TraceHeaderOption = None,
    env: EnvOption = "dev",
    config: ConfigOption = None,
    outputs: OutputsOption = None,
    target: TargetOption = None,
    json_out: JsonOption = False,
    no_validate: NoValidateOption = False,
    engine: EngineOption = "http",
    no_endpoint: NoEndpointOption = False,
) -> None:
    """Publish user events (source ecommerce.users).

    Example: tooling publish user --count 5
    """
    options = SendOptions(
        env, config, outputs, target, concurrency, rate, trace_header, json_out, not no_validate, engine,
        endpoint=not no_endpoint,
    )  # fmt: skip
    _kind("user", detail_type, None, detail, count, seed, options)


@publish_app.command("payment")
@shares_environment("publish payment")
def payment(
    detail_type: Annotated[str | None, typer.Option("--type", help=_type_help("payment"))] = None,
    amount: PaymentAmountOption = None,
    detail: DetailOption = None,
    count: CountOption = 1,
    seed: SeedOption = None,
    concurrency: ConcurrencyOption = None,
    rate: RateOption = None,
    trace_header: TraceHeaderOption = None,
    env: EnvOption = "dev",
    config: ConfigOption = None,
    outputs: OutputsOption = None,
    target: TargetOption = None,
    json_out: JsonOption = False,
    no_validate: NoValidateOption = False,
    engine: EngineOption = "http",
    no_endpoint: NoEndpointOption = False,
) -> None:
    """Publish payment events (source ecommerce.payments).

    Example: tooling publish payment --amount 99.90 --detail '{"status": "failed"}'
    """
    options = SendOptions(
        env, config, outputs, target, concurrency, rate, trace_header, json_out, not no_validate, engine,
        endpoint=not no_endpoint,
    )  # fmt: skip
    _kind("payment", detail_type, amount, detail, count, seed, options)


@publish_app.command("inventory")
@shares_environment("publish inventory")
def inventory(
    detail_type: Annotated[str | None, typer.Option("--type", help=_type_help("inventory"))] = None,
    detail: DetailOption = None,
    count: CountOption = 1,
    seed: SeedOption = None,
    concurrency: ConcurrencyOption = None,
    rate: RateOption = None,
    trace_header: TraceHeaderOption = None,
    env: EnvOption = "dev",
    config: ConfigOption = None,
    outputs: OutputsOption = None,
    target: TargetOption = None,
    json_out: JsonOption = False,
    no_validate: NoValidateOption = False,
    engine: EngineOption = "http",
    no_endpoint: NoEndpointOption = False,
) -> None:
    """Publish inventory events (source ecommerce.inventory).

    Example: tooling publish inventory --type "Stock Depleted"
    """
    options = SendOptions(
        env, config, outputs, target, concurrency, rate, trace_header, json_out, not no_validate, engine,
        endpoint=not no_endpoint,
    )  # fmt: skip
    _kind("inventory", detail_type, None, detail, count, seed, options)


@publish_app.command("batch")
@shares_environment("publish batch")
def batch(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="How many events to publish.")] = 100,
    mix: MixOption = None,
    seed: SeedOption = None,
    concurrency: ConcurrencyOption = None,
    rate: RateOption = None,
    trace_header: TraceHeaderOption = None,
    env: EnvOption = "dev",
    config: ConfigOption = None,
    outputs: OutputsOption = None,
    target: TargetOption = None,
    json_out: JsonOption = False,
    engine: EngineOption = "http",
    no_endpoint: NoEndpointOption = False,
    processes: ProcessesOption = None,
) -> None:
    """Publish realistic mixed traffic, batched, concurrent and from every core; --seed makes it reproducible.

    Example: tooling publish batch --count 5000 --mix orders=50,users=25,payments=25 --rate 500 --seed 7
    """
    weights = parse_mix(mix) if mix is not None else None
    options = SendOptions(
        env, config, outputs, target, concurrency, rate, trace_header, json_out, engine=engine,
        endpoint=not no_endpoint,
    )  # fmt: skip
    _send(options, (), count, Generated(count, weights, seed, processes))


@publish_app.command("load")
@shares_environment("publish load")
def load(
    rate: Annotated[float, typer.Option("--rate", min=0.1, help="Events per second to hold.")],
    duration: Annotated[
        float,
        typer.Option(
            "--duration",
            min=0.1,
            max=86400,
            help="Seconds to send for: no call starts later, whatever the rate.",
        ),
    ],
    mix: MixOption = None,
    seed: SeedOption = None,
    concurrency: ConcurrencyOption = None,
    trace_header: TraceHeaderOption = None,
    env: EnvOption = "dev",
    config: ConfigOption = None,
    outputs: OutputsOption = None,
    target: TargetOption = None,
    json_out: JsonOption = False,
    engine: EngineOption = "http",
    no_endpoint: NoEndpointOption = False,
    processes: ProcessesOption = None,
) -> None:
    """Hold a rate of realistic traffic for a duration (it stops at --duration whatever rate it reaches): live
    progress, PutEvents latency percentiles, the requested and achieved rates and the events sent.

    Example: tooling publish load --rate 2000 --duration 60 --concurrency 16
    """
    weights = parse_mix(mix) if mix is not None else None
    count = planned(rate, duration)
    cfg = _publisher_config(env, config)
    settings = PublishSettings(
        max_request_bytes=cfg.max_request_bytes,
        max_attempts=cfg.max_attempts,
        concurrency=concurrency or cfg.concurrency,
        rate=rate,
        trace_header=_check_trace_header(trace_header),
    )
    workspace = Workspace.for_env(env)
    deployed = with_target(load_outputs(workspace, outputs), target)
    bus = bus_for(deployed, workspace, _check_engine(engine), endpoint=not no_endpoint)
    workers = _processes(Generated(count, weights, seed, processes), settings, deployed.target)
    line = None if json_out else LoadLine(sys.stderr, count)
    interrupts = Interrupts()
    with interrupts.on_sigint():  # as in _send: Ctrl-C stops the run, the summary is still printed whole
        report = run_load(
            bus,
            rate=rate,
            duration=duration,
            settings=settings,
            processes=workers,
            mix=weights,
            seed=seed,
            tick=line.tick if line is not None else None,
            notice=_notice,
            interrupts=interrupts,
        )
        if line is not None:
            line.close()
        summary = report.summary
        if json_out:
            print(json.dumps(report.as_json()), flush=True)
        else:
            _render(summary, report.sent, deployed.event_bus_name)
            figures = report.latency_ms()
            typer.echo(
                f"rate: {report.achieved_rate:.0f} events/s achieved of {rate:g} requested: sent {report.sent} "
                f"of {count} planned in {summary.seconds:.1f} s (duration {duration:g} s); PutEvents latency "
                f"over {len(report.latencies)} calls: "
                + ", ".join(f"{name} {value:.1f} ms" for name, value in figures.items())
            )
    if summary.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if not summary.ok:
        raise typer.Exit(EXIT_FAILED)


@publish_app.command("file")
@shares_environment("publish file")
def file(
    path: Annotated[
        Path,
        typer.Argument(
            help="JSON lines, a JSON array or one JSON object: PutEvents entries or EventBridge events "
            "('-' for stdin)."
        ),
    ],
    concurrency: ConcurrencyOption = None,
    rate: RateOption = None,
    trace_header: TraceHeaderOption = None,
    env: EnvOption = "dev",
    config: ConfigOption = None,
    outputs: OutputsOption = None,
    target: TargetOption = None,
    json_out: JsonOption = False,
    no_validate: NoValidateOption = False,
    bus: Annotated[
        str | None,
        typer.Option(
            "--bus",
            help="'default': the account's default bus, where AWS service events (aws.ec2, ...) arrive and "
            "the [forwarding] rule forwards them (default: the environment's bus).",
        ),
    ] = None,
    engine: EngineOption = "http",
    no_endpoint: NoEndpointOption = False,
) -> None:
    """Publish your own events from a file; every event is checked (form and schema) before any is sent.

    Example: tooling publish file captured.jsonl --json
    Example: tooling events sample ec2-state-change > ec2.json && tooling publish file ec2.json --bus default
    """
    entries = read_entries(path)
    if not entries:
        raise UsageError(
            f"{path} holds no events", hint="write one PutEvents entry or EventBridge event per line"
        )
    options = SendOptions(
        env,
        config,
        outputs,
        target,
        concurrency,
        rate,
        trace_header,
        json_out,
        not no_validate,
        engine,
        bus=bus,
        endpoint=not no_endpoint,
    )
    _send(options, entries, len(entries))


def register(app: typer.Typer) -> None:
    """Attach this group's commands to the root app."""
    app.add_typer(publish_app, name="publish")


__all__ = ["publish_app", "register"]
