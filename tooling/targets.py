"""The one place that picks the aws or the local implementation of a seam, for the target the outputs (or
`--target`) name. It sits above both: tooling/deploy, tooling/publish and tooling/observe hold the aws side
and the seams themselves, tooling/local the emulator; neither side imports this module or the other side.

    apply / destroy           deploy.pipeline (terraform)          | tooling.local.apply_local / destroy
    apply_saved_plan          deploy.pipeline (terraform)          | (none: no plans)
                              (both under the environment's lock EXCLUSIVE: tooling/envlock.py)
    state_identity            outputs.json                         | + the local store file
    bus_for                   publish.http_bus.open_aws_bus        | tooling.local.open_local_bus
                              (HttpBus or boto3's AwsBus; through
                              the global endpoint when asked)
    sources_for -> Sources    observe/aws_sources.py (boto3)       | tooling.local.local_monitor_source,
                              and observe/aws_*.py                   local_log_source, local_replay_source,
                              (routes: routes/aws_deployed.py)       local_dlq_source, local_event_store,
                                                                     local_traffic_source, local_routes_source,
                                                                     local_workflow_source
    failover_backend_for      failover/aws.py (boto3)              | tooling.local.LocalFailoverBackend
    tail_source, rule_pattern observe/aws_tail.py (a temporary      | observe/tail.py StoreTail over
                              rule and queue; boto3)                 tooling.local.local_tail_reader
    doctor                    deploy/doctor.py (the pipeline's     + tooling/local/doctor.py (its state)
                              files)
    drift                     deploy/drift.py (terraform plan      | tooling.local.drift_local (the store
                              -refresh-only)                         vs what the last apply recorded)

The local side is imported lazily, so the aws path never loads the emulator, and the sources' aws side too,
so one target never loads the other's code. The CLI is the only caller.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tooling.envlock import DEFAULT_WAIT_TIMEOUT, Mode, env_lock
from tooling.errors import ToolingError, UsageError
from tooling.outputs import DeploymentOutputs, TargetKind, clear_outputs, load_outputs, with_target
from tooling.publish.bus import Bus
from tooling.publish.destination import Destination
from tooling.publish.http_bus import check_engine, open_aws_bus
from tooling.workspace import Workspace, shown

if TYPE_CHECKING:
    # Only the command that runs imports its seam: `publish` never loads terraform's pipeline or the monitors.
    from tooling.deploy import pipeline as deploy
    from tooling.deploy.doctor import Finding
    from tooling.deploy.drift import DriftReport
    from tooling.failover import FailoverBackend
    from tooling.observe.dlq import DlqSource
    from tooling.observe.event_store import EventStoreSource
    from tooling.observe.logs import LogSource
    from tooling.observe.monitor import MonitorSource
    from tooling.observe.replay import ReplaySource
    from tooling.observe.s3_archive import S3ArchiveSource
    from tooling.observe.tail import TailSource
    from tooling.observe.traffic import TrafficSource
    from tooling.observe.workflow import WorkflowSource
    from tooling.routes.deployed import DeployedRoutes


def apply(
    prepared: deploy.Prepared,
    target: TargetKind,
    *,
    confirm: deploy.Confirm,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    replace: bool = False,
) -> DeploymentOutputs | None:
    """Apply to AWS with terraform (plan, ask, apply) or provision the local target; None when declined.
    Either holds the environment's lock EXCLUSIVE (outputs.json, and the local state, are replaced): it waits
    up to `wait_timeout` seconds for the commands using the environment, then refuses (EnvironmentBusy).
    `replace` (a new suffix) provisions the local target afresh: as on AWS, renamed resources are new ones."""
    with env_lock(prepared.workspace, Mode.EXCLUSIVE, command="apply", wait_timeout=wait_timeout):
        if target == "local":
            from tooling.local import apply_local  # the emulator loads only when asked for
            from tooling.local import destroy as destroy_local

            if replace:
                destroy_local(prepared.workspace)
            return apply_local(prepared)
        from tooling.deploy import pipeline

        return pipeline.apply_aws(prepared, confirm=confirm)


def apply_saved_plan(
    workspace: Workspace,
    config_path: Path | None,
    plan_file: Path,
    *,
    confirm: deploy.Confirm,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
) -> DeploymentOutputs | None:
    """Apply a saved terraform plan (AWS only: the local target has no plans), under the environment's
    lock EXCLUSIVE as `apply` is; None when declined."""
    from tooling.deploy import pipeline

    with env_lock(workspace, Mode.EXCLUSIVE, command="apply", wait_timeout=wait_timeout):
        return pipeline.apply_saved_plan(workspace, config_path, plan_file, confirm=confirm)


def destroy(
    workspace: Workspace,
    target: TargetKind,
    config_path: Path | None,
    *,
    confirm: deploy.Confirm,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
) -> bool:
    """Remove everything of the environment on the target; False when the user declined. Holds the
    environment's lock EXCLUSIVE as `apply` does (locally after the question: it may wait)."""
    if target == "local":
        from tooling.local import destroy as destroy_local

        if not confirm(f"Destroy the local {workspace.env} environment (its queues, archive and logs)?"):
            return False
        with env_lock(workspace, Mode.EXCLUSIVE, command="destroy", wait_timeout=wait_timeout):
            destroy_local(workspace)
            clear_outputs(workspace)
        return True
    from tooling.deploy import pipeline

    with env_lock(workspace, Mode.EXCLUSIVE, command="destroy", wait_timeout=wait_timeout):
        return pipeline.destroy_aws(workspace, config_path, confirm=confirm)


def drift(workspace: Workspace, target: TargetKind, config_path: Path | None = None) -> DriftReport:
    """What changed outside Terraform (aws: a refresh-only plan) or outside `tooling apply` (local: the store
    against what the last apply recorded) since the last apply. `config_path` is the environment file the
    aws side writes its tfvars from; the local side compares with its own record."""
    if target == "local":
        report: DriftReport = _local("drift_local")(workspace)
        return report
    from tooling.deploy.drift import drift_aws

    return drift_aws(workspace, config_path)


def state_identity(
    workspace: Workspace, outputs_file: Path | None = None, target: str | None = None
) -> tuple[object, ...] | None:
    """What changes when the environment is applied again, destroyed or replaced: the outputs file's
    identity and, on the local target, its store file's. None when nothing is applied (or the local state
    is gone): a `--watch` compares it between refreshes to know when to reopen its sources."""
    path = outputs_file or workspace.outputs_path
    try:
        found = path.stat()
        kind = with_target(load_outputs(workspace, outputs_file), target).target
    except (OSError, ToolingError):
        return None
    outputs_identity = (found.st_dev, found.st_ino, found.st_mtime_ns, found.st_size)
    if kind != "local":
        return outputs_identity
    local_state = _local("state_identity")(workspace)
    return None if local_state is None else (*outputs_identity, *local_state)


def bus_for(
    outputs: DeploymentOutputs,
    workspace: Workspace,
    engine: str = "boto3",
    event_bus: str | None = None,
    destination: Destination | None = None,
) -> Bus:
    """The bus of the target the outputs were produced by: the stack's custom bus, or with
    `event_bus="default"` the account's default bus (where AWS service events arrive). For aws, `engine`
    "http" is the lean signed-HTTP path (tooling.publish.http_bus), "boto3" boto3's put_events.
    `destination` (tooling.publish.destination.choose_destination: what `tooling publish` uses) may aim
    through the global endpoint or at a region; without it, the primary region's bus directly."""
    check_engine(engine)
    if destination is not None:
        event_bus = destination.event_bus
    if outputs.target == "local":
        from tooling.local import open_local_bus  # imported lazily: the aws path never loads the emulator

        return open_local_bus(
            workspace,
            outputs,
            event_bus=event_bus,
            endpoint=destination is not None and destination.through_endpoint,
            # Through the endpoint the destination's region is the primary's; only an aimed one names a bus.
            region=None if destination is None or destination.through_endpoint else destination.region,
        )
    if destination is None:
        destination = Destination(event_bus or outputs.event_bus_name, outputs.region, event_bus)
    return open_aws_bus(destination.bus_name, destination.region, engine, destination.endpoint_id)


@dataclass(frozen=True)
class Sources:
    """Factories (not instances): a command builds only the source it needs."""

    outputs: DeploymentOutputs
    workspace: Workspace

    def monitor(self) -> MonitorSource:
        if self.outputs.target == "local":
            source: MonitorSource = _local("local_monitor_source")(self.workspace, self.outputs)
            return source
        from tooling.observe.aws_sources import AwsMonitorSource

        return AwsMonitorSource(self.outputs)

    def traffic(self) -> TrafficSource:
        """`tooling cost --measured`: the window's traffic (CloudWatch on AWS, the store locally)."""
        if self.outputs.target == "local":
            source: TrafficSource = _local("local_traffic_source")(self.workspace, self.outputs)
            return source
        from tooling.observe.aws_traffic import AwsTrafficSource

        return AwsTrafficSource(self.outputs.region)

    def logs(self) -> LogSource:
        if self.outputs.target == "local":
            source: LogSource = _local("local_log_source")(self.workspace, self.outputs)
            return source
        from tooling.observe.aws_sources import AwsLogSource

        return AwsLogSource(self.outputs.region)

    def replay(self) -> ReplaySource:
        if self.outputs.target == "local":
            source: ReplaySource = _local("local_replay_source")(self.workspace, self.outputs)
            return source
        from tooling.observe.aws_sources import AwsReplaySource

        return AwsReplaySource(self.outputs)

    def s3_archive(self) -> S3ArchiveSource:
        """The S3 event archive's bucket (UsageError when the deployment has none)."""
        from tooling.observe.s3_archive import require_s3_archive

        bucket = require_s3_archive(self.outputs)
        if self.outputs.target == "local":
            source: S3ArchiveSource = _local("local_s3_archive_source")(self.workspace, self.outputs)
            return source
        from tooling.observe.aws_s3_archive import AwsS3ArchiveSource

        return AwsS3ArchiveSource(bucket, self.outputs.region)

    def routes(self) -> DeployedRoutes:
        """The routing table as deployed and the bus's own archive (`tooling routes diff`)."""
        if self.outputs.target == "local":
            source: DeployedRoutes = _local("local_routes_source")(self.workspace, self.outputs)
            return source
        from tooling.routes.aws_deployed import AwsRoutesSource

        return AwsRoutesSource(self.outputs)

    def dlq(self) -> DlqSource:
        if self.outputs.target == "local":
            source: DlqSource = _local("local_dlq_source")(self.workspace, self.outputs)
            return source
        from tooling.observe.aws_dlq import AwsDlqSource

        return AwsDlqSource(self.outputs.region)

    def event_store(self) -> EventStoreSource:
        """The event store; a one-line usage error when the deployment has none."""
        from tooling.observe.event_store import require_table

        table = require_table(
            self.outputs.event_store_table_name, self.outputs.environment or self.workspace.env
        )
        if self.outputs.target == "local":
            source: EventStoreSource = _local("local_event_store")(self.workspace, self.outputs)
            return source
        from tooling.observe.aws_event_store import AwsEventStore

        return AwsEventStore(table, self.outputs.region)

    def workflows(self) -> WorkflowSource:
        """The order-fulfilment state machine's executions."""
        if self.outputs.target == "local":
            source: WorkflowSource = _local("local_workflow_source")(self.workspace, self.outputs)
            return source
        from tooling.observe.aws_workflow import AwsWorkflowSource
        from tooling.observe.workflow import state_machine_arn

        return AwsWorkflowSource(state_machine_arn(self.outputs), self.outputs.region)


def sources_for(outputs: DeploymentOutputs, workspace: Workspace) -> Sources:
    return Sources(outputs=outputs, workspace=workspace)


def failover_backend_for(outputs: DeploymentOutputs, workspace: Workspace) -> FailoverBackend:
    """The endpoint, health alarm and event store of the environment ([failover]) on its target; a usage
    error when it has no endpoint."""
    if outputs.failover is None:
        env = outputs.environment or workspace.env
        raise UsageError(
            f"environment {env!r} has no global endpoint (its outputs have no failover)",
            hint=f"add [failover] to environments/{env}.toml and apply, or pick an environment that has it",
        )
    if outputs.target == "local":
        backend: FailoverBackend = _local("LocalFailoverBackend")(workspace, outputs)
        return backend
    from tooling.failover.aws import AwsFailoverBackend

    return AwsFailoverBackend(outputs)


def tail_source(
    outputs: DeploymentOutputs,
    workspace: Workspace,
    pattern: dict[str, Any],
    *,
    outputs_file: Path | None = None,
    target: str | None = None,
    notify: Callable[[str], None],
) -> TailSource:
    """What `tooling tail` reads (not opened yet): on AWS a temporary rule with `pattern` and its queue;
    locally the store, followed as `logs --follow` follows it (reopened when the environment is replaced;
    `notify` says so)."""
    if outputs.target != "local":
        from tooling.observe.aws_tail import AwsTail

        return AwsTail(outputs, pattern)
    from tooling.observe.tail import EventReader, StoreTail
    from tooling.observe.watch import Followed

    def open_reader() -> EventReader:
        current = with_target(load_outputs(workspace, outputs_file), target)
        reader: EventReader = _local("local_tail_reader")(workspace, current, pattern)
        return reader

    followed: Followed[EventReader] = Followed(
        workspace,
        open_reader,
        lambda: state_identity(workspace, outputs_file, target),
        close=lambda reader: reader.close(),
        command="tail",
        notify=notify,
    )
    return StoreTail(followed)


def rule_pattern(outputs: DeploymentOutputs, workspace: Workspace, name: str) -> dict[str, Any]:
    """The event pattern of a routing-table rule as deployed (`name`: as the environment file names it, or
    the full name), so a tail sees exactly what that rule receives."""
    from tooling.observe.tail import rule_name

    full_name = rule_name(outputs, name)
    if outputs.target == "local":
        pattern: dict[str, Any] = _local("local_rule_pattern")(workspace, outputs, full_name)
        return pattern
    from tooling.observe.aws_tail import deployed_pattern

    return deployed_pattern(outputs, full_name)


def clean_tails(outputs: DeploymentOutputs) -> tuple[list[str], list[str]] | None:
    """Remove the expired leftovers of `tooling tail` runs: (removed, kept because not expired yet); None on
    the local target, where a tail creates nothing."""
    if outputs.target == "local":
        return None
    from datetime import UTC, datetime

    from tooling.observe.aws_tail import sweep

    found = sweep(outputs, datetime.now(UTC))
    return found.removed, found.kept


def _local(factory: str) -> Any:
    # importlib rather than `from tooling.local import ...`: the package is optional at type-check time and
    # this keeps the aws path from ever importing the emulator.
    try:
        module = importlib.import_module("tooling.local")
    except ModuleNotFoundError as exc:
        if exc.name not in ("tooling.local", "tooling"):
            raise
        raise ToolingError(
            "the local target is not available in this installation",
            hint="deploy to AWS and use --target aws, or install the full tooling package",
        ) from None
    try:
        return getattr(module, factory)
    except AttributeError:
        raise ToolingError(f"the local target does not provide {factory}") from None


@dataclass(frozen=True)
class DoctorReport:
    """What `tooling doctor` found (after repairing, when asked) and what it repaired."""

    findings: list[Finding]
    repaired: list[str]

    @property
    def healthy(self) -> bool:
        return all(f.status != "damaged" for f in self.findings)


def doctor(workspace: Workspace, config_path: Path | None, *, repair: bool = False) -> DoctorReport:
    """Check the environment's own files (deployment, then the local target's state); with `repair`,
    rebuild what the environment file can rebuild and check again. The suffix is never rewritten."""
    from tooling.deploy import doctor as checks

    findings = _doctor_checks(workspace, config_path)
    damaged = {f.check: f for f in findings if f.status == "damaged"}
    if not repair or not damaged:
        return DoctorReport(findings, [])
    repaired: list[str] = []
    if "environment file" in damaged or "suffix" in damaged:
        # Everything below is built from the file with the suffix: neither can be guessed.
        return DoctorReport(findings, repaired)
    from tooling.deploy import pipeline

    repaired += checks.rebuild_files(workspace, set(damaged))
    prepared = pipeline.prepare(workspace, config_path)  # writes the tfvars again
    from tooling.local import doctor as local

    local_damaged = [f for f in findings if f.status == "damaged" and f.check.startswith(("local", "lock"))]
    local_in_use = local.in_use(workspace)
    if local_damaged or ("outputs" in damaged and local_in_use):
        from tooling.local import apply_local
        from tooling.local import destroy as destroy_local

        if local.repair_paths(workspace, local_damaged):
            destroy_local(workspace)
            repaired.append("local target (provisioned afresh: its events and messages are gone)")
        else:
            repaired += [shown(f.path) for f in local_damaged]
        if "outputs" in damaged:
            clear_outputs(workspace)  # whatever stands there: apply_local writes it again
        apply_local(prepared)
        if "outputs" in damaged:
            repaired.append("outputs")
    return DoctorReport(_doctor_checks(workspace, config_path), repaired)


def _doctor_checks(workspace: Workspace, config_path: Path | None) -> list[Finding]:
    from tooling.deploy import doctor as checks

    findings = checks.check_deployment(workspace, config_path)
    if workspace.state_dir.is_dir():
        from tooling.local.doctor import check_local  # the emulator loads only when it has state

        findings += check_local(workspace)
    return findings
