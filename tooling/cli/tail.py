"""`tooling tail`: the events crossing the bus, live. Thin: parse, call the core (tooling/observe/tail.py,
through tooling/targets.py for the target's source), render."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tooling import input_files, targets
from tooling.cli.console import make_console
from tooling.envlock import Mode, env_lock, stderr_line
from tooling.errors import UsageError
from tooling.observe.monitor import parse_duration
from tooling.observe.tail import CATCH_ALL, TailProgress, compact, render_tail_event, run_tail, summary
from tooling.outputs import DeploymentOutputs, load_outputs, with_target
from tooling.patterns import check_pattern
from tooling.publish.arguments import parse_json, read_text
from tooling.workspace import Workspace

from .options import EnvOption, OutputsOption, TargetOption

EXIT_COUNT_NOT_REACHED = 1


def parse_pattern(value: str) -> dict[str, Any]:
    """--pattern's JSON text or @file, checked as EventBridge checks it (its message, exit 2)."""
    text = read_text(
        value, "--pattern", input_files.PATTERN_BYTES, "an event pattern is at most 4096 characters"
    )
    pattern = parse_json(text, "--pattern")
    if not isinstance(pattern, dict):
        raise UsageError(
            f"--pattern must be a JSON object, not {type(pattern).__name__}",
            hint='pass a pattern such as \'{"source": ["ecommerce.orders"]}\'',
        )
    reason = check_pattern(pattern)
    if reason is not None:
        raise UsageError(reason, hint="fix the pattern; `tooling test-pattern` tries it against an event")
    return pattern


def tail(
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    pattern: Annotated[
        str | None,
        typer.Option("--pattern", "-p", help="Only events this pattern matches: JSON text, or @file."),
    ] = None,
    rule: Annotated[
        str | None,
        typer.Option(
            "--rule", "-r", help="Only what this deployed rule receives (its pattern, as deployed)."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One event per line, compact JSON (for jq).")
    ] = False,
    count: Annotated[
        int | None, typer.Option("--count", "-n", min=1, help="Stop after N events (exit 0).")
    ] = None,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout", help="Stop after this long: 30s, 5m, 1h (exit 1 if --count is not reached)."
        ),
    ] = None,
    clean: Annotated[
        bool,
        typer.Option("--clean", help="Only remove what killed tails left on AWS (expired rules and queues)."),
    ] = False,
) -> None:
    """Print the events crossing the bus as they arrive, from now on, optionally only those a pattern (or a
    deployed rule) matches: time, source, detail-type, id and detail, one line each.

    On AWS it creates a temporary rule on the bus and an SQS queue for it, and removes both on exit, Ctrl-C
    or error; both carry an expiry, so `--clean` (and every tail's start) removes what a killed run left.
    Locally it follows the store. Exit 0 when --count events were seen or at --timeout without --count; exit
    1 when --timeout passes before --count events.

    Example: tooling tail --rule high-value-orders --count 1 --timeout 2m --json | jq .detail
    """
    if clean:
        if pattern is not None or rule is not None or count is not None or timeout is not None:
            raise UsageError(
                "--clean only removes leftovers: it takes no --pattern, --rule, --count or --timeout",
                hint="run `tooling tail --clean` on its own",
            )
        _clean(env, outputs_file, target, as_json)
        return
    if pattern is not None and rule is not None:
        raise UsageError("--pattern and --rule both choose the events", hint="pass one of them")
    chosen = parse_pattern(pattern) if pattern is not None else None
    seconds = parse_duration(timeout).total_seconds() if timeout is not None else None
    workspace = Workspace.for_env(env)
    with env_lock(workspace, Mode.SHARED, command="tail"):  # only while reading what is deployed
        outputs = _outputs(workspace, outputs_file, target)
        if rule is not None:
            chosen = targets.rule_pattern(outputs, workspace, rule)
    chosen = chosen or CATCH_ALL
    source = targets.tail_source(
        outputs, workspace, chosen, outputs_file=outputs_file, target=target, notify=stderr_line
    )
    out = make_console()
    progress = TailProgress(count=count)

    def emit(event: dict[str, Any]) -> None:
        if as_json:
            sys.stdout.write(compact(event) + "\n")
            sys.stdout.flush()  # live: jq sees each event as it arrives
        else:
            out.print(render_tail_event(event), soft_wrap=True)

    started = False
    try:
        for note in source.open():  # an interrupted or failed open has removed what it made
            stderr_line(note)
        started = True
        stderr_line(f"tailing {source.describe()}, pattern {compact(chosen)}; Ctrl-C to stop")
        run_tail(source, emit, progress, timeout=seconds)
    except KeyboardInterrupt:
        if not started:
            raise  # interrupted while setting up: "interrupted", exit 130, as any command
        # else: the way to stop an endless tail, not an error
    except BrokenPipeError:  # `tooling tail | head -n 3`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    finally:
        removed = source.close()
        if removed:
            stderr_line(f"removed {' and '.join(removed)}")
    stderr_line(summary(progress, timeout))
    if progress.timed_out and count is not None:
        raise typer.Exit(code=EXIT_COUNT_NOT_REACHED)


def _outputs(workspace: Workspace, outputs_file: Path | None, target: str | None) -> DeploymentOutputs:
    return with_target(load_outputs(workspace, outputs_file), target)


def _clean(env: str, outputs_file: Path | None, target: str | None, as_json: bool) -> None:
    workspace = Workspace.for_env(env)
    with env_lock(workspace, Mode.SHARED, command="tail --clean"):
        outputs = _outputs(workspace, outputs_file, target)
    found = targets.clean_tails(outputs)
    removed, kept = found if found is not None else ([], [])
    if as_json:
        typer.echo(compact({"target": outputs.target, "removed": removed, "kept": kept}))
        return
    err = make_console(stderr=True)
    if found is None:
        err.print("nothing to clean: a tail on the local target creates nothing", markup=False)
        return
    for what in removed:
        typer.echo(f"removed {what}")
    for what in kept:
        typer.echo(f"kept {what}: not expired (a running tail renews it)")
    if not removed and not kept:
        err.print("nothing to clean: no tail rule or queue left on the bus", markup=False)


def register(app: typer.Typer) -> None:
    """Attach this command to the root app."""
    app.command("tail")(tail)
