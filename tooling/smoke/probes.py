"""Looking for a sent canary where its route says it must arrive, through the seams of tooling/observe (the
target's log, event store, S3 archive and workflow sources; tooling/targets.py builds them for AWS or the
local target). Each look answers a sighting (seen, or the target reported a failure for it), that the place
cannot be observed, or nothing yet.

Latency is measured from the PutEvents call to the time the evidence carries: the log line's timestamp, the
archive object's last-modified time, the execution's start; an event store item carries none, so there it
is the first poll that found it (an upper bound, within one poll interval).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from tooling.errors import ToolingError
from tooling.observe.event_store import EventStoreSource, build_query
from tooling.observe.logs import LogSource
from tooling.observe.s3_archive import S3ArchiveSource, key_prefix, read_object
from tooling.observe.workflow import WorkflowSource
from tooling.order_workflow import ACCEPTED, FLAGGED, PUBLISHED_SOURCE, outcome_idempotency_key
from tooling.outputs import DeploymentOutputs
from tooling.smoke.canary import IDEMPOTENCY_KEY
from tooling.smoke.plan import Canary, Observation

# The handlers' line per canary (lambda_src/event_processors/canary.py LOG_MESSAGE; the Lambda package and
# the tooling cannot import each other, tests/robustness/test_smoke_canary_marks.py holds them equal).
LOG_MESSAGE = "Canary handled"
# Clocks differ by a little between this machine and AWS: evidence this much older than the send still counts.
CLOCK_SLACK = timedelta(seconds=60)
FAILED_EXECUTION = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})
MAX_ITEMS = 1000


class ObservationSources(Protocol):
    """What tooling/targets.py `Sources` provides (factories: each call may open a new source)."""

    @property
    def outputs(self) -> DeploymentOutputs: ...

    def logs(self) -> LogSource: ...

    def event_store(self) -> EventStoreSource: ...

    def s3_archive(self) -> S3ArchiveSource: ...

    def workflows(self) -> WorkflowSource: ...


@dataclass(frozen=True)
class Sent:
    """A canary on the bus: its event id and when PutEvents accepted it."""

    canary: Canary
    event_id: str
    at: datetime


@dataclass(frozen=True)
class Sighting:
    at: datetime
    evidence: str
    failure: str | None = None  # the target reported an error for the canary


@dataclass(frozen=True)
class Unobservable:
    reason: str


Look = Sighting | Unobservable | None


def _close(source: object) -> None:
    close = getattr(source, "close", None)
    if callable(close):
        close()


class Probes:
    """One run's looks. Sources are opened once (the S3 archive's per look: locally, opening it delivers the
    Firehose buffers that are due) and closed by `close`."""

    def __init__(self, sources: ObservationSources) -> None:
        self.sources = sources
        self.outputs = sources.outputs
        self._logs: LogSource | None = None
        self._store: EventStoreSource | None = None
        self._workflows: WorkflowSource | None = None
        self._read_keys: set[str] = set()
        self.buffered_records: int | None = None  # the local archive's records still in their buffer

    def close(self) -> None:
        for source in (self._logs, self._store, self._workflows):
            if source is not None:
                _close(source)

    def look(self, observation: Observation, sent: Sent, now: datetime) -> Look:
        if observation.kind == "log":
            assert observation.function is not None
            return self._log(observation.function, sent)
        if observation.kind == "event-store":
            return self._stored(sent, now)
        if observation.kind == "s3-archive":
            return self._archived(sent, now)
        return self._workflow(sent, now)

    # -- the function's log -------------------------------------------------------------------------------

    def _log(self, function: str, sent: Sent) -> Look:
        if self._logs is None:
            self._logs = self.sources.logs()
        group = self.outputs.log_group_names[function]
        failure: Sighting | None = None
        for record in self._logs.events(group, sent.at - CLOCK_SLACK, text=sent.canary.id, metrics=False):
            data = _json(record.message)
            if data.get("message") == LOG_MESSAGE and data.get("canary_id") == sent.canary.id:
                return Sighting(record.timestamp, f"{group}: {LOG_MESSAGE}")
            if failure is None and str(data.get("level", "")).upper() in ("ERROR", "CRITICAL"):
                reason = data.get("reason") or data.get("message") or record.message
                failure = Sighting(record.timestamp, f"{group}", failure=str(reason)[:300])
        return failure

    # -- the event store ----------------------------------------------------------------------------------

    def _store_source(self) -> EventStoreSource:
        if self._store is None:
            self._store = self.sources.event_store()
        return self._store

    def _find_item(self, source: str, detail_type: str, key: str, since: datetime, now: datetime) -> bool:
        query = build_query(source, detail_type, since=now - since + CLOCK_SLACK, limit=MAX_ITEMS)
        for item in self._store_source().query(query, now):
            stored_key = item.key or str(item.event.get("detail", {}).get(IDEMPOTENCY_KEY, ""))
            if stored_key == key:
                return True
        return False

    def _stored(self, sent: Sent, now: datetime) -> Look:
        event = sent.canary.event
        # The item's sort key holds the producer's time (detail.timestamp), which the canary's sample set.
        since = min(sent.at, sent.canary.created)
        if self._find_item(event["source"], event["detail-type"], sent.canary.id, since, now):
            return Sighting(
                now, f"event store item {event['source']}#{event['detail-type']} / {sent.canary.id}"
            )
        return None

    # -- the S3 archive -----------------------------------------------------------------------------------

    def _archived(self, sent: Sent, now: datetime) -> Look:
        archive = self.sources.s3_archive()
        try:
            self.buffered_records = getattr(archive, "buffered_records", None)
            source = str(sent.canary.event["source"])
            for day in _days(sent.at - CLOCK_SLACK, now):
                for found in archive.list_objects(key_prefix(source, day)):
                    if found.key in self._read_keys or found.last_modified < sent.at - CLOCK_SLACK:
                        continue
                    records = read_object(archive, found.key)
                    self._read_keys.add(found.key)
                    if any(sent.canary.id in record for record in records):
                        return Sighting(found.last_modified, f"s3://{archive.bucket}/{found.key}")
        finally:
            _close(archive)
        return None

    # -- the workflow -------------------------------------------------------------------------------------

    def _workflow(self, sent: Sent, now: datetime) -> Look:
        if self._workflows is None:
            self._workflows = self.sources.workflows()
        executions = self._workflows.executions(sent.at - CLOCK_SLACK)
        if executions is None:
            return self._workflow_outcome(sent, now)
        for execution in executions:
            if sent.canary.id not in execution.input and sent.event_id not in execution.input:
                continue
            if execution.status in FAILED_EXECUTION:
                cause = execution.error or execution.status
                if execution.cause:
                    cause += f": {execution.cause}"
                return Sighting(execution.started, f"execution {execution.name}", failure=cause[:300])
            return Sighting(execution.started, f"execution {execution.name} ({execution.status})")
        return None

    def _workflow_outcome(self, sent: Sent, now: datetime) -> Look:
        """An EXPRESS state machine on AWS cannot be listed: the event its execution published (Order Flagged
        or Accepted, keyed on the order id) proves it ran, when the event store keeps it."""
        if not self.outputs.event_store_table_name:
            return Unobservable(
                "EXPRESS executions cannot be listed (ListExecutions) and the deployment has no event store "
                "to find the event the execution publishes"
            )
        order_id = sent.canary.event.get("detail", {}).get("orderId", sent.canary.id)
        since = min(sent.at, sent.canary.created)
        for detail_type in (FLAGGED, ACCEPTED):
            key = outcome_idempotency_key(detail_type, order_id)
            if self._find_item(PUBLISHED_SOURCE, detail_type, key, since, now):
                return Sighting(now, f"the execution's {detail_type!r} event in the event store")
        return None


def _json(message: str) -> dict[str, Any]:
    text = message.strip()
    if not text.startswith("{"):
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _days(start: datetime, end: datetime) -> list[date]:
    """The UTC days from start to end: archive keys are partitioned by the record's arrival day."""
    first, last = start.date(), end.date()
    if (last - first).days > 2:
        raise ToolingError("the smoke window spans more than two days")  # never with --timeout <= 1h
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
