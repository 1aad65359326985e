"""What the environment file deploys in each region, as far as the bill is concerned: the same decisions
terraform/main.tf and modules/region_stack make from the same Config, counted rather than created.

The primary region holds everything; with [failover] the secondary holds the bus (same name), its archive,
key and events DLQ and, with secondary_consumers, the same rules (without the S3 archive's targets), functions,
queues, workflow, alarms and dashboard, and replicas of the two tables (global tables). The alarms are the
catalogue's (terraform/modules/monitoring/alarm_catalogue.json), expanded over the members each region has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tooling.config import (
    BATCH_PROCESSOR,
    FORWARDING_ALARM_KEY,
    S3_ARCHIVE_TARGET,
    Config,
    FunctionSettings,
    Rule,
)
from tooling.observe.alarm_catalogue import Family, expand, load_catalogue
from tooling.order_workflow import WORKFLOW_TARGET

# The metrics each function's Powertools Metrics emit on the normal path (namespace from
# POWERTOOLS_METRICS_NAMESPACE, dimension `service`; ColdStart adds function_name): each is one custom
# metric of its region. Failure metrics (InvalidEvents, ...) exist only in hours something fails.
# tests/robustness/test_cost_stack_facts.py holds this list to lambda_src.
CUSTOM_METRICS: dict[str, tuple[str, ...]] = {
    "processor": (
        "OrdersProcessed", "OrdersUpdated", "OrdersCancelled", "UsersRegistered", "HighValueOrders", "ColdStart"
    ),
    "notifier": ("AlertsDelivered", "ColdStart"),
    "analytics": ("EventsAnalysed", "ColdStart"),
    "batch-processor": ("EventsStored", "DuplicateEvents", "ColdStart"),
}  # fmt: skip
NOTIFIER = "notifier"
# terraform/modules/processors and the local target (tooling/local/provision.py) name the DLQs so.
EVENTS_DLQ, BATCH_DLQ, NOTIFICATIONS_DLQ = "events", "batch-queue", "notifications"

Receives = Literal["all", "replicated", "none"]


@dataclass(frozen=True)
class RegionStack:
    region: str
    primary: bool
    consumers: bool  # runs the routing table (a standby secondary only keeps events in its archive)
    receives: Receives  # the primary takes all traffic; the secondary copies (replication) or nothing
    rules: tuple[Rule, ...]  # the enabled rules of the region's routing table
    bus_rules: int  # the rules Terraform creates on its bus (disabled ones too)
    functions: tuple[tuple[str, FunctionSettings], ...]
    forwarding: bool
    s3_archive: bool
    workflow: bool
    event_store: bool
    idempotency_table: bool
    global_tables: bool  # the tables are global tables with a replica in the other region
    email: bool
    health_check: bool
    alarm_metrics: int
    alarms: int
    dashboards: int
    custom_metrics: int
    log_groups: int

    def function(self, key: str) -> FunctionSettings | None:
        return dict(self.functions).get(key)

    def targets(self, name: str) -> list[tuple[Rule, str]]:
        """(rule, target id) of every rule target of this logical target name."""
        return [(rule, t.target_id) for rule in self.rules for t in rule.targets if t.target == name]


def region_stacks(config: Config, root: Path) -> list[RegionStack]:
    """The primary's stack, then the secondary's with [failover]."""
    families = load_catalogue(root)
    stacks = [_stack(config, families, config.region, primary=True)]
    if config.failover is not None:
        stacks.append(_stack(config, families, config.failover.secondary_region, primary=False))
    return stacks


def _stack(config: Config, families: Mapping[str, Family], region: str, *, primary: bool) -> RegionStack:
    failover = config.failover
    consumers = primary or bool(failover and failover.secondary_consumers)
    receives: Receives = "all" if primary else ("replicated" if failover and failover.replication else "none")
    rules = tuple(_routing_table(config, primary)) if consumers else ()
    functions = tuple(config.deployed_functions()) if consumers else ()
    has = {t.target for rule in rules for t in rule.targets}
    workflow = WORKFLOW_TARGET in has
    s3_archive = primary and config.creates_s3_archive
    batch = consumers and config.batch_processor.enabled
    forwarding = consumers and config.forwarding.enabled
    alarm_metrics, alarms = _alarms(config, families, rules, functions, workflow, s3_archive, forwarding)
    if primary and failover is not None:
        alarm_metrics, alarms = alarm_metrics + 1, alarms + 1  # the endpoint's health alarm
    return RegionStack(
        region=region,
        primary=primary,
        consumers=consumers,
        receives=receives,
        rules=rules,
        bus_rules=len(_routing_table(config, primary, enabled_only=False)) if consumers else 0,
        functions=functions,
        forwarding=forwarding,
        s3_archive=s3_archive,
        workflow=workflow,
        event_store=batch and config.event_store.enabled,
        idempotency_table=consumers and any(key == NOTIFIER for key, _ in functions),
        global_tables=bool(failover and failover.secondary_consumers),
        email=primary and config.notifications.email is not None,
        health_check=primary and failover is not None,
        alarm_metrics=alarm_metrics if consumers else int(primary and failover is not None),
        alarms=alarms if consumers else int(primary and failover is not None),
        dashboards=1 if consumers else 0,
        custom_metrics=sum(len(CUSTOM_METRICS.get(key, ())) for key, _ in functions),
        log_groups=len(functions) + int(workflow) + int(s3_archive),
    )


def _routing_table(config: Config, primary: bool, *, enabled_only: bool = True) -> list[Rule]:
    """The rules of a region: the secondary's leave out the S3 archive's targets (the archive is the
    primary's) and a rule left without targets (terraform/modules/region_stack/locals.tf)."""
    rules = [rule for rule in config.rules if rule.enabled or not enabled_only]
    if primary:
        return rules
    kept = []
    for rule in rules:
        targets = [t for t in rule.targets if t.target != S3_ARCHIVE_TARGET]
        if targets:
            kept.append(rule.model_copy(update={"targets": targets}))
    return kept


def _alarms(
    config: Config,
    families: Mapping[str, Family],
    rules: tuple[Rule, ...],
    functions: tuple[tuple[str, FunctionSettings], ...],
    workflow: bool,
    s3_archive: bool,
    forwarding: bool,
) -> tuple[int, int]:
    """(metrics the alarms watch, alarms): CloudWatch bills an alarm per metric it evaluates."""
    keys = [key for key, _ in functions]
    batch = BATCH_PROCESSOR in keys
    async_keys = [key for key in keys if key != BATCH_PROCESSOR]
    members: dict[str, dict[str, str]] = {
        "rules": {rule.name: rule.name for rule in rules},
        "forwarding_rules": {FORWARDING_ALARM_KEY: "forwarding"} if forwarding else {},
        "functions": {key: key for key in keys},
        "async_functions": {key: key for key in async_keys},
        "dead_letter_queues": {k: k for k in (EVENTS_DLQ, BATCH_DLQ, NOTIFICATIONS_DLQ, *async_keys)},
        "batch_queue": {BATCH_DLQ: "batch"},
        "state_machines": {WORKFLOW_TARGET: WORKFLOW_TARGET} if workflow else {},
        "firehose_streams": {S3_ARCHIVE_TARGET: S3_ARCHIVE_TARGET} if s3_archive else {},
        "batch_consumer": {BATCH_PROCESSOR: BATCH_PROCESSOR} if batch else {},
    }
    if not rules and not keys:
        return 0, 0
    definitions = expand(families, "x", members, config.alarms.thresholds())
    metrics = sum(len(d.expression.metrics) if d.expression else 1 for d in definitions)
    return metrics, len(definitions)
