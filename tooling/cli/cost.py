"""`tooling cost`: the monthly cost of the environment's stack for a traffic profile, line by line, and the
profile's peak against EventBridge's quotas. Thin: parse, build the profile, call the estimate, render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tooling.cli.config_cmd import resolve_config
from tooling.cli.console import make_console
from tooling.cli.options import ConfigOption, EnvOption, JsonOption, OutputsOption, TargetOption
from tooling.cost.estimate import estimate, load_region_prices
from tooling.cost.profile import MAX_EVENTS_PER_DAY, assumed_profile, measured_profile
from tooling.cost.render import render
from tooling.cost.sample import take_sample
from tooling.envlock import Mode, env_lock
from tooling.errors import UsageError
from tooling.observe.monitor import Window, parse_duration
from tooling.observe.traffic import MeasuredTraffic, traffic_request
from tooling.outputs import load_outputs, with_target
from tooling.targets import sources_for
from tooling.workspace import Workspace

MAX_AVG_SIZE = 1024 * 1024  # [publisher] max_request_bytes' ceiling: no entry is larger


def cost(
    env: EnvOption = "dev",
    config: ConfigOption = None,
    events_per_day: Annotated[
        float | None,
        typer.Option(
            "--events-per-day",
            "-n",
            min=0,
            max=MAX_EVENTS_PER_DAY,
            help="Assumed profile: events producers publish a day, in the publisher's realistic mix.",
        ),
    ] = None,
    avg_size: Annotated[
        int | None,
        typer.Option(
            "--avg-size",
            min=1,
            max=MAX_AVG_SIZE,
            help="With --events-per-day: mean PutEvents entry size in bytes (default: the sample's).",
        ),
    ] = None,
    measured: Annotated[
        bool,
        typer.Option(
            "--measured",
            help="Profile measured on the deployed environment (CloudWatch, or the local store).",
        ),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option("--since", "-s", help="With --measured: the window, e.g. 1h, 30m, 2d (default 1h)."),
    ] = None,
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    peak_factor: Annotated[
        float,
        typer.Option(
            "--peak-factor", min=1.0, max=1000.0, help="Peak traffic as a multiple of the daily mean."
        ),
    ] = 10.0,
    replay_days: Annotated[
        float,
        typer.Option(
            "--replay-days", min=0.0, max=3650.0, help="Days of events replayed from the archive a month."
        ),
    ] = 0.0,
    prices_dir: Annotated[
        Path | None,
        typer.Option("--prices", help="Folder of <region>.json price files (default: tooling/cost/prices)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Estimate what the environment's stack costs a month for a traffic profile, line by line (PutEvents,
    deliveries, replication, archive, Lambda, SQS, SNS, Firehose, S3, DynamoDB, CloudWatch, X-Ray, KMS, Step
    Functions), and check the profile's peak against EventBridge's quotas (a warning from 80 %).

    The profile is assumed with --events-per-day, or measured on the deployed environment over a window
    with --measured --since 1h. Prices come from tooling/cost/prices/<region>.json, whose sources and
    dates are printed; the Free Tier is not applied.

    Example: tooling cost --env prod --events-per-day 1000000
    """
    cfg = resolve_config(env, config)
    _check_choice(events_per_day, avg_size, measured, since)
    prices = load_region_prices(cfg, prices_dir)
    sample = take_sample(cfg)
    if measured:
        profile = measured_profile(cfg, sample, _measure(env, outputs_file, target, since or "1h"))
    else:
        assert events_per_day is not None
        profile = assumed_profile(cfg, sample, events_per_day, avg_size)
    report = estimate(
        cfg, profile, prices, Workspace.for_env(env).root, peak_factor=peak_factor, replay_days=replay_days
    )
    errors = make_console(stderr=True)
    for check in report.warnings:
        errors.print(
            f"warning: {check.region}: {check.quota} is {check.percent:.0f}% of the quota ({check.limit:,.0f})",
            style="yellow",
            markup=False,
        )
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json")))
        return
    make_console().print(render(report))


def _check_choice(
    events_per_day: float | None, avg_size: int | None, measured: bool, since: str | None
) -> None:
    if measured and events_per_day is not None:
        raise UsageError(
            "--measured and --events-per-day are two profiles; give one",
            hint="tooling cost --measured --since 1h, or tooling cost --events-per-day 100000",
        )
    if not measured and events_per_day is None:
        raise UsageError(
            "no traffic profile: give --events-per-day N or --measured",
            hint="tooling cost --env dev --events-per-day 2000 (or --measured --since 1h after publishing)",
        )
    if measured and avg_size is not None:
        raise UsageError(
            "--avg-size goes with --events-per-day", hint="--measured measures the sizes; drop it"
        )
    if not measured and since is not None:
        raise UsageError("--since goes with --measured", hint="add --measured, or drop --since")


def _measure(env: str, outputs_file: Path | None, target: str | None, since: str) -> MeasuredTraffic:
    window = Window.last(parse_duration(since))
    workspace = Workspace.for_env(env)
    with env_lock(workspace, Mode.SHARED, command="cost"):
        outputs = with_target(load_outputs(workspace, outputs_file), target)
        source = sources_for(outputs, workspace).traffic()
        try:
            return source.measure(traffic_request(outputs, window))
        finally:
            close = getattr(source, "close", None)
            if callable(close):
                close()


def register(app: typer.Typer) -> None:
    """Attach this group's commands to the root app."""
    app.command("cost")(cost)
