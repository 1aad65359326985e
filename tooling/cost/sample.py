"""What the publisher's realistic traffic looks like to the bill, for an assumed profile: a seeded sample of
the events `tooling publish` sends (the default mix of orders, users, payments and inventory), routed through
the environment's own routing table with the pattern engine EventBridge's semantics are tested against.

It gives, per published event: the PutEvents entry size and its 64 KB chunks, the size of the event as
targets receive it, the share of each source (the S3 archive partitions by source), how gzip compresses the
events, and for each rule the share of events it matches and the mean size of what each of its targets
receives (an input transformer's output, or the whole event). The order workflow's events are sampled the
same way, per execution: each one the workflow starts publishes "Order Flagged" or "Order Accepted".
"""

from __future__ import annotations

import gzip
import json
import math
import uuid
from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict

from tooling.config import Config, Rule
from tooling.order_workflow import ACCEPTED, FLAGGED, WORKFLOW_TARGET, put_events_entry
from tooling.patterns import RuleSet
from tooling.patterns.transform import apply_input_transformer
from tooling.publish.events import EventFactory, entry_size

SAMPLE_EVENTS = 1000
SAMPLE_SEED = 24
CHUNK_BYTES = 64 * 1024  # EventBridge bills each 64 KB chunk of an event as one event
# Fixed so that a sample is the same bytes every run (the real ones are as long: ISO time, a UUID).
_CLOCK = "2026-01-01T00:00:00.000Z"
_TIME = "2026-01-01T00:00:00Z"
_ACCOUNT = "123456789012"
_SUFFIX = "xxxxxx"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleShare(_Model):
    fraction: float  # of the events, the share this rule matches
    payload_bytes: dict[str, float]  # target id -> mean bytes of what it receives


class EventMix(_Model):
    entry_bytes: float
    chunks: float  # mean 64 KB chunks per event (1 for every event under 64 KB)
    event_bytes: float
    sources: dict[str, float]  # source -> share
    rules: dict[str, RuleShare]


class Sample(_Model):
    events: int
    seed: int
    published: EventMix
    gzip_ratio: float  # gzip size / raw size of the events as JSON lines (the S3 archive, logs at rest)
    executions_per_event: float  # order-workflow executions one published event starts
    outcomes: EventMix | None  # the workflow's events, one per execution; None without the workflow


def take_sample(config: Config, events: int = SAMPLE_EVENTS, seed: int = SAMPLE_SEED) -> Sample:
    keys = (str(uuid.uuid5(uuid.NAMESPACE_URL, f"cost-sample-{seed}-{i}")) for i in range(events))
    factory = EventFactory(seed=seed, clock=lambda: _CLOCK, new_key=lambda: next(keys))
    entries = list(factory.mixed(events))
    bodies = [_event(entry, config.region, i) for i, entry in enumerate(entries)]
    router = _Router(config)
    published = _mix(router, entries, bodies)
    lines = "\n".join(json.dumps(body, separators=(",", ":")) for body in bodies).encode()
    workflow_rules = {r.name for r in router.rules if any(t.target == WORKFLOW_TARGET for t in r.targets)}
    executions = sum(published.rules[name].fraction for name in workflow_rules)
    outcomes = _outcomes(config, router, bodies, workflow_rules) if workflow_rules else None
    return Sample(
        events=events,
        seed=seed,
        published=published,
        gzip_ratio=len(gzip.compress(lines, mtime=0)) / len(lines),
        executions_per_event=executions,
        outcomes=outcomes,
    )


def _event(entry: dict[str, Any], region: str, index: int) -> dict[str, Any]:
    """The event EventBridge makes of an entry (what rules match and targets receive)."""
    return {
        "version": "0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"cost-event-{index}")),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": _ACCOUNT,
        "time": _TIME,
        "region": region,
        "resources": list(entry.get("Resources") or []),
        "detail": json.loads(entry["Detail"]),
    }


class _Router:
    """The enabled rules of the routing table, compiled once: which match an event, what each target gets."""

    def __init__(self, config: Config) -> None:
        self.rules: list[Rule] = [rule for rule in config.rules if rule.enabled]
        self.ruleset = RuleSet({rule.name: rule.pattern for rule in self.rules})
        self.prefix = config.name_prefix(_SUFFIX)

    def matches(self, body: dict[str, Any]) -> set[str]:
        return set(self.ruleset.match(body))

    def payload_sizes(self, rule: Rule, body: dict[str, Any], whole: int) -> dict[str, int]:
        """Target id -> the bytes it receives: the transformer's output, or the whole event."""
        sizes = {}
        for target in rule.targets:
            transformer = target.input_transformer
            if transformer is None:
                sizes[target.target_id] = whole
                continue
            rendered = apply_input_transformer(
                body,
                transformer.input_paths,
                transformer.input_template,
                rule_name=f"{self.prefix}-{rule.name}",
                ingestion_time=_TIME,
            )
            sizes[target.target_id] = len(rendered.encode())
        return sizes


def _mix(router: _Router, entries: list[dict[str, Any]], bodies: list[dict[str, Any]]) -> EventMix:
    count = len(bodies)
    sizes = [entry_size(entry) for entry in entries]
    whole = [_size(body) for body in bodies]
    matched: Counter[str] = Counter()
    payloads: Counter[tuple[str, str]] = Counter()
    for body, body_bytes in zip(bodies, whole, strict=True):
        hits = router.matches(body)
        for rule in router.rules:
            if rule.name in hits:
                matched[rule.name] += 1
                for target_id, size in router.payload_sizes(rule, body, body_bytes).items():
                    payloads[(rule.name, target_id)] += size
    sources = Counter(str(body["source"]) for body in bodies)
    return EventMix(
        entry_bytes=sum(sizes) / count,
        chunks=sum(max(1, math.ceil(size / CHUNK_BYTES)) for size in sizes) / count,
        event_bytes=sum(whole) / count,
        sources={source: n / count for source, n in sorted(sources.items())},
        rules={
            rule.name: RuleShare(
                fraction=matched[rule.name] / count,
                payload_bytes={
                    t.target_id: payloads[(rule.name, t.target_id)] / matched[rule.name] for t in rule.targets
                }
                if matched[rule.name]
                else {},
            )
            for rule in router.rules
        },
    )


def _outcomes(
    config: Config, router: _Router, bodies: list[dict[str, Any]], workflow_rules: set[str]
) -> EventMix | None:
    """The events the workflow publishes for the sample's orders: one per execution (a total that is not a
    number fails the execution, which publishes nothing)."""
    threshold = config.processing.high_value_threshold
    machine = f"arn:aws:states:{config.region}:{_ACCOUNT}:stateMachine:{router.prefix}-order-fulfilment"
    entries: list[dict[str, Any]] = []
    for body in bodies:
        starts = len(router.matches(body) & workflow_rules)
        total = body["detail"].get("totalAmount")
        if not starts or not isinstance(total, int | float) or isinstance(total, bool):
            continue
        detail_type = FLAGGED if total > threshold else ACCEPTED
        execution = f"{machine.replace(':stateMachine:', ':express:')}:{body['id']}:{body['id']}"
        entry = put_events_entry(
            body,
            detail_type,
            threshold,
            event_bus_name=f"{router.prefix}-bus",
            resources=[execution, machine],
        )
        entries += [entry] * starts
    if not entries:
        return None
    return _mix(router, entries, [_event(entry, config.region, i) for i, entry in enumerate(entries)])


def _size(payload: Any) -> int:
    text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return len(text.encode())
