"""The traffic a deployed environment carried over a window, as `tooling cost --measured` prices it.

A target implements `TrafficSource` (AWS: tooling/observe/aws_traffic.py, CloudWatch metrics; the local
target: tooling/local/traffic_source.py, its store); `traffic_request` says what to read from the outputs.
Counts are totals over the window; sizes and durations are averages; None where the target cannot tell.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from tooling.observe.monitor import Window, rule_name_from_arn
from tooling.outputs import DeploymentOutputs


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TrafficRequest(_Model):
    window: Window
    bus_name: str
    # routing-table name -> the rule's name on the bus (the key is what the config calls it)
    rules: dict[str, str]
    # function key (processor, ...) -> function name
    functions: dict[str, str]
    # function key -> its log group
    log_groups: dict[str, str] = Field(default_factory=dict)
    # the [forwarding] rule on the default bus; None when forwarding is off
    forwarding_rule: str | None = None


class MeasuredTraffic(_Model):
    """What the window held. `bus_scope` says what `bus_events` counts: the bus itself (the local target
    archives every event it accepts) or the whole account in the region (AWS's PutEvents metrics have no
    bus dimension)."""

    window: Window
    bus_scope: Literal["bus", "account"]
    bus_events: int = 0
    # mean PutEvents entry size (Time, Source, DetailType, Detail, Resources) and the event as delivered
    entry_bytes: float | None = None
    event_bytes: float | None = None
    # events per source (the local target's archive knows them; CloudWatch does not)
    sources: dict[str, int] = Field(default_factory=dict)
    # routing-table name -> MatchedEvents
    matched: dict[str, int] = Field(default_factory=dict)
    forwarded: int = 0
    # function key -> Invocations, mean Duration (ms; None without invocations), log bytes ingested
    invocations: dict[str, int] = Field(default_factory=dict)
    duration_ms: dict[str, float | None] = Field(default_factory=dict)
    log_bytes: dict[str, int] = Field(default_factory=dict)


class TrafficSource(Protocol):
    def measure(self, request: TrafficRequest) -> MeasuredTraffic:
        """The window's traffic, read without changing anything."""
        ...


def traffic_request(outputs: DeploymentOutputs, window: Window) -> TrafficRequest:
    """What to measure: the routing table's rules, the functions and their log groups, the forwarding rule."""
    forwarding = rule_name_from_arn(outputs.forwarding_rule_arn) if outputs.forwarding_rule_arn else None
    return TrafficRequest(
        window=window,
        bus_name=outputs.event_bus_name,
        rules={key: rule_name_from_arn(arn) for key, arn in outputs.rule_arns.items()},
        functions=dict(outputs.function_names),
        log_groups=dict(outputs.log_group_names),
        forwarding_rule=forwarding,
    )
