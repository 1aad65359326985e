"""The embedded local target: the whole architecture on one machine, no account, no network, no Docker.

Public API (what the CLI, the demo, the benchmark and the tests call):

    apply_local(prepared) -> DeploymentOutputs                   provision, then cache outputs.json
    provision(workspace, config, package) -> DeploymentOutputs   idempotent; updates changed rules
    destroy(workspace) -> None                                   under the environment's lock (envlock)
    state_identity(workspace) -> (dev, inode) | None             changes when the state is replaced
    open_local_bus(workspace, outputs) -> Bus                    PutEvents onto the local bus
    drain(workspace, timeout) -> DrainResult                     run pending Lambda deliveries
    local_monitor_source / local_log_source / local_replay_source / local_dlq_source(workspace, outputs)
    local_traffic_source(workspace, outputs) -> LocalTrafficSource   `tooling cost --measured`
    local_s3_archive_source(workspace, outputs) / flush_s3_archive(...)  the S3 event archive (firehose.py)
    local_routes_source(workspace, outputs)                      `routes diff`: rules as provisioned, the archive
    local_event_store(workspace, outputs) -> LocalEventStore     `tooling events query`, the store's count
    local_tail_reader / local_rule_pattern(workspace, outputs, ...)  `tooling tail` (tail_source.py)
    local_workflow_source(workspace, outputs)                    the order workflow's executions (`tooling smoke`)
    local_queues(workspace) -> Queues                            an SQS-like consumer API
    summary(workspace, outputs) -> LocalSummary                  what the demo prints (`.lines()`)
    drift_local(workspace) -> DriftReport                        `tooling drift`: the store vs the last apply
    LocalFailoverBackend(workspace, outputs)                     [failover]: the endpoint, its alarm, the drill

State lives in `.tooling/<env>/local.sqlite` (see store.py). Module map: engine.py (validate, accept,
archive, match, deliver), delivery.py (SQS semantics, invocation outcomes, retries, DLQs), worker.py and
lambda_runtime.py (the warm worker process per function), dispatch.py (runs queued invocations),
workflow_target.py (executions of the order-workflow state machine, emulated by workflows.py),
event_source.py (the batch queue's SQS event source mapping: polling, batches, partial failures), demo.py
(`tooling demo`), and the three monitor/logs/replay sources. [failover]: regions.py (the secondary region's
store), secondary.py (what it provisions, the endpoint's outputs), health.py (the health alarm, scaled, and
the region the endpoint sends to), replication.py (each bus's copies to the other), failover_source.py (the
failover commands' backend).

The package implements the seams of tooling/publish (Bus) and tooling/observe (monitor, log and replay
sources) and provisions what tooling/deploy prepared; it never imports the CLI or tooling/targets.py, the
one place that picks it or the aws side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tooling.envlock import DEFAULT_WAIT_TIMEOUT, Mode, env_lock
from tooling.errors import ToolingError, UsageError
from tooling.local import firehose
from tooling.local.delivery import Queues
from tooling.local.dispatch import LOCK_NAME as DISPATCHER_LOCK
from tooling.local.dispatch import DrainResult, drain, resume, spawn_background_dispatcher
from tooling.local.dlq_source import LocalDlqSource
from tooling.local.drift import drift_local
from tooling.local.engine import Engine
from tooling.local.event_store_source import EVENT_STORE_FILE, LocalEventStore
from tooling.local.failover_source import LocalFailoverBackend
from tooling.local.health import receiving_region
from tooling.local.logs_source import LocalLogSource
from tooling.local.monitor_source import LocalMonitorSource
from tooling.local.provision import destroy, provision
from tooling.local.regions import LocalFailover, load_failover, open_secondary
from tooling.local.replay_source import LocalReplaySource
from tooling.local.routes_source import LocalRoutesSource
from tooling.local.s3_archive_source import LocalS3ArchiveSource
from tooling.local.store import Store, db_path
from tooling.local.summary import LocalSummary, summarize
from tooling.local.tail_source import LocalEventReader
from tooling.local.tail_source import rule_pattern as tail_rule_pattern
from tooling.local.traffic_source import LocalTrafficSource
from tooling.local.workflow_source import LocalWorkflowSource
from tooling.outputs import DeploymentOutputs, save_outputs
from tooling.publish.bus import Bus, Entry, Result
from tooling.workspace import Workspace, check_lock

if TYPE_CHECKING:
    from tooling.deploy.pipeline import Prepared

__all__ = [
    "DrainResult",
    "LocalBus",
    "LocalFailoverBackend",
    "LocalS3ArchiveSource",
    "LocalSummary",
    "apply_local",
    "destroy",
    "drain",
    "drift_local",
    "flush_s3_archive",
    "local_dlq_source",
    "local_event_store",
    "local_log_source",
    "local_monitor_source",
    "local_queues",
    "local_replay_source",
    "local_routes_source",
    "local_rule_pattern",
    "local_s3_archive_source",
    "local_tail_reader",
    "local_traffic_source",
    "local_workflow_source",
    "open_local_bus",
    "provision",
    "state_identity",
    "summary",
]


def apply_local(prepared: Prepared, *, wait_timeout: float = DEFAULT_WAIT_TIMEOUT) -> DeploymentOutputs:
    """Provision the local target from what the pipeline prepared and cache its outputs (`tooling apply
    --target local`), under the environment's lock EXCLUSIVE (re-entrant: the CLI and the demo hold it)."""
    with env_lock(prepared.workspace, Mode.EXCLUSIVE, command="apply", wait_timeout=wait_timeout):
        outputs = provision(prepared.workspace, prepared.config, prepared.package)
        save_outputs(prepared.workspace, outputs)
    return outputs


def state_identity(workspace: Workspace) -> tuple[int, int] | None:
    """The store file's identity (device, inode), None when there is none: it changes when the environment
    is destroyed and applied again (or demoed), so a long-running view knows to reopen. While a view keeps
    the old file open its inode cannot be reused."""
    try:
        found = db_path(workspace).stat()
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def _open_store(workspace: Workspace, outputs: DeploymentOutputs) -> Store:
    store = Store.open(workspace)
    stored = store.meta("outputs") or "{}"
    if outputs.event_bus_name not in stored:
        store.close()
        raise ToolingError(
            f"the local target of {workspace.env!r} has no bus {outputs.event_bus_name}",
            hint="apply again: tooling apply --target local",
        )
    return store


class LocalBus:
    """The Bus seam over the local engine. Thread-safe (the publisher sends from several threads).

    With [failover] (the outputs hold an endpoint) and `endpoint`, it is the global endpoint: each PutEvents
    goes to the primary region's bus while the health check is healthy, else to the secondary's
    (tooling/local/health.py); without `endpoint` it aims at the primary's bus, and with `region` (the
    primary's or the secondary's) at that region's bus."""

    def __init__(
        self,
        workspace: Workspace,
        outputs: DeploymentOutputs,
        *,
        dispatch: bool = True,
        event_bus: str | None = None,
        endpoint: bool = True,
        region: str | None = None,
    ) -> None:
        self.workspace = workspace
        if dispatch:
            # A damaged dispatcher lock would fail each call after its events were accepted (and the
            # publisher would send them again): refuse before the first one.
            check_lock(workspace.state_dir / DISPATCHER_LOCK)
        self.store = _open_store(workspace, outputs)
        self.engine = Engine(self.store)
        self.dispatch = dispatch
        # None: the stack's custom bus; "default": the account's default bus (tooling.local.forwarding).
        self.event_bus = event_bus
        self.failover: LocalFailover | None = None
        self.secondary: Engine | None = None
        if region is not None and region != self.engine.region:
            self._aim_at(workspace, region)
        elif endpoint and event_bus is None and outputs.failover is not None:
            self._open_endpoint(workspace)

    def _aim_at(self, workspace: Workspace, region: str) -> None:
        """The secondary region's bus directly (PutEvents in that region, not through the endpoint)."""
        failover = load_failover(self.store)
        secondary = (
            None
            if failover is None or failover.secondary_region != region
            else open_secondary(workspace, self.store)
        )
        self.store.close()
        if secondary is None:
            raise UsageError(
                f"the local target of {workspace.env!r} has no bus in {region}",
                hint=f"publish in {self.engine.region}"
                + ("" if failover is None else f" or {failover.secondary_region}"),
            )
        self.store = secondary
        self.engine = Engine(secondary)

    def _open_endpoint(self, workspace: Workspace) -> None:
        failover = load_failover(self.store)
        secondary = None if failover is None else open_secondary(workspace, self.store)
        if failover is None or secondary is None:
            self.store.close()
            raise ToolingError(
                f"the local target of {workspace.env!r} has no endpoint or no secondary region, but its "
                "outputs name one",
                hint="apply again: tooling apply --target local",
            )
        self.failover = failover
        self.secondary = Engine(secondary)

    def receiving_region(self) -> str:
        """The region the next PutEvents goes to."""
        if self.failover is None:
            return self.engine.region
        return receiving_region(self.store, self.failover)

    def put_events(self, entries: list[Entry]) -> list[Result]:
        if self.event_bus is not None:
            entries = [{**entry, "EventBusName": self.event_bus} for entry in entries]
        engine = self.engine
        if (
            self.failover is not None
            and self.secondary is not None
            and receiving_region(self.store, self.failover) != self.failover.primary_region
        ):
            engine = self.secondary
        results = engine.put_events(entries)
        if self.dispatch and any("EventId" in r for r in results):
            spawn_background_dispatcher(self.workspace)
        return results

    def close(self) -> None:
        self.store.close()
        if self.secondary is not None:
            self.secondary.store.close()


def open_local_bus(
    workspace: Workspace,
    outputs: DeploymentOutputs,
    *,
    dispatch: bool = True,
    event_bus: str | None = None,
    endpoint: bool = True,
    region: str | None = None,
) -> Bus:
    """The local bus. With `dispatch` (and TOOLING_LOCAL_DISPATCH not `off`), accepted events' Lambda
    deliveries are run by a background dispatcher, as Lambda's asynchronous invocations would be;
    otherwise they wait for `drain()`. `event_bus="default"` puts on the account's default bus. With
    [failover], events go through the endpoint unless `endpoint=False` (then to the primary's bus) or a
    `region` names the bus (the secondary's: that region's bus directly)."""
    return LocalBus(
        workspace, outputs, dispatch=dispatch, event_bus=event_bus, endpoint=endpoint, region=region
    )


def local_monitor_source(workspace: Workspace, outputs: DeploymentOutputs) -> LocalMonitorSource:
    resume(workspace)
    return LocalMonitorSource(_open_store(workspace, outputs), outputs)


def local_traffic_source(workspace: Workspace, outputs: DeploymentOutputs) -> LocalTrafficSource:
    resume(workspace)
    return LocalTrafficSource(_open_store(workspace, outputs))


def local_log_source(workspace: Workspace, outputs: DeploymentOutputs) -> LocalLogSource:
    resume(workspace)
    return LocalLogSource(_open_store(workspace, outputs))


def local_replay_source(workspace: Workspace, outputs: DeploymentOutputs) -> LocalReplaySource:
    resume(workspace)
    return LocalReplaySource(
        _open_store(workspace, outputs), on_queued=lambda: spawn_background_dispatcher(workspace)
    )


def local_tail_reader(
    workspace: Workspace, outputs: DeploymentOutputs, pattern: dict[str, Any]
) -> LocalEventReader:
    """`tooling tail`: the events the bus accepts, those `pattern` matches (nothing to dispatch: read only)."""
    return LocalEventReader(_open_store(workspace, outputs), pattern)


def local_rule_pattern(workspace: Workspace, outputs: DeploymentOutputs, rule_name: str) -> dict[str, Any]:
    """The pattern of a provisioned rule (its full name), as the local bus routes with it."""
    store = _open_store(workspace, outputs)
    try:
        pattern = tail_rule_pattern(store, rule_name)
    finally:
        store.close()
    if pattern is None:
        raise UsageError(
            f"the local target has no rule {rule_name}", hint="apply again: tooling apply --target local"
        )
    return pattern


def local_dlq_source(workspace: Workspace, outputs: DeploymentOutputs) -> LocalDlqSource:
    resume(workspace)
    return LocalDlqSource(_open_store(workspace, outputs))


def local_s3_archive_source(workspace: Workspace, outputs: DeploymentOutputs) -> LocalS3ArchiveSource:
    """The S3 event archive's bucket folder (buffers that are due delivered first)."""
    from tooling.observe.s3_archive import require_s3_archive

    bucket = require_s3_archive(outputs)
    resume(workspace)
    return LocalS3ArchiveSource(workspace, _open_store(workspace, outputs), bucket)


def local_routes_source(workspace: Workspace, outputs: DeploymentOutputs) -> LocalRoutesSource:
    """The routing table as provisioned and the bus's archive (`tooling routes diff`); read only: no
    dispatcher is started for it."""
    return LocalRoutesSource(_open_store(workspace, outputs), outputs)


def flush_s3_archive(
    workspace: Workspace, outputs: DeploymentOutputs, *, force: bool
) -> firehose.FlushResult:
    """Deliver the S3 archive stream's buffers that are due (every buffer with `force`: the demo's end)."""
    store = _open_store(workspace, outputs)
    try:
        return firehose.flush(store, workspace, force=force)
    finally:
        store.close()


def local_event_store(workspace: Workspace, outputs: DeploymentOutputs) -> LocalEventStore:
    """The batch processor's store; pending batches get a dispatcher first, so a query sees them soon."""
    resume(workspace)
    return LocalEventStore(workspace.state_dir / EVENT_STORE_FILE)


def local_workflow_source(workspace: Workspace, outputs: DeploymentOutputs) -> LocalWorkflowSource:
    """The executions of the order-fulfilment state machine (primary region)."""
    resume(workspace)
    return LocalWorkflowSource(_open_store(workspace, outputs))


def local_queues(workspace: Workspace) -> Queues:
    return Queues(Store.open(workspace))


def summary(workspace: Workspace, outputs: DeploymentOutputs) -> LocalSummary:
    store = _open_store(workspace, outputs)
    try:
        return summarize(store, outputs)
    finally:
        store.close()
