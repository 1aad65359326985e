"""The global endpoint's health on the local target ([failover]): the health alarm, the Route 53 health check
that follows it, and so the region the endpoint sends to.

The alarm `<prefix>-failover-health` is evaluated as CloudWatch evaluates it, from the primary bus's metrics
(the rules' AWS/Events metrics the local engine counts): each of the last `evaluation_periods` periods is a
datapoint (the statistic over its samples, or missing), breaching above the threshold, missing data treated
as configured; ALARM when every datapoint breaches. Periods are SCALED: a local period lasts
`period_seconds / TIME_SCALE` seconds (AWS's 5 x 60 s template fails over after 5 s of breaching here), so a
drill runs in seconds; README says so.

SetAlarmState (`set_alarm_state`, the drill's lever) holds until the alarm's next evaluation, one scaled
period later (at least MIN_HOLD_SECONDS), as CloudWatch puts an alarm back to what its metric says: whoever
needs the state longer sets it again. The health check is unhealthy while the alarm is in ALARM or has
insufficient data (the contract's `insufficient_data_health_status = "Unhealthy"`); the endpoint sends to
the secondary while it is unhealthy. Route 53's own polling delay is not emulated: it follows at once.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from tooling.config import HealthAlarm
from tooling.errors import UsageError
from tooling.local.regions import LocalFailover
from tooling.local.store import Store

TIME_SCALE = 60.0
MIN_HOLD_SECONDS = 1.0
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
LATENCY = "IngestionToInvocationStartLatency"


@dataclass(frozen=True)
class AlarmState:
    name: str
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str
    # When it was set by SetAlarmState; None when the metric decides.
    set_at: float | None = None

    @property
    def healthy(self) -> bool:
        """The Route 53 health check's verdict on this alarm state."""
        return self.state == "OK"

    @property
    def set_at_time(self) -> datetime | None:
        return None if self.set_at is None else datetime.fromtimestamp(self.set_at, UTC)


def scaled_period(alarm: HealthAlarm) -> float:
    return alarm.period_seconds / TIME_SCALE


def _datapoint(store: Store, alarm: HealthAlarm, rules: list[str], start: float, end: float) -> float | None:
    """The alarm's statistic over [start, end) on the bus's rules; None when there is no data."""
    if not rules:
        return None
    marks = ",".join("?" * len(rules))
    if alarm.metric == LATENCY:
        values = [
            float(row[0])
            for row in store.query(
                f"SELECT value FROM samples WHERE scope = 'rule' AND metric = ? AND name IN ({marks}) "
                "AND ts >= ? AND ts < ? ORDER BY value",
                (LATENCY, *rules, start, end),
            )
        ]
    else:
        values = [
            float(row[0])
            for row in store.query(
                f"SELECT SUM(value) FROM counters WHERE scope = 'rule' AND metric = ? AND name IN ({marks}) "
                "AND bucket >= ? AND bucket < ? GROUP BY bucket",
                (alarm.metric, *rules, math.floor(start), end),
            )
        ]
    if not values:
        return None
    if alarm.statistic == "Average":
        return sum(values) / len(values)
    if alarm.statistic == "Maximum":
        return max(values)
    return sum(values)


def evaluate(store: Store, alarm: HealthAlarm, now: float) -> tuple[str, str]:
    """(state, reason) from the primary's metrics over the last evaluation periods (scaled)."""
    rules = [str(row[0]) for row in store.query("SELECT name FROM rules")]
    period = scaled_period(alarm)
    points = [
        _datapoint(store, alarm, rules, now - (i + 1) * period, now - i * period)
        for i in range(alarm.evaluation_periods)
    ]
    present = [p for p in points if p is not None]
    what = f"{alarm.statistic} {alarm.metric}"
    if not present:
        treat = alarm.treat_missing_data
        if treat == "breaching":
            return "ALARM", f"no data for {what}: missing data is breaching"
        if treat == "notBreaching":
            return "OK", f"no data for {what}: missing data is not breaching"
        return "INSUFFICIENT_DATA", f"no data for {what}"
    breaching = [p > alarm.threshold for p in present]
    if alarm.treat_missing_data in ("breaching", "notBreaching"):
        breaching += [alarm.treat_missing_data == "breaching"] * (len(points) - len(present))
    latest = present[0]
    if all(breaching):
        return "ALARM", f"{what} {latest:g} above {alarm.threshold:g} for {len(points)} period(s)"
    return "OK", f"{what} {latest:g} (threshold {alarm.threshold:g})"


def alarm_state(store: Store, failover: LocalFailover, now: float | None = None) -> AlarmState:
    """The health alarm now: a state SetAlarmState set within its hold, else what the metric says."""
    now = time.time() if now is None else now
    alarm = failover.alarm
    rows = store.query(
        "SELECT state, reason, set_at FROM alarm_overrides WHERE name = ?", (failover.health_alarm_name,)
    )
    hold = max(MIN_HOLD_SECONDS, scaled_period(alarm))
    if rows and now - float(rows[0]["set_at"]) < hold:
        row = rows[0]
        return AlarmState(
            failover.health_alarm_name, str(row["state"]), str(row["reason"]), float(row["set_at"])
        )
    state, reason = evaluate(store, alarm, now)
    return AlarmState(failover.health_alarm_name, state, reason)


def set_alarm_state(
    store: Store, failover: LocalFailover, state: str, reason: str, now: float | None = None
) -> AlarmState:
    """CloudWatch's SetAlarmState on the local health alarm."""
    if state not in STATES:
        raise UsageError(f"alarm state {state!r} is not one of {', '.join(STATES)}")
    now = time.time() if now is None else now
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO alarm_overrides (name, state, reason, set_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) "
            "DO UPDATE SET state = excluded.state, reason = excluded.reason, set_at = excluded.set_at",
            (failover.health_alarm_name, state, reason, now),
        )
    return AlarmState(failover.health_alarm_name, state, reason, now)


def receiving_region(store: Store, failover: LocalFailover, now: float | None = None) -> str:
    """Where the endpoint sends a PutEvents now: the primary while the health check is healthy."""
    healthy = alarm_state(store, failover, now).healthy
    return failover.primary_region if healthy else failover.secondary_region
