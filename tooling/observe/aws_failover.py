"""The global endpoint on AWS, read: EventBridge DescribeEndpoint (state, replication), CloudWatch
DescribeAlarms (the health alarm, in the primary region), Route 53 GetHealthCheck + GetHealthCheckStatus.

Which region receives is the Route 53 health check's verdict: healthy sends to the primary. Route 53 reports
it from its checkers' observations (healthy when more than 18% of them see it healthy); for a CLOUDWATCH_METRIC
check that is the alarm's state (ALARM unhealthy, INSUFFICIENT_DATA as the check's insufficient-data status
says, inverted when the check is), observed every 30 s or so. When the observations and the alarm
disagree, the observations win until the alarm has held its state for ROUTE53_INTERVAL_SECONDS; after that
the alarm does (an emulator whose GetHealthCheckStatus does not follow alarms, such as moto's fixed
"Success", then still shows the failover, 30 s late).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from tooling.clients import client
from tooling.observe.failover import EndpointStatus, HealthCheckStatus
from tooling.outputs import FailoverOutputs

ROUTE53_INTERVAL_SECONDS = 30.0
# Route 53: a health check is healthy when more than this share of its checkers report it healthy.
HEALTHY_SHARE = 0.18
# What our Terraform sets (the contract: a primary whose CloudWatch cannot be read fails over); AWS's own
# default, LastKnownStatus, is used when the check says so.
DEFAULT_INSUFFICIENT_DATA = "Unhealthy"


def route53_verdict(observations: list[dict[str, Any]]) -> HealthCheckStatus:
    """Route 53's verdict from GetHealthCheckStatus's observations."""
    statuses = [str((o.get("StatusReport") or {}).get("Status", "")) for o in observations]
    reported = [s for s in statuses if s.startswith(("Success", "Failure"))]
    if not reported:
        return "Unknown"
    healthy = sum(1 for s in reported if s.startswith("Success")) / len(reported)
    return "Healthy" if healthy > HEALTHY_SHARE else "Unhealthy"


def alarm_verdict(state: str, inverted: bool, insufficient: str) -> HealthCheckStatus:
    """What a CLOUDWATCH_METRIC health check makes of its alarm's state."""
    if state == "OK":
        healthy = True
    elif state == "ALARM":
        healthy = False
    elif insufficient == "Healthy":
        healthy = True
    elif insufficient == "Unhealthy":
        healthy = False
    else:
        return "Unknown"  # LastKnownStatus: Route 53's own observations tell
    if inverted:
        healthy = not healthy
    return "Healthy" if healthy else "Unhealthy"


def combined_verdict(
    reported: HealthCheckStatus, from_alarm: HealthCheckStatus, held_seconds: float | None
) -> HealthCheckStatus:
    """Route 53's report, or the alarm's verdict where the report is missing or has lagged behind an alarm
    state held for longer than Route 53's interval."""
    if reported == "Unknown":
        return from_alarm
    if from_alarm == "Unknown" or reported == from_alarm:
        return reported
    if held_seconds is not None and held_seconds >= ROUTE53_INTERVAL_SECONDS:
        return from_alarm
    return reported


class AwsEndpointReader:
    """Reads the endpoint of the outputs; the clients may be given (tests stub DescribeEndpoint)."""

    def __init__(
        self,
        failover: FailoverOutputs,
        *,
        events: Any = None,
        cloudwatch: Any = None,
        route53: Any = None,
    ) -> None:
        self.failover = failover
        region = failover.primary_region
        self.events = events if events is not None else client("events", region)
        self.cloudwatch = cloudwatch if cloudwatch is not None else client("cloudwatch", region)
        # Route 53 is global; its API answers in any region of the partition.
        self.route53 = route53 if route53 is not None else client("route53", region)

    def _endpoint(self) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.events.describe_endpoint(Name=self.failover.endpoint_name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "ResourceNotFoundException",
                "NotFoundException",
            ):
                return None
            raise
        return found

    def _alarm(self) -> dict[str, Any] | None:
        alarms = self.cloudwatch.describe_alarms(
            AlarmNames=[self.failover.health_alarm_name], AlarmTypes=["MetricAlarm"]
        ).get("MetricAlarms", [])
        return alarms[0] if alarms else None

    def _health_check(self) -> tuple[HealthCheckStatus, bool, str]:
        """(Route 53's reported verdict, inverted, insufficient-data status) of the endpoint's check."""
        check_id = self.failover.health_check_id
        try:
            config = self.route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"]
            observations = self.route53.get_health_check_status(HealthCheckId=check_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchHealthCheck":
                return "Unknown", False, DEFAULT_INSUFFICIENT_DATA
            raise
        reported = route53_verdict(observations.get("HealthCheckObservations", []))
        insufficient = str(config.get("InsufficientDataHealthStatus") or DEFAULT_INSUFFICIENT_DATA)
        return reported, bool(config.get("Inverted")), insufficient

    def status(self, now: datetime | None = None) -> EndpointStatus:
        now = now or datetime.now(UTC)
        failover = self.failover
        endpoint = self._endpoint()
        alarm = self._alarm()
        reported, inverted, insufficient = self._health_check()
        alarm_state = "MISSING" if alarm is None else str(alarm.get("StateValue", "INSUFFICIENT_DATA"))
        updated = None if alarm is None else alarm.get("StateUpdatedTimestamp")
        if isinstance(updated, datetime) and updated.tzinfo is None:
            updated = updated.replace(tzinfo=UTC)
        held = (now - updated).total_seconds() if isinstance(updated, datetime) else None
        from_alarm = "Unknown" if alarm is None else alarm_verdict(alarm_state, inverted, insufficient)
        verdict = combined_verdict(reported, from_alarm, held)
        replication = failover.replication
        if endpoint is not None and "ReplicationConfig" in endpoint:
            replication = endpoint["ReplicationConfig"].get("State", "ENABLED") == "ENABLED"
        return EndpointStatus(
            endpoint_name=failover.endpoint_name,
            endpoint_id=str((endpoint or {}).get("EndpointId") or failover.endpoint_id),
            endpoint_url=str((endpoint or {}).get("EndpointUrl") or failover.endpoint_url),
            state="MISSING" if endpoint is None else str(endpoint.get("State", "UNKNOWN")),
            state_reason="" if endpoint is None else str(endpoint.get("StateReason") or ""),
            primary_region=failover.primary_region,
            secondary_region=failover.secondary_region,
            health_check_id=failover.health_check_id,
            health_check=verdict,
            alarm_name=failover.health_alarm_name,
            alarm_state=alarm_state,
            alarm_reason="" if alarm is None else str(alarm.get("StateReason") or ""),
            alarm_updated_at=updated if isinstance(updated, datetime) else None,
            receiving_region=failover.secondary_region if verdict == "Unhealthy" else failover.primary_region,
            replication=replication,
            # EventBridge publishes no replication-lag metric for endpoints.
            replication_lag_seconds=None,
        )
