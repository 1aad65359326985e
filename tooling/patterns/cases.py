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
    """The result of each non-blank line, in order; a malformed line stops the run with its number."""
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = strict_json.loads(raw, f"{source} line {number}", last_key_wins=_in_pattern)
        except json.JSONDecodeError as exc:
            raise UsageError(
                f"{source} line {number}: not valid JSON ({exc.msg} at column {exc.colno})", hint=_CASE_HINT
            ) from None
        if not isinstance(line, dict) or "pattern" not in line or "event" not in line:
            raise UsageError(
                f'{source} line {number}: expected an object with "pattern" and "event"', hint=_CASE_HINT
            )
        yield case_result(line)
