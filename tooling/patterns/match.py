"""A single compiled pattern: `compile_pattern(p).matches(event)`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tooling.patterns.event_json import load_event
from tooling.patterns.model import Branch, Flat, branch_matches, flatten_event
from tooling.patterns.parse import compile_branches


class Pattern:
    """A validated event pattern. Matching follows EventBridge: any $or branch whose fields all match."""

    __slots__ = ("branches", "source")

    def __init__(self, source: Mapping[str, Any] | str, branches: list[Branch]) -> None:
        self.source = source
        self.branches = branches

    def matches(self, event: Mapping[str, Any]) -> bool:
        return self.matches_flat(flatten_event(event))

    def matches_json(self, data: bytes | str) -> bool:
        """The same answer for the event's JSON text (raises InvalidEventError when it is not a JSON object)."""
        return self.matches(load_event(data))

    def matches_flat(self, flat: Flat) -> bool:
        return any(branch_matches(branch, flat) for branch in self.branches)


def compile_pattern(pattern: Mapping[str, Any] | str) -> Pattern:
    """Validate and compile; raises InvalidPatternError with AWS's message."""
    return Pattern(pattern, compile_branches(pattern))
