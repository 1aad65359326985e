"""What `tooling publish` prints: the progress bar on stderr, the summary (a line, the failures and the events
that may have been accepted) or its JSON on stdout, and the exit code the summary gives."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from tooling.publish.publisher import ProgressCallback, PublishSummary
from tooling.publish.run import LoadOutcome, PublishOutcome

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
FAILURES_SHOWN = 20
PROGRESS_REDRAW = 0.2


def notice(line: str) -> None:
    """A diagnostic for the person at the terminal (what an interrupted run waits for), on stderr."""
    print(line, file=sys.stderr, flush=True)


@contextmanager
def progress_bar(total: int, refresh_thread: bool = True) -> Iterator[ProgressCallback]:
    """A progress bar on stderr, advanced by the callback yielded. Without `refresh_thread` the bar is redrawn
    from the callback (at most every PROGRESS_REDRAW seconds) instead of by rich's background thread."""
    # rich (~25 ms to import) only where a person reads the output: `--json` runs never load it.
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tooling.cli.console import make_console

    columns = (
        TextColumn("publishing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
    )
    console = make_console(stderr=True)
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

        yield advance


def show(outcome: PublishOutcome, json_out: bool) -> None:
    summary = outcome.summary
    if json_out:
        print(json.dumps({**summary.as_json(), **outcome.ids}), flush=True)
        return
    render(summary, outcome.total, outcome.destination)
    if outcome.ids:
        typer.echo("  ".join(f"{key} {value}" for key, value in outcome.ids.items()))


def show_load(outcome: LoadOutcome, json_out: bool) -> None:
    report = outcome.report
    if json_out:
        print(json.dumps(report.as_json()), flush=True)
        return
    summary = report.summary
    render(summary, report.sent, outcome.destination)
    figures = report.latency_ms()
    typer.echo(
        f"rate: {report.achieved_rate:.0f} events/s achieved of {report.rate:g} requested: sent {report.sent} "
        f"of {outcome.planned} planned in {summary.seconds:.1f} s (duration {report.duration:g} s); PutEvents "
        f"latency over {len(report.latencies)} calls: "
        + ", ".join(f"{name} {value:.1f} ms" for name, value in figures.items())
    )


def exit_code(summary: PublishSummary) -> int:
    """0 only when every event was accepted."""
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return 0 if summary.ok else EXIT_FAILED


def render(summary: PublishSummary, total: int, bus_name: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    from tooling.cli.console import make_console

    out = make_console(highlight=False)
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


__all__ = ["exit_code", "notice", "progress_bar", "render", "show", "show_load"]
