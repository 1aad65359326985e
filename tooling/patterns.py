"""Event pattern seam. Until the full engine lands this checks the JSON shape only."""

from __future__ import annotations

from typing import Any


def check_pattern(pattern: Any) -> str | None:
    """Return AWS's reason text when the pattern is invalid, None when it is valid."""
    if not isinstance(pattern, dict) or not pattern:
        return "Event pattern is not valid. Reason: Filter is not an object"
    return None
