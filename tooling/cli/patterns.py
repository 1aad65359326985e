"""`tooling test-pattern` and `tooling route`: EventBridge patterns and input transformers, offline."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from tooling.cli.config_cmd import resolve_config
from tooling.cli.options import ConfigOption, EnvOption, JsonOption
from tooling.config import Config
from tooling.errors import UsageError
from tooling.local.arns import ACCOUNT_ID, Arns, Names
from tooling.patterns import InvalidPatternError, RuleSet, compile_pattern
from tooling.transform import apply_input_transformer
from tooling.workspace import Workspace

EXIT_NO_MATCH = 1
EXIT_INVALID = 2
# What AWS's TestEventPattern answers for an event that is not a JSON object.
INVALID_EVENT = "Parameter Event is not valid."
SUFFIX_PLACEHOLDER = "xxxxxx"

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


def read_argument(value: str, what: str) -> str:
    """The text of a JSON|@file argument."""
    if not value.startswith("@"):
        return value
    path = Path(value[1:])
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot read {what} file {path}: {exc.strerror or exc}",
            hint=f"check the path after '@', or pass the {what} as JSON text",
        ) from None


def parse_json_argument(value: str, what: str) -> Any:
    text = read_argument(value, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"the {what} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
            hint=f"pass the {what} as JSON text in single quotes, or as @file.json",
        ) from None


def parse_event(value: str) -> dict[str, Any]:
    event = parse_json_argument(value, "event")
    if not isinstance(event, dict):
        raise UsageError("the event must be a JSON object", hint='pass an object such as \'{"source": "x"}\'')
    return event


def test_pattern(
    pattern: PatternOption = None,
    event: EventOption = None,
    cases: CasesOption = None,
    json_out: JsonOption = False,
) -> None:
    """Test an event pattern against an event, exactly as EventBridge would (exit 0 match, 1 no match,
    2 invalid pattern with AWS's message on stderr).

    Example: tooling test-pattern --pattern '{"source": ["ecommerce.orders"]}' --event @event.json
    """
    if cases is not None:
        if pattern is not None or event is not None:
            raise UsageError("--cases runs its own patterns and events", hint="drop --pattern/--event")
        _run_cases(cases)
        return
    if pattern is None or event is None:
        raise UsageError(
            "both --pattern and --event are needed (or --cases FILE.jsonl)",
            hint='example: tooling test-pattern --pattern \'{"source": ["a"]}\' --event \'{"source": "a"}\'',
        )
    pattern_text = read_argument(pattern, "pattern")
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


def case_result(line: dict[str, Any]) -> dict[str, Any]:
    """One case of --cases: {"match": bool} or {"error": AWS's message}."""
    pattern = line.get("pattern")
    event = line.get("event")
    try:
        compiled = compile_pattern(pattern)  # type: ignore[arg-type]  # any JSON value: validation reports it
    except InvalidPatternError as exc:
        return {"error": exc.message}
    if not isinstance(event, dict):
        return {"error": INVALID_EVENT}
    return {"match": compiled.matches(event)}


def _run_cases(path: Path) -> None:
    text = read_argument(f"@{path}", "cases")
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UsageError(
                f"{path} line {number}: not valid JSON ({exc.msg} at column {exc.colno})",
                hint='each line must be one JSON object: {"pattern": {...}, "event": {...}}',
            ) from None
        if not isinstance(line, dict) or "pattern" not in line or "event" not in line:
            raise UsageError(
                f'{path} line {number}: expected an object with "pattern" and "event"',
                hint='each line must be one JSON object: {"pattern": {...}, "event": {...}}',
            )
        print(json.dumps(case_result(line)), flush=True)


def complete_event(event: dict[str, Any], region: str) -> dict[str, Any]:
    """A pasted (partial) event with the envelope fields EventBridge always sets, in AWS's order."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    defaults: dict[str, Any] = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": None,
        "source": None,
        "account": ACCOUNT_ID,
        "time": now,
        "region": region,
        "resources": [],
        "detail": {},
    }
    full: dict[str, Any] = {}
    for key, default in defaults.items():
        if key in event:
            full[key] = event[key]
        elif default is not None:
            full[key] = default
    full.update({k: v for k, v in event.items() if k not in full})
    return full


def _suffix(env: str) -> str:
    """The environment's resource-name suffix when one exists; never created by this read-only command."""
    path = Workspace.for_env(env).state_dir / "suffix"
    try:
        return path.read_text(encoding="utf-8").strip() or SUFFIX_PLACEHOLDER
    except OSError:
        return SUFFIX_PLACEHOLDER


def route_event(config: Config, event: dict[str, Any], suffix: str) -> dict[str, Any]:
    """Which enabled rules match the event and, per target, the exact payload it would receive."""
    rules = [rule for rule in config.rules if rule.enabled]
    ruleset = RuleSet({rule.name: rule.pattern for rule in rules})
    matched = set(ruleset.match(event))
    names = Names.of(config, suffix)
    arns = Arns(config.region, str(event.get("account", ACCOUNT_ID)))
    ingestion = str(event.get("time", ""))
    out: list[dict[str, Any]] = []
    for rule in rules:
        if rule.name not in matched:
            continue
        rule_name = names.rule(rule.name)
        rule_arn = arns.rule(names.bus, rule_name)
        targets = []
        for target in rule.targets:
            transformer = target.input_transformer
            payload = apply_input_transformer(
                event,
                transformer.input_paths if transformer else None,
                transformer.input_template if transformer else None,
                rule_arn=rule_arn,
                rule_name=rule_name,
                ingestion_time=ingestion,
            )
            targets.append({"target": target.target, "target_id": target.target_id, "payload": payload})
        out.append({"rule": rule.name, "rule_arn": rule_arn, "targets": targets})
    disabled = [rule.name for rule in config.rules if not rule.enabled]
    return {"event": event, "matches": out, "disabled_rules": disabled}


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
