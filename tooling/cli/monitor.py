"""`tooling monitor`, `tooling logs`, `tooling replay`: watch the deployed environment, read its logs, replay
its archive. Thin: parse, call one core function, render."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import RenderableType
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from tooling.cli.console import is_plain, make_console
from tooling.cli.locking import shares_environment
from tooling.envlock import Mode, env_lock, stderr_line
from tooling.observe.event_store import EventStoreSource
from tooling.observe.logs import LogSource, collect_logs, follow_logs, log_groups
from tooling.observe.monitor import MonitorSource, Snapshot, build_snapshot, parse_duration
from tooling.observe.render import render, render_log_event, render_replay
from tooling.observe.replay import ReplayStatus, build_request, parse_time, start_replay, wait_for_replay
from tooling.observe.watch import Followed, FollowedLogSource, Unavailable
from tooling.outputs import DeploymentOutputs, load_outputs, with_target
from tooling.targets import Sources, sources_for, state_identity
from tooling.workspace import Workspace

from .options import EnvOption, JsonOption, OutputsOption, TargetOption

_sleep = time.sleep  # module attribute so tests can stop a --watch / --follow loop

T = TypeVar("T")

SinceOption = Annotated[str, typer.Option("--since", "-s", help="How far back: 90s, 15m, 1h, 2d, 1h30m.")]


def _sources(env: str, outputs_file: Path | None, target: str | None) -> tuple[DeploymentOutputs, Sources]:
    workspace = Workspace.for_env(env)
    outputs = with_target(load_outputs(workspace, outputs_file), target)
    return outputs, sources_for(outputs, workspace)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, sort_keys=False))


def _close(*sources: object) -> None:
    for source in sources:
        close = getattr(source, "close", None)
        if callable(close):
            close()


@dataclass(frozen=True)
class _MonitorSources:
    outputs: DeploymentOutputs
    monitor: MonitorSource
    event_store: EventStoreSource | None


def _monitor_sources(env: str, outputs_file: Path | None, target: str | None) -> _MonitorSources:
    outputs, sources = _sources(env, outputs_file, target)
    store = sources.event_store() if outputs.event_store_table_name else None
    return _MonitorSources(outputs, sources.monitor(), store)


def _followed(
    env: str,
    outputs_file: Path | None,
    target: str | None,
    open_sources: Callable[[], T],
    close: Callable[[T], None],
    command: str,
) -> Followed[T]:
    """Sources a --watch / --follow reads through: the lock per refresh, reopened when the environment
    is replaced (tooling/observe/watch.py)."""
    workspace = Workspace.for_env(env)
    return Followed(
        workspace,
        open_sources,
        lambda: state_identity(workspace, outputs_file, target),
        close=close,
        command=command,
        notify=stderr_line,
    )


def monitor(
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    since: SinceOption = "1h",
    as_json: JsonOption = False,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            "-w",
            help="Redraw until Ctrl-C, the health verdict first; piped, a full snapshot per interval.",
        ),
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", "-i", min=1.0, help="Seconds between redraws with --watch.")
    ] = 5.0,
    peek: Annotated[
        int,
        typer.Option(
            "--peek",
            min=0,
            max=100,
            help="Show up to N messages per non-empty queue (VisibilityTimeout 0: they stay visible).",
        ),
    ] = 0,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when the health verdict is not OK (for CI and cron).")
    ] = False,
) -> None:
    """Show the bus, rules, functions, queues, alarms and a health verdict.

    Rule and function metrics cover the --since window; queue counts and alarm states are current. With
    --watch an environment applied again, destroyed or replaced elsewhere is reopened (said on stderr).

    Example: tooling monitor --since 1h --peek 3
    """
    window = parse_duration(since)

    def snap(opened: _MonitorSources) -> Snapshot:
        return build_snapshot(opened.monitor, opened.outputs, window, peek, event_store=opened.event_store)

    if not watch:
        with env_lock(Workspace.for_env(env), Mode.SHARED, command="monitor"):
            snapshot = snap(_monitor_sources(env, outputs_file, target))
        if as_json:
            _print_json(snapshot.model_dump(mode="json"))
        else:
            make_console().print(render(snapshot))
        if check and snapshot.health.status != "OK":
            raise typer.Exit(code=1)
        return
    followed = _followed(
        env,
        outputs_file,
        target,
        lambda: _monitor_sources(env, outputs_file, target),
        lambda opened: _close(opened.monitor, opened.event_store),
        "monitor --watch",
    )
    followed.start()
    try:
        _watch(followed, snap, as_json, interval)
    except KeyboardInterrupt:
        return
    finally:
        followed.close()


def _watch(
    followed: Followed[_MonitorSources],
    snap: Callable[[_MonitorSources], Snapshot],
    as_json: bool,
    interval: float,
) -> None:
    """Redraw every `interval` until interrupted; a refresh with nothing to show (the environment is being
    replaced, or gone) is said once on stderr and, on a terminal, in place of the dashboard."""
    if as_json:  # one JSON object per line, one line per interval
        while True:
            frame = followed.refresh(snap)
            if isinstance(frame, Snapshot):
                _print_json(frame.model_dump(mode="json"))
            _sleep(interval)
    console = make_console()
    if is_plain(console):  # a pipe or a file: every interval's snapshot in full, one after another
        while True:
            frame = followed.refresh(snap)
            if isinstance(frame, Snapshot):
                console.print(render(frame, health_first=True))
                console.print()
            _sleep(interval)

    def draw(frame: Snapshot | Unavailable) -> RenderableType:
        return render(frame, health_first=True) if isinstance(frame, Snapshot) else Text(frame.reason)

    with Live(draw(followed.refresh(snap)), console=console, auto_refresh=False) as live:
        while True:
            _sleep(interval)
            live.update(draw(followed.refresh(snap)), refresh=True)


def logs(
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    function: Annotated[
        list[str] | None,
        typer.Option(
            "--function", "-f", help="processor, notifier or analytics (repeat, or a,b); default: all."
        ),
    ] = None,
    since: SinceOption = "15m",
    follow: Annotated[bool, typer.Option("--follow", help="Keep printing new events until Ctrl-C.")] = False,
    text: Annotated[
        str | None, typer.Option("--filter", help="Only events whose message contains TEXT.")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="JSON: one object ({groups, events}); one event per line with --follow."),
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.5, help="Seconds between polls with --follow.")
    ] = 2.0,
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", min=1, help="Only the newest N events of the window (newest last)."),
    ] = 200,
    metrics: Annotated[
        bool,
        typer.Option("--metrics", help="Also show EMF metric lines (hidden: they are CloudWatch's input)."),
    ] = False,
) -> None:
    """Print the functions' log events, merged in time order, the newest last.

    Structured (JSON) log lines are pretty-printed; --follow keeps printing new ones until Ctrl-C (and
    reopens an environment applied again, destroyed or replaced elsewhere).

    Example: tooling logs --function processor --since 30m --filter ERROR --limit 50
    """
    chosen = [name.strip() for value in function or [] for name in value.split(",") if name.strip()]
    window = parse_duration(since)
    console = make_console()
    if follow:
        _follow(env, outputs_file, target, chosen, window, text, as_json, interval, limit, metrics)
        return
    with env_lock(Workspace.for_env(env), Mode.SHARED, command="logs"):
        outputs, sources = _sources(env, outputs_file, target)
        groups = log_groups(outputs, chosen)
        events = collect_logs(
            sources.logs(), groups, datetime.now(UTC) - window, None, text, limit=limit, metrics=metrics
        )
    if len(events) == limit:
        make_console(stderr=True).print(f"the newest {limit} events; --limit N for more", style="dim")
    if as_json:
        _print_json({"groups": groups, "events": [e.model_dump(mode="json") for e in events]})
        return
    for event in events:
        console.print(render_log_event(event, one_line=is_plain(console)))
    if not events:
        make_console(stderr=True).print(
            f"no log events in the last {since} for {', '.join(groups)}", style="dim"
        )


def _follow(
    env: str,
    outputs_file: Path | None,
    target: str | None,
    chosen: list[str],
    window: timedelta,
    text: str | None,
    as_json: bool,
    interval: float,
    limit: int,
    metrics: bool,
) -> None:
    def open_sources() -> tuple[DeploymentOutputs, LogSource]:
        outputs, sources = _sources(env, outputs_file, target)
        return outputs, sources.logs()

    followed = _followed(
        env, outputs_file, target, open_sources, lambda opened: _close(opened[1]), "logs --follow"
    )
    outputs, _ = followed.start()
    groups = log_groups(outputs, chosen)
    console = make_console()
    try:
        for event in follow_logs(
            FollowedLogSource(followed),
            groups,
            window,
            text,
            interval,
            sleep=_sleep,
            limit=limit,
            metrics=metrics,
        ):
            if as_json:
                _print_json(event.model_dump(mode="json"))
            else:
                console.print(render_log_event(event, one_line=is_plain(console)))
    except KeyboardInterrupt:
        return
    finally:
        followed.close()


@shares_environment("replay")
def replay(
    start: Annotated[
        str, typer.Option("--start", help="First event time: ISO 8601 (UTC if no offset) or 2h ago.")
    ],
    end: Annotated[
        str, typer.Option("--end", help="End of the event range (exclusive): ISO 8601, `now`, 10m.")
    ],
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    rules: Annotated[
        str | None,
        typer.Option("--rules", help="Replay only to these rules (comma-separated); default: all."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the replay with a progress bar until it ends.")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.5, help="Seconds between polls with --wait.")
    ] = 5.0,
    timeout: Annotated[
        str, typer.Option("--timeout", help="Give up waiting after this long (the replay goes on).")
    ] = "1h",
    as_json: JsonOption = False,
) -> None:
    """Replay archived events of a time range onto the bus.

    Example: tooling replay --start 2h --end now --rules order-events --wait
    """
    now = datetime.now(UTC)
    starts_at, ends_at = parse_time(start, now), parse_time(end, now)
    wait_for = parse_duration(timeout).total_seconds()
    outputs, sources = _sources(env, outputs_file, target)
    rule_names = [r.strip() for r in (rules or "").split(",") if r.strip()]
    request = build_request(outputs, starts_at, ends_at, rule_names, now)
    source = sources.replay()
    status = start_replay(source, request)
    if wait:
        status = _wait(source, status, interval, wait_for)
    if as_json:
        _print_json({"request": request.model_dump(mode="json"), "replay": status.model_dump(mode="json")})
    else:
        make_console().print(render_replay(status))


def _wait(source: Any, started: ReplayStatus, interval: float, timeout: float) -> ReplayStatus:
    err = make_console(stderr=True)
    with Progress(
        TextColumn("replay {task.fields[state]}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=is_plain(err),
    ) as progress:
        task = progress.add_task("replay", total=1.0, state=started.state)

        def show(status: ReplayStatus) -> None:
            progress.update(task, completed=status.progress, state=status.state)

        return wait_for_replay(
            source, started.name, interval=interval, timeout=timeout, on_progress=show, sleep=_sleep
        )


def register(app: typer.Typer) -> None:
    """Attach this group's commands to the root app."""
    app.command("monitor")(monitor)
    app.command("logs")(logs)
    app.command("replay")(replay)
