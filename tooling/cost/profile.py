"""The traffic profile the estimate prices: what the primary region's bus carries per day.

Assumed (`--events-per-day N`): N events a day in the publisher's realistic mix (tooling/cost/sample.py),
routed by the environment's rules, plus what the order workflow publishes back; `--avg-size` replaces the
sample's mean entry size. Measured (`--measured --since 1h`): what the window held (a TrafficSource: the
local target's store, or CloudWatch), scaled to a day; what a target cannot measure (event sizes on AWS,
durations of functions that did not run) comes from the sample and the assumptions below, and each such
figure says so (`duration_basis`, `notes`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tooling.config import Config
from tooling.cost.sample import CHUNK_BYTES, EventMix, Sample
from tooling.observe.traffic import MeasuredTraffic
from tooling.order_workflow import WORKFLOW_TARGET

SECONDS_PER_DAY = 86400
# Mean billed duration of one invocation when none was measured (warm; the processors do little work per
# event, the notifier a conditional write and a webhook call, the batch processor one write per message of
# its batch). Stated in every estimate that uses them; --measured replaces them.
ASSUMED_DURATION_MS = {"processor": 100.0, "notifier": 200.0, "analytics": 100.0, "batch-processor": 300.0}
# CloudWatch Logs bytes one invocation writes when none were measured: Lambda's START/END/REPORT lines, one
# structured log line and one metrics (EMF) line of Powertools.
ASSUMED_LOG_BYTES = 2000.0
MAX_EVENTS_PER_DAY = 10**12

Basis = Literal["measured", "assumed"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleTraffic(_Model):
    matched_per_day: float
    payload_bytes: dict[str, float]  # target id -> mean bytes it receives


class TrafficProfile(_Model):
    kind: Literal["assumed", "measured"]
    description: str
    # Every event the primary bus accepts a day: published by producers, by the order workflow, copies of the
    # secondary's workflow events (replication), and AWS service events the [forwarding] rule forwards.
    bus_events_per_day: float
    published_per_day: float
    workflow_events_per_day: float
    copies_in_per_day: float
    forwarded_per_day: float
    entry_bytes: float  # mean PutEvents entry
    chunks_per_event: float  # 64 KB chunks
    event_bytes: float  # the event as delivered (archive, queues, stream, store)
    gzip_ratio: float
    source_shares: dict[str, float]
    rules: dict[str, RuleTraffic]
    duration_ms: dict[str, float]
    duration_basis: dict[str, Basis]
    log_bytes_per_invocation: dict[str, float]
    log_basis: dict[str, Basis]
    window_start: datetime | None = None
    window_end: datetime | None = None
    notes: list[str] = Field(default_factory=list)


def workflow_rules(config: Config) -> set[str]:
    return {r.name for r in config.rules if r.enabled and any(t.target == WORKFLOW_TARGET for t in r.targets)}


def mirrors_workflow_events(config: Config) -> bool:
    """With a global endpoint replicating to a secondary that runs the workflow too, each region's workflow
    events are copied to the other's bus (the local target's replication does the same)."""
    failover = config.failover
    return bool(failover and failover.replication and failover.secondary_consumers and workflow_rules(config))


def assumed_profile(
    config: Config, sample: Sample, events_per_day: float, avg_size: int | None = None
) -> TrafficProfile:
    published = _resized(config, sample.published, avg_size)
    executions = events_per_day * sample.executions_per_event
    copies = executions if mirrors_workflow_events(config) else 0.0
    groups: list[tuple[float, EventMix]] = [(events_per_day, published)]
    if sample.outcomes is not None and executions:
        groups.append((executions + copies, sample.outcomes))
    total = events_per_day + executions + copies
    size = (
        f"{avg_size:,} B (--avg-size)" if avg_size else f"{published.entry_bytes:,.0f} B (the sample's mean)"
    )
    return TrafficProfile(
        kind="assumed",
        description=f"{events_per_day:,.0f} events/day in the publisher's realistic mix, entries of {size}",
        bus_events_per_day=total,
        published_per_day=events_per_day,
        workflow_events_per_day=executions,
        copies_in_per_day=copies,
        forwarded_per_day=0.0,
        entry_bytes=_weighted(groups, lambda mix: mix.entry_bytes),
        chunks_per_event=_weighted(groups, lambda mix: mix.chunks),
        event_bytes=_weighted(groups, lambda mix: mix.event_bytes),
        gzip_ratio=sample.gzip_ratio,
        source_shares=_shares(groups),
        rules=_rules(config, groups),
        duration_ms=_durations(config),
        duration_basis={key: "assumed" for key, _ in config.deployed_functions()},
        log_bytes_per_invocation={key: ASSUMED_LOG_BYTES for key, _ in config.deployed_functions()},
        log_basis={key: "assumed" for key, _ in config.deployed_functions()},
        notes=[
            f"sample: {sample.events:,} events of `tooling publish` (seed {sample.seed}), routed by this "
            "environment's rules; AWS service events forwarded by [forwarding]: none assumed"
        ],
    )


def measured_profile(config: Config, sample: Sample, measured: MeasuredTraffic) -> TrafficProfile:
    window = measured.window
    scale = SECONDS_PER_DAY / window.seconds
    matched = {name: count * scale for name, count in measured.matched.items()}
    executions = sum(matched.get(name, 0.0) for name in workflow_rules(config))
    copies = executions if mirrors_workflow_events(config) else 0.0
    forwarded = measured.forwarded * scale
    notes = [
        f"measured over {window.start:%Y-%m-%d %H:%M}..{window.end:%H:%M} UTC ({window.seconds:,} s), scaled to a day"
    ]
    bus = measured.bus_events * scale
    if measured.bus_scope == "account":
        notes.append(
            "bus events: AWS/Events PutEventsEntriesCount counts the whole account in the region (no per-bus "
            "PutEvents metric); at least the most any rule matched"
        )
        bus = max([bus, *matched.values()])
    mix = sample.published
    entry_bytes = measured.entry_bytes or mix.entry_bytes
    event_bytes = measured.event_bytes or entry_bytes + (mix.event_bytes - mix.entry_bytes)
    if measured.entry_bytes is None:
        notes.append("event sizes: none measured (no events); the sample's")
    elif measured.event_bytes is None:
        notes.append("event size as delivered: the measured entry size plus the sample's envelope")
    sources = measured.sources
    if not sources:
        notes.append("sources (the S3 archive's partitions): the sample's mix")
    delta = event_bytes - mix.event_bytes
    rules = {}
    for rule in config.rules:
        if not rule.enabled:
            continue
        share = mix.rules.get(rule.name)
        payloads = {
            t.target_id: (share.payload_bytes.get(t.target_id, event_bytes) if share else event_bytes)
            + (delta if t.input_transformer is None else 0.0)
            for t in rule.targets
        }
        rules[rule.name] = RuleTraffic(matched_per_day=matched.get(rule.name, 0.0), payload_bytes=payloads)
    durations: dict[str, float] = {}
    duration_basis: dict[str, Basis] = {}
    log_bytes: dict[str, float] = {}
    log_basis: dict[str, Basis] = {}
    assumed = _durations(config)
    for key, _ in config.deployed_functions():
        runs = measured.invocations.get(key, 0)
        mean = measured.duration_ms.get(key)
        durations[key], duration_basis[key] = (
            (mean, "measured") if runs and mean else (assumed[key], "assumed")
        )
        logged = measured.log_bytes.get(key)
        if runs and logged:
            log_bytes[key], log_basis[key] = logged / runs, "measured"
        else:
            log_bytes[key], log_basis[key] = ASSUMED_LOG_BYTES, "assumed"
    published = max(0.0, bus - executions - copies - forwarded)
    return TrafficProfile(
        kind="measured",
        description=f"{bus:,.0f} events/day on the bus, measured over {_duration(window.seconds)}",
        bus_events_per_day=bus,
        published_per_day=published,
        workflow_events_per_day=executions,
        copies_in_per_day=copies,
        forwarded_per_day=forwarded,
        entry_bytes=entry_bytes,
        chunks_per_event=max(1.0, float(math.ceil(entry_bytes / CHUNK_BYTES))),
        event_bytes=event_bytes,
        gzip_ratio=sample.gzip_ratio,
        source_shares=_normal(sources) if sources else dict(mix.sources),
        rules=rules,
        duration_ms=durations,
        duration_basis=duration_basis,
        log_bytes_per_invocation=log_bytes,
        log_basis=log_basis,
        window_start=window.start,
        window_end=window.end,
        notes=notes,
    )


def _resized(config: Config, mix: EventMix, avg_size: int | None) -> EventMix:
    """The mix with entries of `avg_size` bytes: the event and every whole-event payload grow by as much."""
    if avg_size is None:
        return mix
    delta = avg_size - mix.entry_bytes
    transformed = {(r.name, t.target_id) for r in config.rules for t in r.targets if t.input_transformer}
    rules = {
        name: share.model_copy(
            update={
                "payload_bytes": {
                    target: size + (0.0 if (name, target) in transformed else delta)
                    for target, size in share.payload_bytes.items()
                }
            }
        )
        for name, share in mix.rules.items()
    }
    return mix.model_copy(
        update={
            "entry_bytes": float(avg_size),
            "chunks": float(max(1, math.ceil(avg_size / CHUNK_BYTES))),
            "event_bytes": mix.event_bytes + delta,
            "rules": rules,
        }
    )


def _weighted(groups: list[tuple[float, EventMix]], value: Callable[[EventMix], float]) -> float:
    total = sum(weight for weight, _ in groups)
    if not total:
        return value(groups[0][1])
    return sum(weight * value(mix) for weight, mix in groups) / total


def _shares(groups: list[tuple[float, EventMix]]) -> dict[str, float]:
    counts: dict[str, float] = {}
    for weight, mix in groups:
        for source, share in mix.sources.items():
            counts[source] = counts.get(source, 0.0) + weight * share
    return _normal(counts) if sum(counts.values()) else dict(groups[0][1].sources)


def _normal(counts: dict[str, float] | dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {key: value / total for key, value in sorted(counts.items())}


def _rules(config: Config, groups: list[tuple[float, EventMix]]) -> dict[str, RuleTraffic]:
    out = {}
    for rule in config.rules:
        if not rule.enabled:
            continue
        matched = 0.0
        payload_sums: dict[str, float] = {}
        for weight, mix in groups:
            share = mix.rules.get(rule.name)
            if share is None or not share.fraction:
                continue
            matched += weight * share.fraction
            for target, size in share.payload_bytes.items():
                payload_sums[target] = payload_sums.get(target, 0.0) + weight * share.fraction * size
        payloads = {t: s / matched for t, s in payload_sums.items()} if matched else {}
        out[rule.name] = RuleTraffic(matched_per_day=matched, payload_bytes=payloads)
    return out


def _durations(config: Config) -> dict[str, float]:
    return {key: ASSUMED_DURATION_MS.get(key, 100.0) for key, _ in config.deployed_functions()}


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"
