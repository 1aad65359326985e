"""A single compiled pattern: `compile_pattern(p).matches(event)`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tooling.patterns.extract import Plan
from tooling.patterns.model import Branch, Flat, as_one_machine, branch_matches
from tooling.patterns.parse import compile_branches


class Pattern:
    """A validated event pattern. Matching follows EventBridge: any $or branch whose fields all match."""

    __slots__ = ("_plan", "branches", "source")

    def __init__(self, source: Mapping[str, Any] | str, branches: list[Branch]) -> None:
        self.source = source
        self.branches = as_one_machine(branches)
        self._plan: Plan | None = None  # on first use: a pattern compiled to be checked never reads events

    @property
    def plan(self) -> Plan:
        if self._plan is None:
            self._plan = Plan(fld.path for branch in self.branches for fld in branch.fields)
        return self._plan

    def matches(self, event: Mapping[str, Any]) -> bool:
        return self.matches_flat(self.plan.values(event))

    def matches_json(self, data: bytes | str) -> bool:
        """The same answer for the event's JSON text, read as EventBridge reads it: every duplicate key, every
        number as written (InvalidEventError when the text is not a JSON object)."""
        return self.matches_flat(self.plan.values_json(data))

    def matches_flat(self, flat: Flat) -> bool:
        return any(branch_matches(branch, flat) for branch in self.branches)


def compile_pattern(pattern: Mapping[str, Any] | str) -> Pattern:
    """Validate and compile; raises InvalidPatternError with AWS's message."""
    return Pattern(pattern, compile_branches(pattern))
