"""What [failover] provisions on the local target besides the primary: the secondary region's view of the
Config (same names, other region) and the endpoint's ids and outputs (tooling/outputs.py FailoverOutputs).

The secondary gets the same rules and targets as the primary (`secondary_consumers`), except:
- the S3 event archive stays in the primary (the outputs' `secondary` has no stream or bucket): an
  `s3-archive` target is left out of the secondary's rules, and a rule left without targets goes;
- forwarding from the default bus is the primary's (AWS service events of the secondary region are not
  forwarded);
- without `secondary_consumers` the secondary has its bus and archive only.
"""

from __future__ import annotations

import hashlib
import uuid

from tooling.config import (
    ENDPOINT_NAME_SUFFIX,
    HEALTH_ALARM_SUFFIX,
    S3_ARCHIVE_TARGET,
    BatchProcessor,
    Config,
    EventStore,
    Forwarding,
    S3Archive,
)
from tooling.local.regions import REPLICATION_KEY, LocalFailover
from tooling.naming import Arns, Names
from tooling.outputs import DeploymentOutputs, FailoverOutputs, SecondaryOutputs


def region_config(config: Config) -> Config:
    """The Config as the secondary region deploys it (not re-validated: every value came from a valid one)."""
    failover = config.failover
    assert failover is not None
    rules = []
    if failover.secondary_consumers:
        for rule in config.rules:
            targets = [t for t in rule.targets if t.target != S3_ARCHIVE_TARGET]
            if targets:
                rules.append(rule.model_copy(update={"targets": targets}))
    update: dict[str, object] = {
        "region": failover.secondary_region,
        "failover": None,
        # AWS service events are regional: with consumers each region forwards its own default bus's
        # (terraform/modules/region_stack: create_forwarding = consumers && forwarding.enabled).
        "forwarding": config.forwarding if failover.secondary_consumers else Forwarding(enabled=False),
        "s3_archive": S3Archive(enabled=False),
        "rules": rules,
    }
    if not failover.secondary_consumers:
        update["batch_processor"] = BatchProcessor(enabled=False)
        update["event_store"] = EventStore(enabled=False)
    return config.model_copy(update=update)


def replication_meta(config: Config) -> dict[str, str]:
    """The meta both regions' stores get: with replication on, each bus copies what it accepts to the other."""
    return {REPLICATION_KEY: "true"} if config.failover is not None and config.failover.replication else {}


def endpoint_of(config: Config, names: Names, arns: Arns) -> LocalFailover:
    """The local endpoint: AWS's name and URL forms, ids derived from the environment's names (stable
    across applies, as an endpoint Terraform keeps)."""
    failover = config.failover
    assert failover is not None
    name = f"{names.prefix}{ENDPOINT_NAME_SUFFIX}"
    # EventBridge's endpoint ids are `<letters>.<letters>`; Route 53's health check ids are UUIDs.
    endpoint_id = f"{hashlib.sha256(name.encode()).hexdigest()[:10]}.local"
    return LocalFailover(
        endpoint_name=name,
        endpoint_id=endpoint_id,
        endpoint_arn=arns.endpoint(name),
        endpoint_url=f"https://{endpoint_id}.endpoint.events.amazonaws.com",
        primary_region=config.region,
        secondary_region=failover.secondary_region,
        health_check_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"local:{name}:health-check")),
        health_alarm_name=f"{names.prefix}{HEALTH_ALARM_SUFFIX}",
        replication=failover.replication,
        secondary_consumers=failover.secondary_consumers,
        health_alarm=failover.health_alarm.model_dump(),
    )


def region_outputs(outputs: DeploymentOutputs, consumers: bool) -> DeploymentOutputs:
    """The secondary's own outputs (what its store records): without consumers, its bus and archive only."""
    if consumers:
        return outputs
    return outputs.model_copy(
        update={
            "rule_arns": {},
            "batch_queue_url": "",
            "batch_queue_arn": "",
            "dead_letter_queue_urls": {},
            "notifications_topic_arn": "",
            "function_names": {},
            "log_group_names": {},
            "event_store_table_name": "",
        }
    )


def failover_outputs(endpoint: LocalFailover, region: Config, outputs: DeploymentOutputs) -> FailoverOutputs:
    """The `failover` output: the endpoint, and the secondary's parts (empty where it has no consumers)."""
    consumers = endpoint.secondary_consumers
    return FailoverOutputs(
        endpoint_name=endpoint.endpoint_name,
        endpoint_id=endpoint.endpoint_id,
        endpoint_arn=endpoint.endpoint_arn,
        endpoint_url=endpoint.endpoint_url,
        primary_region=endpoint.primary_region,
        secondary_region=endpoint.secondary_region,
        health_check_id=endpoint.health_check_id,
        health_alarm_name=endpoint.health_alarm_name,
        replication=endpoint.replication,
        secondary=SecondaryOutputs(
            region=region.region,
            event_bus_name=outputs.event_bus_name,
            event_bus_arn=outputs.event_bus_arn,
            archive_name=outputs.archive_name,
            rule_arns=outputs.rule_arns if consumers else {},
            batch_queue_url=outputs.batch_queue_url if consumers else "",
            dead_letter_queue_urls=outputs.dead_letter_queue_urls if consumers else {},
            function_names=outputs.function_names if consumers else {},
            log_group_names=outputs.log_group_names if consumers else {},
            event_store_table_name=outputs.event_store_table_name if consumers else "",
        ),
    )
