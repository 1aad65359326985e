"""The monitor's view of [failover]: the global endpoint (its state, the health check and the alarm behind it,
the region that receives, replication and its lag) and both regions' stacks side by side.

A source that can show the endpoint implements `FailoverSource` (both targets do): `endpoint_status` reads
the endpoint, and `region_source` opens the same kind of MonitorSource on the secondary region, so the
secondary is gathered with the same code as the primary (`build_snapshot` summarizes both). `tooling failover
status` shows the same `EndpointStatus`. This module sits below monitor.py (which imports it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from tooling.outputs import DeploymentOutputs, FailoverOutputs

HealthCheckStatus = Literal["Healthy", "Unhealthy", "Unknown"]
SUBJECT = "endpoint"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EndpointStatus(_Model):
    """The global endpoint now."""

    endpoint_name: str
    endpoint_id: str
    endpoint_url: str
    state: str  # EventBridge's: ACTIVE | CREATING | UPDATING | DELETING | *_FAILED; MISSING when absent
    state_reason: str = ""
    primary_region: str
    secondary_region: str
    health_check_id: str
    health_check: HealthCheckStatus  # Route 53's verdict, which the endpoint routes by
    alarm_name: str
    alarm_state: str  # OK | ALARM | INSUFFICIENT_DATA | MISSING
    alarm_reason: str = ""
    alarm_updated_at: datetime | None = None
    receiving_region: str  # where a PutEvents through the endpoint goes now
    replication: bool
    # Age of the oldest event not yet copied to the other region; None where it cannot be measured (AWS
    # publishes no replication-lag metric for endpoints).
    replication_lag_seconds: float | None = None

    @property
    def failed_over(self) -> bool:
        return self.receiving_region != self.primary_region


class RegionSummary(_Model):
    """One region's stack in the monitor's window: what it did and whether it is well."""

    region: str
    role: Literal["primary", "secondary"]
    bus_name: str
    receiving: bool
    archived_events: int | None = None  # None: no archive found
    matched_events: int = 0
    invocations: int = 0  # the functions'
    errors: int = 0
    dlq_messages: int = 0
    status: Literal["OK", "WARNING", "CRITICAL"] = "OK"


class FailoverView(_Model):
    endpoint: EndpointStatus
    regions: list[RegionSummary]


@runtime_checkable
class FailoverSource(Protocol):
    def endpoint_status(self, failover: FailoverOutputs) -> EndpointStatus:
        """The endpoint of the outputs, its health check, alarm and replication, read now."""
        ...

    def region_source(self, outputs: DeploymentOutputs) -> object:
        """A MonitorSource of the same target on the region `outputs` describe (the secondary); the caller
        closes it when it has a `close`."""
        ...


def secondary_deployment(outputs: DeploymentOutputs) -> DeploymentOutputs:
    """The secondary region's stack as DeploymentOutputs (what a monitor source of that region reads): the
    same names, the secondary's ARNs and URLs; the parts only the primary has (S3 archive, forwarding,
    publisher policy) empty."""
    failover = outputs.failover
    assert failover is not None
    second = failover.secondary

    partition = outputs.event_bus_arn.split(":")[1] if outputs.event_bus_arn.count(":") > 4 else "aws"
    consumers = bool(second.function_names)
    topic = outputs.notifications_topic_arn.split(":")
    topic_arn = ":".join([*topic[:3], second.region, *topic[4:]]) if consumers and len(topic) == 6 else ""
    return DeploymentOutputs(
        target=outputs.target,
        environment=outputs.environment,
        region=second.region,
        event_bus_name=second.event_bus_name,
        event_bus_arn=second.event_bus_arn,
        archive_name=second.archive_name,
        rule_arns=dict(second.rule_arns),
        batch_queue_url=second.batch_queue_url,
        batch_queue_arn=_queue_arn(second.batch_queue_url, partition),
        dead_letter_queue_urls=dict(second.dead_letter_queue_urls),
        notifications_topic_arn=topic_arn,
        function_names=dict(second.function_names),
        log_group_names=dict(second.log_group_names),
        event_store_table_name=second.event_store_table_name,
    )


def _queue_arn(url: str, partition: str) -> str:
    """`https://sqs.<region>.<domain>/<account>/<name>` -> its ARN ("" for no queue)."""
    parts = url.rstrip("/").split("/")
    if len(parts) < 5:
        return ""
    region = parts[2].split(".")[1] if parts[2].count(".") >= 2 else ""
    return f"arn:{partition}:sqs:{region}:{parts[-2]}:{parts[-1]}"


Finding = tuple[Literal["warning", "critical"], str, str]


def endpoint_problems(status: EndpointStatus) -> list[Finding]:
    """A missing or broken endpoint is critical; traffic on the secondary is a warning (it works, failed
    over); an alarm in ALARM is reported with the alarms."""
    found: list[Finding] = []
    if status.state != "ACTIVE":
        reason = f" ({status.state_reason})" if status.state_reason else ""
        found.append(("critical", SUBJECT, f"{status.endpoint_name} is {status.state}{reason}"))
    if status.failed_over:
        found.append(
            (
                "warning",
                SUBJECT,
                f"failed over: the endpoint sends to {status.receiving_region} (health check "
                f"{status.health_check}, alarm {status.alarm_state})",
            )
        )
    return found
