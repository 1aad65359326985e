"""The failover commands' backend on the local target, and the endpoint's status the monitor shows.

The endpoint is the local one (tooling/local/health.py routes by the health alarm; periods scaled), the
event store is the batch processor's SQLite file, which both regions' consumers write (the global table).
`settle` hands the batch queue's waiting messages to the consumer at once instead of after its batching
window (prod's is 30 s), so a drill runs in seconds; README says so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from tooling.errors import ToolingError
from tooling.failover.backend import StoredItem, stored_item
from tooling.local import event_source, health, replication
from tooling.local.dispatch import background_enabled, drain, pending_count, resume
from tooling.local.event_store_source import EVENT_STORE_FILE
from tooling.local.regions import LocalFailover, load_failover, open_secondary
from tooling.local.store import Store, damage_named
from tooling.observe.failover import EndpointStatus
from tooling.outputs import DeploymentOutputs, FailoverOutputs
from tooling.workspace import Workspace

POLL_SECONDS = 0.1
# Well inside the local alarm's hold (health.MIN_HOLD_SECONDS).
REASSERT_SECONDS = 0.25
# An in-process drain per settle (when no background dispatcher may run) is bounded by this.
DRAIN_SECONDS = 1.0


def endpoint_status(primary: Store, secondary: Store | None, outputs: FailoverOutputs) -> EndpointStatus:
    """The local endpoint now; state MISSING when the store has no endpoint (or no secondary region)."""
    failover = load_failover(primary)
    if failover is None:
        return EndpointStatus(
            endpoint_name=outputs.endpoint_name,
            endpoint_id=outputs.endpoint_id,
            endpoint_url=outputs.endpoint_url,
            state="MISSING",
            state_reason="the local target has no endpoint: apply again",
            primary_region=outputs.primary_region,
            secondary_region=outputs.secondary_region,
            health_check_id=outputs.health_check_id,
            health_check="Unknown",
            alarm_name=outputs.health_alarm_name,
            alarm_state="MISSING",
            receiving_region=outputs.primary_region,
            replication=outputs.replication,
        )
    alarm = health.alarm_state(primary, failover)
    stores = [primary] if secondary is None else [primary, secondary]
    lag = max(replication.lag_seconds(store) for store in stores) if failover.replication else None
    return EndpointStatus(
        endpoint_name=failover.endpoint_name,
        endpoint_id=failover.endpoint_id,
        endpoint_url=failover.endpoint_url,
        state="ACTIVE" if secondary is not None else "MISSING",
        state_reason="" if secondary is not None else "the secondary region's state is gone: apply again",
        primary_region=failover.primary_region,
        secondary_region=failover.secondary_region,
        health_check_id=failover.health_check_id,
        health_check="Healthy" if alarm.healthy else "Unhealthy",
        alarm_name=alarm.name,
        alarm_state=alarm.state,
        alarm_reason=alarm.reason,
        alarm_updated_at=alarm.set_at_time,
        receiving_region=failover.primary_region if alarm.healthy else failover.secondary_region,
        replication=failover.replication,
        replication_lag_seconds=None if lag is None else round(lag, 3),
    )


class LocalFailoverBackend:
    """tooling.failover's FailoverBackend on the local target."""

    poll_seconds = POLL_SECONDS
    reassert_seconds = REASSERT_SECONDS

    def __init__(self, workspace: Workspace, outputs: DeploymentOutputs) -> None:
        assert outputs.failover is not None  # tooling/targets.py refuses an environment without it
        self.workspace = workspace
        self.outputs = outputs.failover
        self.primary = Store.open(workspace)
        try:
            self.failover: LocalFailover | None = load_failover(self.primary)
            self.secondary = open_secondary(workspace, self.primary)
        except BaseException:
            self.primary.close()
            raise

    def close(self) -> None:
        self.primary.close()
        if self.secondary is not None:
            self.secondary.close()

    def _endpoint(self) -> LocalFailover:
        if self.failover is None or self.secondary is None:
            raise ToolingError(
                f"the local target of {self.workspace.env!r} has no endpoint or no secondary region",
                hint="apply again: tooling apply --target local",
            )
        return self.failover

    def status(self) -> EndpointStatus:
        return endpoint_status(self.primary, self.secondary, self.outputs)

    def set_alarm(self, state: str, reason: str) -> None:
        health.set_alarm_state(self.primary, self._endpoint(), state, reason)

    def stored(self, partitions: Sequence[str], since: str) -> list[StoredItem]:
        path = self.workspace.state_dir / EVENT_STORE_FILE
        if not partitions or not path.is_file():
            return []
        conn = sqlite3.connect(path, timeout=10.0)
        conn.row_factory = sqlite3.Row
        try:
            with damage_named(path):
                if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone() is None:
                    return []
                marks = ",".join("?" * len(partitions))
                rows = conn.execute(
                    f"SELECT * FROM events WHERE pk IN ({marks}) AND sk >= ?", (*partitions, since)
                ).fetchall()
        finally:
            conn.close()
        items = [stored_item(dict(row)) for row in rows]
        return [item for item in items if item is not None]

    def _stores(self) -> list[Store]:
        return [self.primary] if self.secondary is None else [self.primary, self.secondary]

    def settle(self) -> None:
        for store in self._stores():
            event_source.poll(store, flush=True)
        if background_enabled():
            resume(self.workspace)
        else:
            drain(self.workspace, DRAIN_SECONDS)

    def idle(self) -> bool:
        return all(pending_count(store) == 0 for store in self._stores())
