"""`tooling test-pattern` and `tooling route`: EventBridge patterns and input transformers, offline."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tooling import input_files
from tooling.cli.config_cmd import resolve_config
from tooling.cli.options import ConfigOption, EnvOption, JsonOption
from tooling.errors import DamagedStateError, UsageError
from tooling.patterns import InvalidPatternError, compile_pattern
from tooling.patterns.cases import run_cases
from tooling.patterns.routing import SUFFIX_PLACEHOLDER, complete_event, route_event
from tooling.publish.arguments import read_json_object, read_text
from tooling.workspace import Workspace

EXIT_NO_MATCH = 1
EXIT_INVALID = 2

PatternOption = Annotated[
    str | None,
    typer.Option("--pattern", "-p", help="Event pattern: JSON text, or @file to read it from a file."),
]
EventOption = Annotated[
    str | None, typer.Option("--event", help="Event: JSON text, or @file to read it from a file.")
]
CasesOption = Annotated[
    Path | None,
    typer.Option(
        "--cases",
        help='JSON Lines file, one {"pattern": ..., "event": ...} per line; prints one result line per case.',
    ),
]


def parse_event(value: str) -> dict[str, Any]:
    return read_json_object(value, "the event")


def test_pattern(
    pattern: PatternOption = None,
    event: EventOption = None,
    cases: CasesOption = None,
    json_out: JsonOption = False,
) -> None:
    """Test an event pattern against an event, exactly as EventBridge would (exit 0 match, 1 no match,
    2 invalid pattern with AWS's message on stderr; with --cases, 2 when any case is invalid).

    Example: tooling test-pattern --pattern '{"source": ["ecommerce.orders"]}' --event @event.json
    """
    if cases is not None:
        if pattern is not None or event is not None:
            raise UsageError("--cases runs its own patterns and events", hint="drop --pattern/--event")
        invalid = 0
        text = read_text(f"@{cases}", "--cases", input_files.FILE_BYTES, "the cases are read whole")
        for result in run_cases(text, str(cases)):
            invalid += "error" in result
            print(json.dumps(result), flush=True)
        if invalid:  # every line is answered; the exit code says that some pattern or event was refused
            print(f"{invalid} case(s) invalid", file=sys.stderr)
            raise typer.Exit(code=EXIT_INVALID)
        return
    if pattern is None or event is None:
        raise UsageError(
            "both --pattern and --event are needed (or --cases FILE.jsonl)",
            hint='example: tooling test-pattern --pattern \'{"source": ["a"]}\' --event \'{"source": "a"}\'',
        )
    pattern_text = read_text(
        pattern, "the pattern", input_files.PATTERN_BYTES, "an event pattern is at most 4096 characters"
    )
    parsed_event = parse_event(event)
    try:
        matched = compile_pattern(pattern_text).matches(parsed_event)
    except InvalidPatternError as exc:
        if json_out:
            print(json.dumps({"error": exc.message}))
        print(exc.message, file=sys.stderr)
        raise typer.Exit(code=EXIT_INVALID) from None
    if json_out:
        print(json.dumps({"match": matched}))
    else:
        print("match" if matched else "no match")
    if not matched:
        raise typer.Exit(code=EXIT_NO_MATCH)


def _suffix(env: str) -> str:
    """The environment's resource-name suffix when one exists; never created by this read-only command."""
    try:
        return Workspace.for_env(env).recorded_suffix() or SUFFIX_PLACEHOLDER
    except DamagedStateError:  # a preview: the names show the placeholder; apply and doctor name the damage
        return SUFFIX_PLACEHOLDER


def route(
    event: Annotated[
        str, typer.Option("--event", help="Event: JSON text, or @file. Missing envelope fields are filled.")
    ],
    env: EnvOption = "dev",
    config: ConfigOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show which rules of the environment's routing table match an event, and the exact payload each target
    would receive after its input transformer (exit 1 when no rule matches).

    Example: tooling route --event '{"source": "ecommerce.orders", "detail-type": "Order Created",
    "detail": {"totalAmount": 1500}}'
    """
    cfg = resolve_config(env, config)
    full_event = complete_event(parse_event(event), cfg.region)
    result = route_event(cfg, full_event, _suffix(env))
    if json_out:
        print(json.dumps(result))
    else:
        if not result["matches"]:
            print("no rule matches this event")
        for match in result["matches"]:
            print(f"rule {match['rule']}")
            for target in match["targets"]:
                print(f"  -> {target['target']} ({target['target_id']}): {target['payload']}")
        if result["disabled_rules"]:
            print(f"(disabled rules not evaluated: {', '.join(result['disabled_rules'])})", file=sys.stderr)
    if not result["matches"]:
        raise typer.Exit(code=EXIT_NO_MATCH)


def register(app: typer.Typer) -> None:
    """Attach this group's commands to the root app."""
    app.command("test-pattern")(test_pattern)
    app.command("route")(route)
