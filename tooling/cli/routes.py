"""`tooling routes diff`: what a routing change does to real traffic. Thin: the sides and the events are
opened here (the deployment's through tooling/targets.py), the diff is tooling/routes/run.py."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress as RichProgress
from rich.progress import TextColumn, TimeElapsedColumn

from tooling.cli.config_cmd import resolve_config
from tooling.cli.options import ConfigOption, EnvOption, JsonOption, OutputsOption, TargetOption
from tooling.config import load_config
from tooling.envlock import Mode, env_lock
from tooling.errors import DamagedStateError, UsageError
from tooling.outputs import load_outputs, with_target
from tooling.routes import chunks
from tooling.routes.configs import config_at_ref
from tooling.routes.model import SUFFIX_PLACEHOLDER, Routes, routes_from_config
from tooling.routes.render import render_markdown, render_text
from tooling.routes.report import DiffReport, FailOn
from tooling.routes.run import DEFAULT_EXAMPLES, DiffOptions, EventInput, Progress, diff_routes
from tooling.routes.sample_events import write_sample
from tooling.targets import Sources, sources_for
from tooling.workspace import Workspace

EXIT_FAIL_ON = 1
FAIL_ON = ("lost", "gained", "any")

routes_app = typer.Typer(
    no_args_is_help=True,
    help="Routing changes before they ship: compare two routing tables over real (archived) events.",
)


def _day(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not a date", hint=f"use YYYY-MM-DD, e.g. {option} 2026-11-01"
        ) from None


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    return str(path)


def _suffix(workspace: Workspace) -> str:
    try:
        return workspace.recorded_suffix() or SUFFIX_PLACEHOLDER
    except DamagedStateError:  # names in a preview; apply and doctor name the damage
        return SUFFIX_PLACEHOLDER


@routes_app.command("diff")
def diff_cmd(
    base: Annotated[
        str | None,
        typer.Option("--base", help="Compare with the environment file at this git ref (git show)."),
    ] = None,
    deployed: Annotated[
        bool, typer.Option("--deployed", help="Compare with the rules as deployed (the outputs' target).")
    ] = False,
    before: Annotated[
        Path | None, typer.Option("--before", help="Compare with this environment file.")
    ] = None,
    after: Annotated[
        Path | None, typer.Option("--after", help="The new routing table (default: the environment file).")
    ] = None,
    events: Annotated[
        list[str] | None,
        typer.Option("--events", help="JSON-lines events file (.gz read too; - for stdin); repeatable."),
    ] = None,
    s3_archive_flag: Annotated[
        bool, typer.Option("--s3-archive", help="Events from the deployment's S3 event archive.")
    ] = False,
    bus_archive: Annotated[
        bool, typer.Option("--bus-archive", help="Events from the bus's EventBridge archive (local target).")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="Archive days from this one (YYYY-MM-DD, UTC).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Archive days up to this one, included.")
    ] = None,
    sample: Annotated[
        int | None, typer.Option("--sample", min=1, help="Evaluate a uniform sample of this many events.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="The sample's seed.")] = 7,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Worker processes (0: up to 2).")] = 0,
    examples: Annotated[
        int, typer.Option("--examples", min=0, max=20, help="Example events per rule and target.")
    ] = DEFAULT_EXAMPLES,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on", help="Exit 1 when events were lost, gained, or any: either, or a payload changed."
        ),
    ] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown (a job summary).")] = False,
    env: EnvOption = "dev",
    config: ConfigOption = None,
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    json_out: JsonOption = False,
) -> None:
    """Compare the routing of two configs over real events: per rule and per target, the events matched
    before and after, gained and lost (with example ids and the field that decided), input transformer
    output changes, and targets that would receive nothing (exit 1 with --fail-on when that happened).

    Example: tooling routes diff --base main --s3-archive --since 2026-11-01 --until 2026-11-30 --sample 100000
    """
    if sum((base is not None, deployed, before is not None)) != 1:
        raise UsageError(
            "name one routing table to compare with: --base REF, --deployed or --before FILE",
            hint="e.g. --base main (the environment file at a git ref), --deployed, or --before OLD.toml",
        )
    if sum((bool(events), s3_archive_flag, bus_archive)) != 1:
        raise UsageError(
            "name one source of events: --events FILE (repeatable), --s3-archive or --bus-archive",
            hint="e.g. --s3-archive --since 2026-11-01, or --events archive.jsonl.gz",
        )
    if (since or until) and events:
        raise UsageError(
            "--since/--until select archive days", hint="use them with --s3-archive or --bus-archive"
        )
    if fail_on is not None and fail_on not in FAIL_ON:
        raise UsageError(
            f"--fail-on {fail_on!r} is not one of {', '.join(FAIL_ON)}", hint="e.g. --fail-on lost"
        )
    if json_out and markdown:
        raise UsageError(
            "--json and --markdown are two outputs; choose one", hint="drop --json or --markdown"
        )
    first, last = _day("--since", since), _day("--until", until)
    if first is not None and last is not None and first > last:
        raise UsageError(f"--since {since} is after --until {until}", hint="swap them")
    if events:
        chunks.check_files(events)

    workspace = Workspace.for_env(env)
    new_config = load_config(after) if after is not None else resolve_config(env, config)
    suffix = _suffix(workspace)
    new = routes_from_config(
        new_config,
        _shown(after) if after else f"{_shown(config or workspace.default_config)} (working tree)",
        suffix,
    )
    reads_state = deployed or s3_archive_flag or bus_archive
    with contextlib.ExitStack() as stack:
        if reads_state:
            stack.enter_context(env_lock(workspace, Mode.SHARED, command="routes diff"))
        sources: Sources | None = None
        if reads_state:
            sources = sources_for(with_target(load_outputs(workspace, outputs_file), target), workspace)
        old = _old_routes(base, before, deployed, config or workspace.default_config, suffix, sources, stack)
        event_input = _events(events, s3_archive_flag, first, last, sources, stack)
        options = DiffOptions(sample=sample, seed=seed, workers=workers, examples=examples)
        report = _with_progress(lambda show: diff_routes(old, new, event_input, options, show))
    if json_out:
        typer.echo(report.model_dump_json())
    elif markdown:
        typer.echo(render_markdown(report), nl=False)
    else:
        for line in render_text(report):
            typer.echo(line)
    choice: FailOn | None = fail_on  # type: ignore[assignment]  # checked against FAIL_ON above
    if report.failed(choice):
        raise typer.Exit(code=EXIT_FAIL_ON)


def _with_progress(run: Callable[[Progress], DiffReport]) -> DiffReport:
    """A live count of the events read on stderr while the diff runs (at a terminal only; it disappears)."""
    err = Console(stderr=True)
    with RichProgress(
        TextColumn("routes diff: {task.fields[what]} {task.completed:,.0f} events"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("diff", total=None, what="reading")

        def show(what: str, done: int) -> None:
            progress.update(task, completed=done, what=what)

        return run(show)


def _old_routes(
    base: str | None,
    before: Path | None,
    deployed: bool,
    config_path: Path,
    suffix: str,
    sources: Sources | None,
    stack: contextlib.ExitStack,
) -> Routes:
    if base is not None:
        old_config, origin = config_at_ref(config_path, base)
        return routes_from_config(old_config, origin, suffix)
    if before is not None:
        return routes_from_config(load_config(before), _shown(before), suffix)
    assert deployed and sources is not None
    source = sources.routes()
    stack.callback(source.close)
    return source.deployed_routes()


def _events(
    files: list[str] | None,
    from_s3: bool,
    first: date | None,
    last: date | None,
    sources: Sources | None,
    stack: contextlib.ExitStack,
) -> EventInput:
    if files:
        names = ", ".join(files)
        return EventInput(chunks.file_chunks(files), f"{names}")
    assert sources is not None
    if from_s3:
        archive = sources.s3_archive()
        closing = getattr(archive, "close", None)
        if callable(closing):
            stack.callback(closing)
        keys = chunks.archive_keys(archive, first, last)
        days = "" if first is None and last is None else f", days {first or '...'} to {last or '...'}"
        return EventInput(
            chunks.archive_chunks(archive, keys), f"s3://{archive.bucket} ({len(keys)} object(s){days})"
        )
    source = sources.routes()
    stack.callback(source.close)
    found, name = source.archived_chunks(first, last)
    return EventInput(found, name)


@routes_app.command("sample")
def sample_cmd(
    out: Annotated[
        str, typer.Option("--out", "-o", help="File to write (.gz: gzip JSON lines); - for stdout.")
    ] = "-",
    count: Annotated[int, typer.Option("--count", min=1, max=10_000_000, help="Events.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 25,
    days: Annotated[
        float, typer.Option("--days", min=0.001, max=3650, help="Spread over this many days.")
    ] = 7.0,
) -> None:
    """Write seeded events shaped as the S3 archive holds them (the publisher's generators), for `routes diff
    --events` where no archive can be read: the pull request job's samples/events/dev.jsonl.gz is one.

    Example: tooling routes sample --count 1000 --seed 25 --days 7 --out samples/events/dev.jsonl.gz
    """
    written = write_sample(out, count, seed=seed, days=days)
    if out != "-":
        typer.echo(f"{count} events ({written:,} bytes) -> {out}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(routes_app, name="routes")
