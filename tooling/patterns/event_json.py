"""An event's JSON text read for matching: parsed with orjson, refused with InvalidEventError when it is not
a JSON object (EventBridge matches objects only)."""

from __future__ import annotations

from typing import Any

import orjson

from tooling.errors import ToolingError


class InvalidEventError(ToolingError, ValueError):
    """The event text is not a JSON object."""

    exit_code = 2

    def __init__(self, problem: str) -> None:
        super().__init__(f"the event is not a JSON object: {problem}", hint="pass the event's JSON text")


def load_event(data: bytes | str) -> dict[str, Any]:
    try:
        event = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidEventError(str(exc)) from None
    if not isinstance(event, dict):
        raise InvalidEventError(f"its top level is {type(event).__name__}")
    return event
