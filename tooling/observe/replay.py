"""Replay archived events onto the bus: start one replay, then (optionally) follow it until it ends.

A target implements `ReplaySource` (AWS: StartReplay / DescribeReplay in `tooling/observe/aws_sources.py`;
the local target in `tooling/local/`). Time arguments accept ISO 8601 (`2026-11-26T10:00`, UTC when no offset
is given), `now`, or a duration ago (`2h`, `-2h`, `2h ago`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from tooling.errors import ToolingError, UsageError
from tooling.observe.monitor import parse_duration, rule_name_from_arn
from tooling.outputs import DeploymentOutputs

FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
_NAME_MAX = 64


class ReplayRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    start: datetime  # events with start <= time < end are replayed
    end: datetime
    # Replay only to these rules; empty means every rule on the bus.
    rule_arns: list[str] = Field(default_factory=list)
    description: str = ""


class ReplayStatus(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    arn: str = ""
    state: str  # STARTING | RUNNING | CANCELLING | COMPLETED | CANCELLED | FAILED
    reason: str = ""
    event_start: datetime | None = None
    event_end: datetime | None = None
    last_replayed: datetime | None = None  # the event time reached so far
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def progress(self) -> float:
        """0.0 .. 1.0: how far the replay has got through its event-time range."""
        if self.state == "COMPLETED":
            return 1.0
        if not (self.event_start and self.event_end and self.last_replayed):
            return 0.0
        span = (self.event_end - self.event_start).total_seconds()
        if span <= 0:
            return 0.0
        return min(1.0, max(0.0, (self.last_replayed - self.event_start).total_seconds() / span))


class ReplaySource(Protocol):
    """What a target implements so `tooling replay` can replay the environment's archive onto its bus."""

    def start_replay(self, request: ReplayRequest) -> ReplayStatus:
        """Start replaying the archive's events in [request.start, request.end) onto the bus (only to
        `request.rule_arns` when given). Raise ToolingError when it cannot start."""
        ...

    def describe_replay(self, name: str) -> ReplayStatus:
        """The current state of a replay started earlier."""
        ...


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """ISO 8601 (naive means UTC), `now`, or a duration ago: `2h`, `-2h`, `2h ago`."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    value = text.strip()
    if value.lower() == "now":
        return now
    relative = re.fullmatch(r"-?\s*([0-9smhdw ]+?)\s*(?:ago)?", value.lower())
    if relative and re.search(r"[smhdw]", relative.group(1)):
        return now - parse_duration(relative.group(1))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"bad time {text!r}",
            hint="use ISO 8601 (2026-11-26T10:00:00Z), `now`, or a duration ago (2h, 30m)",
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def replay_name(outputs: DeploymentOutputs, now: datetime | None = None) -> str:
    """`<bus name without -bus>-replay-<UTC timestamp>`, within EventBridge's 64 characters."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    base = outputs.event_bus_name.removesuffix("-bus")
    suffix = f"-replay-{stamp}"
    return base[: _NAME_MAX - len(suffix)] + suffix


def rule_arns_for(outputs: DeploymentOutputs, rules: Sequence[str]) -> list[str]:
    """Routing-table names (or the rules' names on the bus) -> rule ARNs, in the order given."""
    by_name = dict(outputs.rule_arns)
    by_name.update({rule_name_from_arn(arn): arn for arn in outputs.rule_arns.values()})
    unknown = [r for r in rules if r not in by_name]
    if unknown:
        raise UsageError(
            f"unknown rule {', '.join(unknown)}",
            hint=f"choose from: {', '.join(outputs.rule_arns) or '(none)'}",
        )
    return [by_name[r] for r in dict.fromkeys(rules)]


def build_request(
    outputs: DeploymentOutputs,
    start: datetime,
    end: datetime,
    rules: Sequence[str] = (),
    now: datetime | None = None,
) -> ReplayRequest:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if start >= end:
        raise UsageError(f"--start ({start.isoformat()}) must be before --end ({end.isoformat()})")
    if end > now:
        raise UsageError(f"--end ({end.isoformat()}) is in the future", hint="use `now` or an earlier time")
    return ReplayRequest(
        name=replay_name(outputs, now),
        start=start,
        end=end,
        # Default to the routing table's rules, not every rule on the bus: the bus also carries the global
        # endpoint's replication rules (a replay must not re-replicate) and EventBridge's own archive rule.
        rule_arns=rule_arns_for(outputs, rules or list(outputs.rule_arns)),
        description=f"tooling replay {start.isoformat()} .. {end.isoformat()}",
    )


def start_replay(source: ReplaySource, request: ReplayRequest) -> ReplayStatus:
    return source.start_replay(request)


def wait_for_replay(
    source: ReplaySource,
    name: str,
    *,
    interval: float = 2.0,
    timeout: float = 3600.0,
    on_progress: Callable[[ReplayStatus], None] = lambda _status: None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ReplayStatus:
    """Poll DescribeReplay until the replay ends; raise when it fails, is cancelled or takes too long."""
    deadline = clock() + timeout
    while True:
        status = source.describe_replay(name)
        on_progress(status)
        if status.done:
            break
        if clock() >= deadline:
            raise ToolingError(
                f"replay {name} still {status.state} after {timeout:.0f}s",
                hint="it keeps running; check it later with `aws events describe-replay`",
            )
        sleep(interval)
    if status.state != "COMPLETED":
        raise ToolingError(
            f"replay {name} ended {status.state}" + (f": {status.reason}" if status.reason else ""),
            hint="check the archive and the time range, then start a new replay",
        )
    return status
