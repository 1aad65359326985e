"""`tooling publish order|user|payment|inventory|batch|load|file`: drive traffic through the deployed bus.

Each command turns its options into a request for tooling.publish.run, which resolves and publishes it;
tooling/cli/publish_render.py prints the outcome."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Annotated

import typer

from tooling.cli.load_line import LoadLine
from tooling.cli.locking import shares_environment
from tooling.cli.options import (
    ConfigOption,
    EnvOption,
    JsonOption,
    NoEndpointOption,
    OutputsOption,
    RegionOption,
    TargetOption,
)
from tooling.cli.publish_render import exit_code, notice, progress_bar, show, show_load
from tooling.publish.destination import Aim
from tooling.publish.events import EventKind, detail_types
from tooling.publish.run import (
    FromFile,
    Generated,
    LoadRequest,
    OfKind,
    PublishRequest,
    RunOptions,
    loading,
    publishing,
)
from tooling.targets import bus_for

publish_app = typer.Typer(
    no_args_is_help=True,
    help="Publish events to the bus: one to try a rule, a batch to exercise the system, a file to replay.",
)

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
MixOption = Annotated[
    str | None,
    typer.Option("--mix", help="Weights per kind, e.g. orders=50,users=25 (default: all four)."),
]


def _publish(request: PublishRequest, json_out: bool) -> None:
    """Publish, print the outcome (while Ctrl-C is still counted), and exit 0 only when every event was
    accepted."""
    with publishing(
        request, open_bus=bus_for, progress=None if json_out else progress_bar, notice=notice
    ) as outcome:
        show(outcome, json_out)
    if code := exit_code(outcome.summary):
        raise typer.Exit(code)


def _load(request: LoadRequest, json_out: bool) -> None:
    """As _publish, with the live line of a load run on stderr."""
    display = None if json_out else functools.partial(LoadLine, sys.stderr)
    with loading(request, open_bus=bus_for, display=display, notice=notice) as outcome:
        show_load(outcome, json_out)
    if code := exit_code(outcome.report.summary):
        raise typer.Exit(code)


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
    region: RegionOption = None,
) -> None:
    """Publish order events (source ecommerce.orders).

    Example: tooling publish order --type "Order Created" --amount 1500
    """
    aim = Aim(no_endpoint=no_endpoint, region=region)
    options = RunOptions(env, config, outputs, target, concurrency, rate, trace_header, engine, aim)
    events = OfKind("order", count, detail_type, amount, detail, seed)
    _publish(PublishRequest(events, options, validate=not no_validate), json_out)


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
    region: RegionOption = None,
) -> None:
    """Publish user events (source ecommerce.users).

    Example: tooling publish user --count 5
    """
    aim = Aim(no_endpoint=no_endpoint, region=region)
    options = RunOptions(env, config, outputs, target, concurrency, rate, trace_header, engine, aim)
    events = OfKind("user", count, detail_type, None, detail, seed)
    _publish(PublishRequest(events, options, validate=not no_validate), json_out)


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
    region: RegionOption = None,
) -> None:
    """Publish payment events (source ecommerce.payments).

    Example: tooling publish payment --amount 99.90 --detail '{"status": "failed"}'
    """
    aim = Aim(no_endpoint=no_endpoint, region=region)
    options = RunOptions(env, config, outputs, target, concurrency, rate, trace_header, engine, aim)
    events = OfKind("payment", count, detail_type, amount, detail, seed)
    _publish(PublishRequest(events, options, validate=not no_validate), json_out)


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
    region: RegionOption = None,
) -> None:
    """Publish inventory events (source ecommerce.inventory).

    Example: tooling publish inventory --type "Stock Depleted"
    """
    aim = Aim(no_endpoint=no_endpoint, region=region)
    options = RunOptions(env, config, outputs, target, concurrency, rate, trace_header, engine, aim)
    events = OfKind("inventory", count, detail_type, None, detail, seed)
    _publish(PublishRequest(events, options, validate=not no_validate), json_out)


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
    processes: ProcessesOption = None,
    no_endpoint: NoEndpointOption = False,
    region: RegionOption = None,
) -> None:
    """Publish realistic mixed traffic, batched, concurrent and from every core; --seed makes it reproducible.

    Example: tooling publish batch --count 5000 --mix orders=50,users=25,payments=25 --rate 500 --seed 7
    """
    aim = Aim(no_endpoint=no_endpoint, region=region)
    options = RunOptions(env, config, outputs, target, concurrency, rate, trace_header, engine, aim)
    _publish(PublishRequest(Generated(count, mix, seed, processes), options), json_out)


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
    processes: ProcessesOption = None,
    no_endpoint: NoEndpointOption = False,
    region: RegionOption = None,
) -> None:
    """Hold a rate of realistic traffic for a duration (it stops at --duration whatever rate it reaches): live
    progress, PutEvents latency percentiles, the requested and achieved rates and the events sent.

    Example: tooling publish load --rate 2000 --duration 60 --concurrency 16
    """
    aim = Aim(no_endpoint=no_endpoint, region=region)
    options = RunOptions(env, config, outputs, target, concurrency, None, trace_header, engine, aim)
    _load(LoadRequest(rate, duration, mix, seed, processes, options), json_out)


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
    region: RegionOption = None,
) -> None:
    """Publish your own events from a file; every event is checked (form and schema) before any is sent.

    Example: tooling publish file captured.jsonl --json
    Example: tooling events sample ec2-state-change > ec2.json && tooling publish file ec2.json --bus default
    """
    options = RunOptions(
        env, config, outputs, target, concurrency, rate, trace_header, engine, Aim(bus, no_endpoint, region)
    )
    _publish(PublishRequest(FromFile(path), options, validate=not no_validate), json_out)


def register(app: typer.Typer) -> None:
    """Attach this group's commands to the root app."""
    app.add_typer(publish_app, name="publish")


__all__ = ["publish_app", "register"]
