"""The `JSON|@file` convention of command-line values (--pattern, --event, --detail): inline JSON text, or
`@path` naming a file that holds it. Errors name the option and say how to fix it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tooling import json_limits
from tooling.errors import UsageError


def read_text(value: str, what: str) -> str:
    """The text of a JSON|@file value; `what` names it in messages ("the event", "--detail")."""
    if not value.startswith("@"):
        return value
    path = Path(value[1:])
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot read {path} (given for {what}): {exc.strerror or exc}",
            hint=f"check the path after '@', or pass the {what} as JSON text",
        ) from None


def read_json(value: str, what: str) -> Any:
    text = read_text(value, what)
    try:
        return json_limits.loads(text, what)
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
