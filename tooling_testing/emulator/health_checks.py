"""Route 53 health checks of type CLOUDWATCH_METRIC, which moto 5.2.5 stores without their alarm.

moto drops AlarmIdentifier and InsufficientDataHealthStatus from CreateHealthCheck/UpdateHealthCheck, answers
every check with Port 80 and RequestInterval 30 (so the provider would plan a change, or a replacement, on
every re-plan of a CLOUDWATCH_METRIC check), and GetHealthCheckStatus always reports success. Patched here:
the alarm is kept and returned (with CloudWatchAlarmConfiguration, as Route 53 copies it from the alarm), and
the status follows the alarm as Route 53 evaluates it:

- alarm OK -> healthy; ALARM -> unhealthy;
- INSUFFICIENT_DATA (or no such alarm) -> the check's InsufficientDataHealthStatus: Healthy, Unhealthy, or
  LastKnownStatus (the last status evaluated; healthy before any);
- Inverted flips the result; a Disabled check is healthy (Route 53 treats it so).

The status is evaluated when asked, not every 30 s: a SetAlarmState is seen by the next PutEvents through an
endpoint (AWS takes up to a minute or so more, which the emulator does not reproduce).
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

DEFAULT_ACCOUNT = "123456789012"  # moto's, for a check created before the patch recorded its account
_lock = threading.Lock()
_last_known: dict[str, bool] = {}  # health check id -> the last status evaluated


def _moto(module: str) -> Any:
    return importlib.import_module(module)


def _health_check(account: str, health_check_id: str) -> Any:
    backend = _moto("moto.route53.models").route53_backends[account]["aws"]
    return backend.health_checks.get(health_check_id)


def exists(account: str, health_check_id: str) -> bool:
    return _health_check(account, health_check_id) is not None


def _alarm(health_check: Any) -> Any:
    identifier = getattr(health_check, "alarm_identifier", None) or {}
    region, name = identifier.get("Region"), identifier.get("Name")
    if not region or not name:
        return None
    account = getattr(health_check, "account_id", DEFAULT_ACCOUNT)
    backend = _moto("moto.cloudwatch.models").cloudwatch_backends[account][region]
    return backend.alarms.get(name)


def alarm_state(health_check: Any) -> str:
    """The alarm's state as Route 53 reads it; INSUFFICIENT_DATA when there is no such alarm."""
    alarm = _alarm(health_check)
    return str(alarm.state_value) if alarm is not None else "INSUFFICIENT_DATA"


def healthy(account: str, health_check_id: str) -> bool:
    """Whether Route 53 reports the check healthy now (a check that does not exist counts as healthy, as
    Route 53 treats a record whose health check was deleted)."""
    health_check = _health_check(account, health_check_id)
    if health_check is None or health_check.disabled:
        return True
    if health_check.type_ != "CLOUDWATCH_METRIC":
        return True  # moto runs no endpoint checks; it reports them successful
    state = alarm_state(health_check)
    with _lock:
        if state == "OK":
            status = True
        elif state == "ALARM":
            status = False
        else:
            missing = getattr(health_check, "insufficient_data_health_status", None) or "LastKnownStatus"
            status = {"Healthy": True, "Unhealthy": False}.get(
                missing, _last_known.get(health_check_id, True)
            )
        _last_known[health_check_id] = status
    return status != bool(health_check.inverted)


def patch() -> str:
    """Apply the Route 53 patches (moto_patches.apply_all calls this)."""
    route53 = _moto("moto.route53.models")
    responses = _moto("moto.route53.responses")
    HealthCheck, Route53 = route53.HealthCheck, responses.Route53
    ActionResult = _moto("moto.core.responses").ActionResult
    utcnow = _moto("moto.core.utils").utcnow
    create, update, status_of = (
        Route53.create_health_check,
        Route53.update_health_check,
        Route53.get_health_check_status,
    )
    config_of = HealthCheck.health_check_config.fget

    def create_health_check(self: Any) -> Any:
        config = self._get_param("HealthCheckConfig") or {}
        result = create(self)
        health_check = result.result["HealthCheck"]
        health_check.account_id = self.current_account
        health_check.alarm_identifier = config.get("AlarmIdentifier")
        health_check.insufficient_data_health_status = config.get("InsufficientDataHealthStatus")
        return result

    def update_health_check(self: Any) -> Any:
        result = update(self)
        health_check = result.result["HealthCheck"]
        if self._get_param("AlarmIdentifier"):
            health_check.alarm_identifier = self._get_param("AlarmIdentifier")
        if self._get_param("InsufficientDataHealthStatus"):
            health_check.insufficient_data_health_status = self._get_param("InsufficientDataHealthStatus")
        return result

    def health_check_config(self: Any) -> dict[str, Any]:
        if self.type_ != "CLOUDWATCH_METRIC":
            config: dict[str, Any] = config_of(self)
            return config
        # What Route 53 answers for this type: no IP, port, interval, latency or regions.
        return {
            "Type": self.type_, "Inverted": self.inverted, "Disabled": self.disabled,
            "AlarmIdentifier": getattr(self, "alarm_identifier", None),
            "InsufficientDataHealthStatus": getattr(self, "insufficient_data_health_status", None),
        }  # fmt: skip

    def cloud_watch_alarm_configuration(self: Any) -> dict[str, Any] | None:
        alarm = _alarm(self) if self.type_ == "CLOUDWATCH_METRIC" else None
        if alarm is None:
            return None
        return {
            "EvaluationPeriods": alarm.evaluation_periods, "Threshold": alarm.threshold,
            "ComparisonOperator": alarm.comparison_operator, "Period": alarm.period,
            "MetricName": alarm.metric_name, "Namespace": alarm.namespace, "Statistic": alarm.statistic,
            "Dimensions": [{"Name": d.name, "Value": d.value} for d in alarm.dimensions],
        }  # fmt: skip

    def get_health_check_status(self: Any) -> Any:
        health_check_id = self._get_param("HealthCheckId")
        health_check = self.backend.get_health_check(health_check_id)
        if health_check.type_ != "CLOUDWATCH_METRIC":
            return status_of(self)
        ok = healthy(self.current_account, health_check_id)
        name = (getattr(health_check, "alarm_identifier", None) or {}).get("Name", "?")
        report = (
            f"{'Success' if ok else 'Failure'}: CloudWatch alarm {name} is in state "
            f"{alarm_state(health_check)}; the health check is {'healthy' if ok else 'unhealthy'}."
        )
        observation = {"Region": "us-east-1", "IPAddress": "127.0.13.37",
                       "StatusReport": {"Status": report, "CheckedTime": utcnow()}}  # fmt: skip
        return ActionResult({"HealthCheckObservations": [observation]})

    Route53.create_health_check = create_health_check
    Route53.update_health_check = update_health_check
    Route53.get_health_check_status = get_health_check_status
    HealthCheck.health_check_config = property(health_check_config)
    HealthCheck.cloud_watch_alarm_configuration = property(cloud_watch_alarm_configuration)
    return (
        "route53: CLOUDWATCH_METRIC health checks keep their alarm and missing-data status, read back as "
        "Route 53 answers them, and report healthy or not from the alarm's state"
    )
