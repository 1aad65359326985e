"""`tooling test-pattern --cases`: JSON-lines files of {"pattern": ..., "event": ...}, answered like
TestEventPattern would answer each line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tooling import strict_json
from tooling.errors import UsageError
from tooling.patterns.match import compile_pattern
from tooling.patterns.parse import InvalidPatternError

# What AWS's TestEventPattern answers for an event that is not a JSON object.
INVALID_EVENT = "Parameter Event is not valid."
_CASE_HINT = 'each line must be one JSON object: {"pattern": {...}, "event": {...}}'


def case_result(line: dict[str, Any]) -> dict[str, Any]:
    """One case: {"match": bool} or {"error": AWS's message}."""
    try:
        compiled = compile_pattern(line.get("pattern"))  # type: ignore[arg-type]  # validation reports any JSON
    except InvalidPatternError as exc:
        return {"error": exc.message}
    event = line.get("event")
    if not isinstance(event, dict):
        return {"error": INVALID_EVENT}
    return {"match": compiled.matches(event)}


def _in_pattern(path: str) -> bool:
    """Duplicate keys keep the last value inside a case's pattern, as EventBridge reads a pattern; elsewhere
    (the event, the line itself) they are refused (tooling.strict_json)."""
    return path == "$.pattern" or path.startswith(("$.pattern.", "$.pattern["))


def run_cases(text: str, source: str) -> Iterator[dict[str, Any]]:
    """The result of each non-blank line, in order. A line that is not a case (not JSON, not an object
    with "pattern" and "event", nested too deep) gets its own {"error": ...} naming its line number and
    the run goes on: every line is answered."""
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = strict_json.loads(raw, f"{source} line {number}", last_key_wins=_in_pattern)
        except json.JSONDecodeError as exc:
            yield {"error": f"line {number}: not valid JSON ({exc.msg} at column {exc.colno}); {_CASE_HINT}"}
            continue
        except UsageError as exc:
            yield {"error": f"line {number}: {exc.message}"}
            continue
        if not isinstance(line, dict) or "pattern" not in line or "event" not in line:
            yield {"error": f'line {number}: expected an object with "pattern" and "event"; {_CASE_HINT}'}
            continue
        yield case_result(line)
