"""Process-wide CLI flags (set by the root callback, read by the error handler)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CliState:
    debug: bool = False
    no_color: bool = False


STATE = CliState()
