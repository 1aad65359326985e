"""`tooling failover drill`: prove the global endpoint fails over and back, with ordinary traffic.

Three phases of N events each, published through the endpoint: before failover (the primary receives),
with the health alarm set to ALARM (SetAlarmState: the health check turns unhealthy and the endpoint sends
to the secondary), and after restoring it to OK (back to the primary). Each phase waits until every one of
its events is in the event store, then counts by the items' `region` (the region that received the event
from the endpoint) and `processed_in`. At the end: lost = published keys never stored, duplicated effects
= items beyond one per idempotencyKey (replication makes both regions process every event: consumers must
deduplicate on the business key). Whatever happens (a failed phase, an error, Ctrl-C), an alarm the drill
set to ALARM is set back to OK before it returns or raises.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from tooling.errors import ToolingError, UsageError
from tooling.failover.backend import FailoverBackend, StoredItem
from tooling.publish.bus import Bus
from tooling.publish.events import Entry, EventFactory
from tooling.publish.publisher import PublishSettings, publish
from tooling.workspace import Workspace, open_lock

# Environments a drill changes only with --yes: it moves their live traffic to the secondary for a while.
PROTECTED_ENVIRONMENTS = ("prod",)
DEFAULT_EVENTS = 10
DEFAULT_TIMEOUT_SECONDS = 300.0
# The event store's sort key starts with the event's time (seconds): the drill reads from a little before
# it began, so a clock a second or two apart does not hide its first events.
SINCE_MARGIN_SECONDS = 5
PHASES = ("primary", "secondary", "back")
DRILL_LOCK = "failover-drill.lock"

Progress = Callable[[str], None]


@contextmanager
def one_drill(workspace: Workspace) -> Iterator[None]:
    """At most one drill per environment on this machine: a second one would set the alarm back to OK
    while the first needs it in ALARM (an flock on `.tooling/<env>/failover-drill.lock`)."""
    workspace.ensure()
    with open_lock(workspace.state_dir / DRILL_LOCK) as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"a failover drill is already running on environment {workspace.env!r}",
                hint="wait for it to finish (it restores the health alarm when it ends)",
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def refuse_unconfirmed(environment: str, yes: bool) -> None:
    """A drill on a protected environment (prod) needs --yes: it sends that environment's traffic to the
    secondary region while it runs."""
    if environment in PROTECTED_ENVIRONMENTS and not yes:
        raise UsageError(
            f"environment {environment!r} is protected: a drill sends its live traffic to the secondary "
            "region while it runs",
            hint="pass --yes to run the drill on it",
        )


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PhaseReport(_Model):
    phase: str  # primary | secondary | back
    expected_region: str
    published: int
    stored: int  # events of the phase with an item in the event store
    in_region: int  # ... whose item says the expected region received it
    processed_in: dict[str, int]  # region -> items of the phase processed there ("unknown": not recorded)
    seconds: float  # from the first PutEvents to the last event stored (or giving up)


class DrillReport(_Model):
    environment: str
    target: str
    endpoint_name: str
    primary_region: str
    secondary_region: str
    events_per_phase: int
    phases: list[PhaseReport]
    lost: int
    duplicated: int
    failover_seconds: float | None  # ALARM set -> the endpoint sends to the secondary
    failback_seconds: float | None  # OK set -> the endpoint sends to the primary again
    total_seconds: float
    restored: bool  # the alarm is back to OK (True also when the drill never changed it)
    problems: list[str]

    @property
    def ok(self) -> bool:
        complete = len(self.phases) == len(PHASES) and all(
            p.in_region == p.published == self.events_per_phase for p in self.phases
        )
        return complete and self.lost == 0 and self.duplicated == 0 and self.restored and not self.problems

    def count(self, phase: str) -> int:
        return next((p.in_region for p in self.phases if p.phase == phase), 0)

    def summary_line(self) -> str:
        """The contract's line (the e2e prod line carries it)."""
        return (
            f"failover drill: primary {self.count('primary')}, secondary {self.count('secondary')}, "
            f"back {self.count('back')}, {self.lost} lost, {self.duplicated} duplicated effects"
        )

    def timing_line(self) -> str:
        def seconds(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f} s"

        phases = ", ".join(f"{p.phase} {p.seconds:.1f} s" for p in self.phases)
        return (
            f"timings: failover {seconds(self.failover_seconds)}, failback {seconds(self.failback_seconds)}, "
            f"processing {phases or '-'}; total {self.total_seconds:.1f} s"
        )

    def as_json(self) -> dict[str, object]:
        return {**self.model_dump(mode="json"), "ok": self.ok, "summary": self.summary_line()}


def event_time_text(epoch: float) -> str:
    """The event store's sort-key time format (EventBridge's `time`)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key(entry: Entry) -> str:
    return str(json.loads(entry["Detail"])["idempotencyKey"])


def _partition(entry: Entry) -> str:
    return f"{entry['Source']}#{entry['DetailType']}"


@dataclass
class _Drill:
    backend: FailoverBackend
    bus: Bus
    events: int
    timeout: float
    progress: Progress
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    factory: EventFactory
    since: str
    primary: str
    secondary: str
    keys: dict[str, list[str]] = field(default_factory=dict)  # phase -> its events' keys
    partitions: set[str] = field(default_factory=set)
    phases: list[PhaseReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    holding_alarm: bool = False
    reasserted_at: float = 0.0
    items: dict[str, list[StoredItem]] = field(default_factory=dict)

    # -- the alarm ------------------------------------------------------------------------------------------
    def set_alarm(self, state: str, reason: str) -> None:
        self.backend.set_alarm(state, reason)
        self.holding_alarm = state == "ALARM"
        self.reasserted_at = self.clock()

    def keep_alarm(self) -> None:
        """CloudWatch puts an alarm set by SetAlarmState back at its next evaluation: set it again."""
        if self.holding_alarm and self.clock() - self.reasserted_at >= self.backend.reassert_seconds:
            self.set_alarm("ALARM", "failover drill: still failing over")

    # -- waiting ----------------------------------------------------------------------------------------------
    def wait_for_region(self, region: str) -> float | None:
        """Seconds until the endpoint sends to `region`; None when it did not within the timeout."""
        begin = self.clock()
        while True:
            self.keep_alarm()
            status = self.backend.status()
            if status.receiving_region == region:
                return self.clock() - begin
            if self.clock() - begin >= self.timeout:
                self.problems.append(
                    f"the endpoint did not send to {region} within {self.timeout:g} s (health check "
                    f"{status.health_check}, alarm {status.alarm_state})"
                )
                return None
            self.sleep(self.backend.poll_seconds)

    def refresh(self) -> None:
        found: dict[str, list[StoredItem]] = {}
        for item in self.backend.stored(sorted(self.partitions), self.since):
            found.setdefault(item.key, []).append(item)
        self.items = found

    def wait_stored(self, keys: Sequence[str]) -> None:
        begin = self.clock()
        while True:
            self.keep_alarm()
            self.backend.settle()
            self.refresh()
            if all(key in self.items for key in keys) or self.clock() - begin >= self.timeout:
                return
            self.sleep(self.backend.poll_seconds)

    # -- phases -------------------------------------------------------------------------------------------------
    def phase(self, name: str, region: str) -> None:
        entries = list(self.factory.mixed(self.events))
        keys = [_key(entry) for entry in entries]
        self.keys[name] = keys
        self.partitions |= {_partition(entry) for entry in entries}
        self.keep_alarm()
        begin = self.clock()
        sent = publish(self.bus, entries, PublishSettings(concurrency=4))
        self.progress(f"{name}: published {sent.published} of {len(entries)} through the endpoint")
        if sent.interrupted:
            raise KeyboardInterrupt
        self.wait_stored(keys)
        seconds = self.clock() - begin
        mine = [self.items[key][0] for key in keys if key in self.items]
        report = PhaseReport(
            phase=name,
            expected_region=region,
            published=sent.published,
            stored=len(mine),
            in_region=sum(1 for item in mine if item.region == region),
            processed_in=dict(Counter(item.processed_in or "unknown" for item in mine)),
            seconds=round(seconds, 3),
        )
        self.phases.append(report)
        self.progress(
            f"{name}: {report.stored} of {len(keys)} stored in {seconds:.1f} s, {report.in_region} received "
            f"by {region}"
        )
        if sent.published < len(entries):
            self.problems.append(f"{name}: {len(entries) - sent.published} event(s) not accepted")
        if report.stored < len(keys):
            self.problems.append(
                f"{name}: {len(keys) - report.stored} event(s) not stored within {self.timeout:g} s"
            )
        elif report.in_region < report.stored:
            other = report.stored - report.in_region
            self.problems.append(f"{name}: {other} event(s) received by another region than {region}")

    def settle_all(self) -> None:
        """Wait (bounded) until nothing more can land, then count every item once more: duplicates of the
        last phase's events (their copies in the other region) arrive after the phase's check."""
        begin = self.clock()
        while not self.backend.idle() and self.clock() - begin < self.timeout:
            self.backend.settle()
            self.sleep(self.backend.poll_seconds)
        self.refresh()


def drill(
    backend: FailoverBackend,
    bus: Bus,
    *,
    environment: str,
    target: str,
    events: int = DEFAULT_EVENTS,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    factory: EventFactory | None = None,
) -> DrillReport:
    """Run the drill (see the module's docstring); the report says what happened. Raises ToolingError when
    it cannot start (the endpoint missing or already failed over); the alarm is restored in every case."""
    if events < 1:
        raise UsageError("--events must be at least 1")
    begin = clock()
    start = backend.status()
    if start.state != "ACTIVE":
        raise ToolingError(
            f"endpoint {start.endpoint_name} is {start.state}, not ACTIVE",
            hint="apply the environment again, then run the drill",
        )
    if start.failed_over:
        raise ToolingError(
            f"the endpoint already sends to {start.receiving_region} (health check {start.health_check}, "
            f"alarm {start.alarm_name} {start.alarm_state})",
            hint="a drill starts from a healthy primary: wait for the alarm to return to OK "
            "(tooling failover status)",
        )
    run = _Drill(
        backend=backend,
        bus=bus,
        events=events,
        timeout=timeout,
        progress=progress or (lambda _line: None),
        clock=clock,
        sleep=sleep,
        factory=factory or EventFactory(),
        since=event_time_text(time.time() - SINCE_MARGIN_SECONDS),
        primary=start.primary_region,
        secondary=start.secondary_region,
    )
    failover_seconds = failback_seconds = None
    restored = True
    # A phase whose events go missing is reported and the drill goes on (failing back is still worth
    # proving); an endpoint that does not switch ends it, since what follows would not test anything.
    try:
        run.phase("primary", run.primary)
        run.set_alarm("ALARM", "failover drill: failing over to the secondary region")
        run.progress(f"health alarm {start.alarm_name} set to ALARM")
        failover_seconds = run.wait_for_region(run.secondary)
        if failover_seconds is not None:
            run.progress(f"the endpoint sends to {run.secondary} after {failover_seconds:.1f} s")
            run.phase("secondary", run.secondary)
        run.set_alarm("OK", "failover drill: restored")
        run.progress(f"health alarm {start.alarm_name} set back to OK")
        if failover_seconds is not None:
            failback_seconds = run.wait_for_region(run.primary)
            if failback_seconds is not None:
                run.progress(f"the endpoint sends to {run.primary} again after {failback_seconds:.1f} s")
                run.phase("back", run.primary)
        run.settle_all()
    finally:
        if run.holding_alarm:
            restored = _restore(run)
    published = [key for keys in run.keys.values() for key in keys]
    return DrillReport(
        environment=environment,
        target=target,
        endpoint_name=start.endpoint_name,
        primary_region=run.primary,
        secondary_region=run.secondary,
        events_per_phase=events,
        phases=run.phases,
        lost=sum(1 for key in published if key not in run.items),
        duplicated=sum(len(run.items[key]) - 1 for key in published if key in run.items),
        failover_seconds=None if failover_seconds is None else round(failover_seconds, 3),
        failback_seconds=None if failback_seconds is None else round(failback_seconds, 3),
        total_seconds=round(clock() - begin, 3),
        restored=restored,
        problems=run.problems,
    )


def _restore(run: _Drill) -> bool:
    """Set the alarm back to OK after an error or Ctrl-C; say so when even that fails."""
    try:
        run.set_alarm("OK", "failover drill: restored after an interruption")
    except Exception as exc:  # the original error goes on; this one must not hide it
        run.progress(f"could not set the health alarm back to OK ({exc}): set it yourself (SetAlarmState OK)")
        return False
    run.progress("health alarm set back to OK")
    return True
