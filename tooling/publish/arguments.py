"""The `JSON|@file` convention of command-line values (--pattern, --event, --detail): inline JSON text, or
`@path` naming a file that holds it. Errors name the option and say how to fix it. A file is read with a
byte cap (tooling.input_files) and parsed by the strict loader (tooling.strict_json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tooling import input_files, strict_json
from tooling.errors import UsageError

EVENT_WHY = "a PutEvents entry is at most 1 MiB"


def read_text(value: str, what: str, limit: int = input_files.EVENT_BYTES, why: str = EVENT_WHY) -> str:
    """The text of a JSON|@file value; `what` names it in messages ("the event", "--detail"). A file larger
    than `limit` bytes is refused unread; `why` says where the limit comes from."""
    if not value.startswith("@"):
        return value
    return input_files.read_text(Path(value[1:]), limit, what, why)


def read_json(value: str, what: str) -> Any:
    return parse_json(read_text(value, what), what)


def parse_json(text: str, what: str) -> Any:
    """JSON text (never a path) -> the value, strictly (tooling.strict_json); errors name `what`."""
    try:
        return strict_json.loads(text, what)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{what} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
            hint=f"pass {what} as JSON text in single quotes, or as @file.json",
        ) from None


def read_json_object(value: str, what: str) -> dict[str, Any]:
    data = read_json(value, what)
    if not isinstance(data, dict):
        raise UsageError(
            f"{what} must be a JSON object, not {type(data).__name__}",
            hint=f'pass an object such as \'{{"key": "value"}}\' as {what}',
        )
    return data
