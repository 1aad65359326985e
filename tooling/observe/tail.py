"""`tooling tail`: the events crossing the bus, printed as they arrive, optionally only those a pattern
matches.

A target implements `TailSource`: `open()` sets up what the events are read through (on AWS a temporary
rule and queue, tooling/observe/aws_tail.py; locally nothing: the store is followed from "now",
`StoreTail` below over tooling/local/tail_source.py), `receive(wait)` returns the events that arrived,
waiting up to `wait` seconds for the first, and `close()` removes what `open()` made. `run_tail` drives a
source until `count` events were printed, `timeout` passed, or the user pressed Ctrl-C.

The pattern is validated by the caller (the pattern engine, tooling/patterns, is not a dependency of this
seam); the local reader matches with it, EventBridge itself on AWS.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from rich.text import Text

from tooling.errors import UsageError
from tooling.observe.watch import Followed, Unavailable
from tooling.outputs import DeploymentOutputs

# Every event: a prefix match on "" matches any string, and every event has a source. Real EventBridge
# accepts and matches it (the recorded conformance case content_prefix_empty), and the project's tests
# already use it for catch-all rules on moto.
CATCH_ALL: dict[str, Any] = {"source": [{"prefix": ""}]}
# The longest wait of one receive: SQS long polling's maximum; the loop checks the deadline between them.
MAX_WAIT_SECONDS = 20.0
# Event ids remembered to drop a redelivery (SQS standard queues deliver at least once).
REMEMBERED_IDS = 10_000


class TailSource(Protocol):
    """What a target implements so `tooling tail` can follow its bus."""

    def open(self) -> list[str]:
        """Set up; returns lines to tell the user (leftovers of earlier tails removed on the way)."""
        ...

    def receive(self, wait: float) -> list[dict[str, Any]]:
        """The events that arrived (possibly none), waiting at most `wait` seconds for the first."""
        ...

    def close(self) -> list[str]:
        """Remove what open() made (safe to call more than once, and after a failed open); returns what it
        removed, one line each."""
        ...

    def describe(self) -> str:
        """One line: what is followed (the bus, and on AWS the temporary rule and queue)."""
        ...


@dataclass
class TailProgress:
    """How far a tail got; filled in while it runs, so an interrupted run still knows."""

    seen: int = 0
    count: int | None = None
    timed_out: bool = False
    _ids: OrderedDict[str, None] = field(default_factory=OrderedDict)

    @property
    def reached(self) -> bool:
        return self.count is not None and self.seen >= self.count

    def first_time(self, event: dict[str, Any]) -> bool:
        """False for an event id already printed (a redelivery)."""
        event_id = event.get("id")
        if not isinstance(event_id, str) or not event_id:
            return True
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > REMEMBERED_IDS:
            self._ids.popitem(last=False)
        return True


def run_tail(
    source: TailSource,
    emit: Callable[[dict[str, Any]], None],
    progress: TailProgress,
    *,
    timeout: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> TailProgress:
    """Receive from an opened source and `emit` each new event until `progress.count` were emitted or
    `timeout` seconds passed (then `progress.timed_out`); without either, until interrupted."""
    deadline = None if timeout is None else clock() + timeout
    while not progress.reached:
        wait = MAX_WAIT_SECONDS
        if deadline is not None:
            wait = min(wait, deadline - clock())
            if wait <= 0:
                progress.timed_out = True
                break
        for event in source.receive(wait):
            if not progress.first_time(event):
                continue
            emit(event)
            progress.seen += 1
            if progress.reached:
                break
    return progress


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def render_tail_event(event: dict[str, Any]) -> Text:
    """One event on one line: time, source, detail-type, id, then the detail as compact JSON."""
    line = Text()
    line.append(str(event.get("time", "-")), style="dim")
    line.append(f"  {event.get('source', '-')!s:<20}", style="cyan")
    line.append(f"  {event.get('detail-type', '-')!s:<22}", style="bold")
    line.append(f"  {event.get('id', '-')}", style="dim")
    line.append("  " + compact(event.get("detail", {})))
    return line


def summary(progress: TailProgress, timeout_text: str | None) -> str:
    """The closing line (stderr)."""
    seen = f"{progress.seen} event{'' if progress.seen == 1 else 's'} seen"
    if progress.count is not None and not progress.reached:
        seen = f"{progress.seen} of {progress.count} events seen"
    return f"timeout after {timeout_text}: {seen}" if progress.timed_out else seen


def rule_name(outputs: DeploymentOutputs, name: str) -> str:
    """The deployed name of a routing-table rule, given its name in the environment file or its full name."""
    arns = outputs.rule_arns
    if name in arns:
        return arns[name].rsplit("/", 1)[-1]
    for arn in arns.values():
        if arn.rsplit("/", 1)[-1] == name:
            return name
    raise UsageError(
        f"no rule {name!r} in the deployment of {outputs.environment or 'this environment'}",
        hint=f"choose from: {', '.join(sorted(arns)) or '(none)'}",
    )


class EventReader(Protocol):
    """The local store's accepted events, in the order the bus accepted them (tooling/local/tail_source.py)."""

    def newest(self, before: float | None = None) -> int:
        """The position of the newest event (accepted before the wall-clock time `before`, when given)."""
        ...

    def read_after(self, position: int) -> tuple[int, list[dict[str, Any]]]:
        """The events after `position` that the tail's pattern matches, and the position read up to."""
        ...

    def close(self) -> None: ...


class StoreTail:
    """A TailSource over a followed store (the local target): each poll reads under the environment's lock
    (tooling/observe/watch.py), so a tail never holds up an apply or destroy; when the environment is
    applied again or replaced, it goes on from the new store's events accepted since the last poll."""

    def __init__(
        self,
        followed: Followed[EventReader],
        *,
        interval: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.followed = followed
        self.interval = interval
        self._sleep = sleep
        self._clock = clock
        self._wall = wall
        self._position = 0
        self._generation = 0
        self._last_poll = 0.0

    def open(self) -> list[str]:
        reader = self.followed.start()
        self._last_poll = self._wall()
        self._position = reader.newest()  # from now: what the bus accepted before is not shown
        self._generation = self.followed.reopened
        return []

    def describe(self) -> str:
        return f"environment {self.followed.workspace.env!r} on the local target"

    def receive(self, wait: float) -> list[dict[str, Any]]:
        end = self._clock() + wait
        while True:
            found = self.followed.refresh(self._read)
            if not isinstance(found, Unavailable) and found:
                return found
            remaining = end - self._clock()
            if remaining <= 0:
                return []
            self._sleep(min(self.interval, remaining))

    def _read(self, reader: EventReader) -> list[dict[str, Any]]:
        polled_at = self._wall()
        if self.followed.reopened != self._generation:  # a new store: its positions start afresh
            self._generation = self.followed.reopened
            self._position = reader.newest(before=self._last_poll)
        self._last_poll = polled_at
        self._position, events = reader.read_after(self._position)
        return events

    def close(self) -> list[str]:
        self.followed.close()
        return []
