"""What `monitor --watch` and `logs --follow` read through: sources that follow a replaceable environment.

A view that runs until Ctrl-C must not hold the environment for its whole life (an `apply`, `destroy` or
`demo` elsewhere would wait for it forever), nor keep reading a store that was deleted under it. So each
refresh takes the environment's lock SHARED on its own, without waiting: while an exclusive command holds
or waits for it, the refresh is skipped. And each refresh compares the environment's identity (what
`tooling.targets.state_identity` returns: outputs.json and the local store file) with the one its sources
were opened on: when it changed, the sources are closed and opened again; when it is gone (destroyed), the
view says so and keeps watching for it to come back. Every change of state is said once, on one line.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from tooling.envlock import Mode, env_lock, env_lock_if_free, exclusive_requested
from tooling.errors import ToolingError
from tooling.observe.logs import LogRecord, LogSource
from tooling.outputs import DeploymentOutputs
from tooling.workspace import Workspace

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Unavailable:
    """Why a refresh had nothing to show."""

    reason: str


class Followed(Generic[T]):
    """Sources of type T (opened by `open_sources`, closed by `close`) kept in step with the environment."""

    def __init__(
        self,
        workspace: Workspace,
        open_sources: Callable[[], T],
        identity: Callable[[], Hashable | None],
        *,
        close: Callable[[T], None] = lambda sources: None,
        command: str,
        notify: Callable[[str], None],
    ) -> None:
        self.workspace = workspace
        self._open = open_sources
        self._identity = identity
        self._close = close
        self.command = command
        self._notify = notify
        self.sources: T | None = None
        self._opened_on: Hashable | None = None
        self._said: str | None = None
        self.reopened = 0  # how many times the sources were opened again (the view may reset what it holds)

    def start(self) -> T:
        """Open the sources the first time, waiting for the lock like any reader; errors go to the caller
        (nothing applied, a wrong region, ...) as they do without --watch."""
        with env_lock(self.workspace, Mode.SHARED, command=self.command):
            self._opened_on = self._identity()
            self.sources = self._open()
        return self.sources

    def refresh(self, use: Callable[[T], R]) -> R | Unavailable:
        """`use(sources)` under the lock, reopening the sources first if the environment was replaced."""
        with env_lock_if_free(self.workspace, Mode.SHARED, command=self.command) as free:
            if not free:
                holder = exclusive_requested(self.workspace)
                who = holder.describe() if holder is not None else "another command"
                return self._unavailable(f"environment {self.workspace.env!r} is in use by {who}; waiting")
            current = self._identity()
            if current is None:
                self._drop()
                return self._unavailable(
                    f"environment {self.workspace.env!r} is gone (destroyed?); watching for it to come back"
                )
            if self.sources is None or current != self._opened_on:
                replaced = self.sources is not None or self._said is not None
                self._drop()
                try:
                    self.sources = self._open()
                except ToolingError as exc:
                    return self._unavailable(f"environment {self.workspace.env!r} cannot be read: {exc}")
                self._opened_on = current
                self.reopened += 1
                if replaced:
                    self._say(f"environment {self.workspace.env!r} was applied again or replaced: reopened")
            self._said = None
            return use(self.sources)

    def close(self) -> None:
        self._drop()

    def _drop(self) -> None:
        if self.sources is not None:
            sources, self.sources = self.sources, None
            self._close(sources)

    def _unavailable(self, reason: str) -> Unavailable:
        if reason != self._said:
            self._notify(reason)
            self._said = reason
        return Unavailable(reason)

    def _say(self, line: str) -> None:
        self._notify(line)


class FollowedLogSource:
    """The LogSource seam over followed (outputs, log source) pairs, for `logs --follow`: each poll reads
    under the lock; after a reopen, event ids are told apart from the replaced store's (which restart at 1),
    so the new lines are not taken for lines already printed."""

    def __init__(self, followed: Followed[tuple[DeploymentOutputs, LogSource]]) -> None:
        self.followed = followed

    def events(
        self,
        log_group: str,
        start: datetime,
        end: datetime | None = None,
        text: str | None = None,
        *,
        newest: int | None = None,
        metrics: bool = True,
    ) -> Iterable[LogRecord]:
        def read(opened: tuple[DeploymentOutputs, LogSource]) -> list[LogRecord]:
            return list(opened[1].events(log_group, start, end, text, newest=newest, metrics=metrics))

        found = self.followed.refresh(read)
        if isinstance(found, Unavailable):
            return []
        generation = self.followed.reopened
        if not generation:
            return found
        return [r.model_copy(update={"event_id": f"{generation}/{r.event_id}"}) for r in found]
