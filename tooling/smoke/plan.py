"""What `tooling smoke` sends and where it looks: one route per (enabled rule, target) of the validated
routing table, one canary per rule, and per route the place its arrival can be seen.

Where each target's arrival is observable (the same on AWS and on the local target, through the seams of
tooling/observe):

    processor, notifier, analytics   the function's log group: its "Canary handled" line with the canary id
    notifications (SNS)              the notifier's log group: the topic's subscriber handled it (SNS keeps no
                                     per-message record; an email subscriber's inbox is not observable)
    batch-queue                      the event store's item with the canary's key (DynamoDB / SQLite): the
                                     queue was consumed; without a store, the batch processor's log line
    s3-archive                       an archive object whose records hold the canary id (Firehose writes
                                     after its buffer interval)
    order-workflow                   an execution whose input carries the canary; on AWS an EXPRESS state
                                     machine cannot be listed, so the outcome event it published is looked for
                                     in the event store instead

A canary is sent only when every target it reaches can tell it is one (the marks survive each input
transformer) and it reaches no human: with `[notifications] email` set, a canary that reaches the topic
would be mailed there, so its routes are skipped unless `--allow-email`. AWS refuses `aws.*` sources from
PutEvents, so the routes of AWS service events are skipped there; the local target takes them on the
default bus, which the forwarding rule copies to the stack's bus, as EC2 or Health would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from tooling.config import Config
from tooling.outputs import DeploymentOutputs
from tooling.patterns.routing import SUFFIX_PLACEHOLDER, route_event
from tooling.smoke.canary import SAMPLE_KINDS, canary_id, carries, mark, matching, sample

ObservationKind = Literal["log", "event-store", "s3-archive", "workflow"]
BusKind = Literal["custom", "default"]
LOGGED_TARGETS = ("processor", "notifier", "analytics")


@dataclass(frozen=True)
class Route:
    rule: str
    target: str  # the logical target (processor, notifications, batch-queue, ...)
    target_id: str

    @property
    def name(self) -> str:
        return f"{self.rule} -> {self.target_id}"


@dataclass(frozen=True)
class Observation:
    kind: ObservationKind
    where: str  # what the table shows: "processor log", "event store", ...
    function: str | None = None  # the function whose log group holds the line (kind "log")


@dataclass(frozen=True)
class Canary:
    id: str
    rule: str
    event: dict[str, Any]  # as the bus delivers it to the rule (envelope and detail)
    bus: BusKind
    matched_rules: tuple[str, ...]
    created: datetime


@dataclass(frozen=True)
class PlannedRoute:
    route: Route
    observation: Observation | None
    canary: Canary | None
    skipped: str | None = None  # why nothing is sent down this route
    # Other rules the canary matches that deliver to the same target: the sighting cannot tell them apart.
    also_via: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    run_id: str
    routes: list[PlannedRoute]
    canaries: list[Canary] = field(default_factory=list)


def observation_for(target: str, outputs: DeploymentOutputs) -> Observation | str:
    """Where the arrival at `target` is seen, or why it cannot be."""
    groups = outputs.log_group_names
    if target in LOGGED_TARGETS:
        if target not in groups:
            return f"the outputs name no log group of the {target} function"
        return Observation("log", f"{target} log", function=target)
    if target == "notifications":
        if "notifier" not in groups:
            return "the outputs name no log group of the notifier, the topic's subscriber"
        return Observation("log", "notifier log (SNS subscriber)", function="notifier")
    if target == "batch-queue":
        if outputs.event_store_table_name:
            return Observation("event-store", "event store")
        if "batch-processor" in groups:
            return Observation("log", "batch-processor log", function="batch-processor")
        return (
            "the batch queue has no consumer ([batch_processor] disabled): a canary could only be seen by "
            "taking it off the queue"
        )
    if target == "s3-archive":
        if not outputs.s3_archive_bucket_name:
            return "the deployment has no S3 event archive"
        return Observation("s3-archive", "S3 archive")
    if target == "order-workflow":
        return Observation("workflow", "workflow execution")
    return f"no way to observe target {target!r}"


def _bus_for(event: dict[str, Any], config: Config, outputs: DeploymentOutputs) -> tuple[BusKind | None, str]:
    """(the bus that takes the canary, "") or (None, why no bus does: aws.* sources)."""
    source = str(event.get("source", ""))
    if not source.startswith("aws."):
        return "custom", ""
    if outputs.target == "aws":
        return None, (
            f"AWS refuses {source} events from PutEvents (NotAuthorizedForSourceException): only the "
            "service itself sends them"
        )
    forwarding = config.forwarding
    forwarded = (
        forwarding.enabled
        and bool(outputs.forwarding_rule_arn)
        and source in forwarding.sources
        and (not forwarding.detail_types or event.get("detail-type") in forwarding.detail_types)
    )
    if not forwarded:
        return (
            None,
            f"the local bus refuses {source} events as AWS does, and [forwarding] does not forward them",
        )
    return "default", ""


def _unsafe(routing: dict[str, Any], identifier: str, config: Config, allow_email: bool) -> str | None:
    """Why sending this canary could reach the outside world, or None."""
    for match in routing["matches"]:
        for target in match["targets"]:
            if not carries(target["payload"], identifier):
                return (
                    f"rule {match['rule']} -> {target['target_id']} would receive it without the canary marks "
                    "(its input transformer drops them), so its handler could not tell it is a canary"
                )
            if target["target"] == "notifications" and config.notifications.email and not allow_email:
                return (
                    f"it reaches the notifications topic (rule {match['rule']}), whose email subscriber "
                    "([notifications] email) would get a mail; --allow-email sends it anyway"
                )
    return None


def _ambiguity(rule: str, routing: dict[str, Any]) -> int:
    """How many (other rule, target) deliveries share a target with `rule`'s: fewer is a clearer proof."""
    own = {t["target_id"] for m in routing["matches"] if m["rule"] == rule for t in m["targets"]}
    return sum(
        1 for m in routing["matches"] if m["rule"] != rule for t in m["targets"] if t["target_id"] in own
    )


def build_canary(
    config: Config,
    outputs: DeploymentOutputs,
    rule_name: str,
    identifier: str,
    now: datetime,
    *,
    allow_email: bool,
) -> Canary | str:
    """The canary of one rule, or why there is none: the publisher's samples, marked, first as they are and
    then adjusted to the pattern; of those the engine matches and that are safe to send, the one shared
    with the fewest other rules' deliveries to the same targets."""
    rule = config.rule(rule_name)
    account = outputs.event_bus_arn.split(":")[4] if outputs.event_bus_arn.count(":") >= 5 else ""
    samples = [
        mark(sample(kind, region=outputs.region, account=account, now=now), identifier)
        for kind in SAMPLE_KINDS
    ]
    reasons: list[str] = []
    best: tuple[int, Canary] | None = None
    for adjust in (False, True):
        for event in samples:
            matched = (
                matching(rule.pattern, event)
                if adjust
                else (event if _matches(rule.pattern, event) else None)
            )
            if matched is None:
                continue
            routing = route_event(config, matched, SUFFIX_PLACEHOLDER)
            problem = _unsafe(routing, identifier, config, allow_email)
            bus, refused = _bus_for(matched, config, outputs)
            if problem is None and bus is None:
                problem = refused
            if problem is not None or bus is None:
                reasons.append(problem or refused)
                continue
            rules = tuple(m["rule"] for m in routing["matches"])
            canary = Canary(identifier, rule_name, matched, bus, rules, now)
            score = _ambiguity(rule_name, routing)
            if best is None or score < best[0]:
                best = (score, canary)
        if best is not None:
            return best[1]
    if reasons:
        return reasons[0]
    return "no sample event can be made to match its pattern (tooling route shows what it matches)"


def _matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return matching(pattern, event) is event


def plan_routes(
    config: Config, outputs: DeploymentOutputs, run_id: str, now: datetime, *, allow_email: bool
) -> Plan:
    """Every route of the enabled rules, in routing-table order, each with its canary and observation."""
    routes: list[PlannedRoute] = []
    canaries: list[Canary] = []
    enabled = [rule for rule in config.rules if rule.enabled]
    targets_of = {rule.name: {t.target_id for t in rule.targets} for rule in enabled}
    for number, rule in enumerate(enabled, 1):
        built = build_canary(
            config, outputs, rule.name, canary_id(run_id, number), now, allow_email=allow_email
        )
        canary = built if isinstance(built, Canary) else None
        if canary is not None:
            canaries.append(canary)
        for target in rule.targets:
            route = Route(rule.name, target.target, target.target_id)
            observation = observation_for(target.target, outputs)
            skipped = built if isinstance(built, str) else None
            if skipped is None and isinstance(observation, str):
                skipped = observation
            also = () if canary is None else tuple(
                other for other in canary.matched_rules
                if other != rule.name and target.target_id in targets_of.get(other, set())
            )  # fmt: skip
            routes.append(
                PlannedRoute(
                    route,
                    observation if isinstance(observation, Observation) else None,
                    canary if skipped is None else None,
                    skipped,
                    also,
                )
            )
    used = {p.canary.id for p in routes if p.canary is not None}
    return Plan(run_id, routes, [c for c in canaries if c.id in used])
