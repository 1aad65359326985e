"""Issue 26, item 1: one alarm catalogue (terraform/modules/monitoring/alarm_catalogue.json) for Terraform and
the local target.

The alarms of a real Terraform plan (the tfvars `tooling apply` writes, planned by real Terraform with mocked
aws providers: tooling_testing/harness/mock_plan.py) are the alarms the local target provisions and
`tooling monitor` shows, for environments/dev.toml and environments/prod.toml: every region, the order
workflow's alarms and the failover health alarm included. Adding an alarm is one catalogue entry.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from planned_environments import ENVIRONMENTS, REPO, Deployed, apply, planned

from tooling import local
from tooling.config import parse_config
from tooling.errors import ConfigError, UsageError
from tooling.local import alarms as local_alarms
from tooling.local.regions import load_failover
from tooling.local.store import DB_NAME, Store
from tooling.observe.alarm_catalogue import CATALOGUE_PATH, AlarmDefinition, load_catalogue
from tooling.observe.failover import secondary_deployment

Signature = tuple[Any, ...]


def _plan_alarms(plan: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Region -> alarm name -> its planned change (after, after_unknown)."""
    return {
        region: {change["after"]["alarm_name"]: change for change in changes.values()}
        for region, changes in planned(plan, "aws_cloudwatch_metric_alarm").items()
    }


def _planned_signature(after: dict[str, Any]) -> Signature:
    queries = after.get("metric_query") or []
    if queries:
        formula = next(q["expression"] for q in queries if q.get("expression"))
        metrics = sorted(
            (q["id"], m["namespace"], m["metric_name"], m["stat"]) for q in queries for m in q["metric"]
        )
        what: Signature = ("math", formula, tuple(metrics))
    else:
        what = ("metric", after["namespace"], after["metric_name"], after["statistic"])
    return (*what, after["comparison_operator"], float(after["threshold"]))


def _local_signature(alarm: AlarmDefinition) -> Signature:
    if alarm.expression is not None:
        metrics = sorted(
            (id_, alarm.namespace, metric, alarm.statistic)
            for id_, metric in alarm.expression.metrics.items()
        )
        what: Signature = ("math", alarm.expression.formula, tuple(metrics))
    else:
        what = ("metric", alarm.namespace, alarm.metric, alarm.statistic)
    return (*what, alarm.comparison, alarm.threshold)


def _local_alarms(d: Deployed) -> dict[str, dict[str, Signature]]:
    """Region -> alarm name -> signature, as the local target provisioned them (the catalogue's, and the
    failover health alarm from [failover.health_alarm])."""
    found: dict[str, dict[str, Signature]] = {}
    for region in d.regions():
        store = d.store(region)
        try:
            found[region] = {a.name: _local_signature(a) for a in local_alarms.definitions(store)}
            failover = load_failover(store) if region == "primary" else None
            if failover is not None:
                health = failover.alarm
                found[region][failover.health_alarm_name] = (
                    "metric", "AWS/Events", health.metric, health.statistic, "GreaterThanThreshold",
                    float(health.threshold),
                )  # fmt: skip
        finally:
            store.close()
    return found


def _monitor_names(d: Deployed) -> dict[str, set[str]]:
    """Region -> the alarm names `tooling monitor` shows on the local target."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLING_ROOT", str(d.root))
        patch.setenv("TOOLING_LOCAL_DISPATCH", "off")
        source = local.local_monitor_source(d.workspace, d.outputs)
        try:
            names = {"primary": {a.name for a in source.alarms()}}
            if d.outputs.failover is not None:
                second = source.region_source(secondary_deployment(d.outputs))
                try:
                    names["secondary"] = {a.name for a in second.alarms()}
                finally:
                    second.close()
        finally:
            source.close()
    return names


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_local_target_has_exactly_the_alarms_of_the_terraform_plan(
    env: str, applied_environments: dict[str, Deployed], planned_environments: dict[str, Any]
) -> None:
    deployed, plans = applied_environments, planned_environments
    plan_alarms = _plan_alarms(plans[env])

    local_found = _local_alarms(deployed[env])

    expected = {
        r: {n: _planned_signature(a["after"]) for n, a in alarms.items()}
        for r, alarms in plan_alarms.items()
        if alarms
    }
    assert local_found == expected
    assert _monitor_names(deployed[env]) == {region: set(alarms) for region, alarms in expected.items()}


def test_the_plans_cover_the_workflow_the_archive_the_forwarding_rule_and_the_failover(
    planned_environments: dict[str, Any],
) -> None:
    """What the parity above must include to mean something: prod's order workflow (both regions), the S3
    archive's stream, the forwarding rule, the batch consumer's metric math and the health alarm."""
    plans = planned_environments
    prod = _plan_alarms(plans["prod"])
    suffixes = {name.split("-", 3)[3] for region in prod.values() for name in region}

    assert {
        "sfn-order-workflow-executions-failed",
        "sfn-order-workflow-executions-timed-out",
        "firehose-s3-archive-delivery-failures",
        "rule-forwarding-failed-invocations",
        "batch-consumer-failed-messages",
        "failover-health",
    } <= suffixes
    assert any(name.endswith("-sfn-order-workflow-executions-failed") for name in prod["secondary"])
    assert not any("sfn-" in name for name in _plan_alarms(plans["dev"])["primary"])  # dev has no workflow


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_alarm_descriptions_terraform_knows_at_plan_time_are_the_local_ones(
    env: str, applied_environments: dict[str, Deployed], planned_environments: dict[str, Any]
) -> None:
    deployed, plans = applied_environments, planned_environments
    plan_alarms = _plan_alarms(plans[env])
    for region, alarms in plan_alarms.items():
        if not alarms:
            continue
        store = deployed[env].store(region)
        try:
            local_descriptions = {a.name: a.description for a in local_alarms.definitions(store)}
        finally:
            store.close()
        # The state machine's ARN (in its alarms' descriptions) is unknown until apply.
        known = {
            name: a["after"]["alarm_description"]
            for name, a in alarms.items()
            if not a["after_unknown"].get("alarm_description") and name in local_descriptions
        }

        assert known == {name: local_descriptions[name] for name in known}
        assert len(known) >= len(local_descriptions) - 2


# -- the catalogue itself ------------------------------------------------------------------------------------


def test_the_local_target_measures_every_metric_the_catalogue_alarms_on() -> None:
    families = load_catalogue(REPO)

    unmeasured = {
        family_id: f"{family.namespace}/{family.metric}"
        for family_id, family in families.items()
        if (family.namespace, family.metric) not in local_alarms.READERS
    }

    assert unmeasured == {}, "teach tooling/local/alarms.py READERS to measure these"


def test_monitor_source_has_no_alarm_list_of_its_own() -> None:
    text = (REPO / "tooling" / "local" / "monitor_source.py").read_text()

    # The alarm names' fixed parts ("-dead-letter-errors", "batch-queue-oldest-message-age", ...).
    parts = {family.name.split("{key}")[-1] for family in load_catalogue(REPO).values()}

    assert [part for part in sorted(parts) if part in text] == []
    assert "threshold" not in text


@pytest.fixture
def dev_copy(tmp_path: Path, copy_project: Callable[[Path], Path]) -> Iterator[Path]:
    yield copy_project(tmp_path / "project")


def test_adding_an_alarm_is_one_catalogue_entry(dev_copy: Path) -> None:
    """A new family in the catalogue alone: the local target creates and evaluates its alarms (Terraform's
    alarms.tf iterates the same file, as the plan parity above proves)."""
    path = dev_copy / CATALOGUE_PATH
    catalogue = json.loads(path.read_text())
    catalogue["families"]["lambda_errors_sustained"] = {
        "collection": "async_functions",
        "name": "lambda-{key}-errors-sustained",
        "description": "Function {name} raised {threshold} errors or more.",
        "namespace": "AWS/Lambda",
        "metric": "Errors",
        "statistic": "Sum",
        "comparison": "GreaterThanOrEqualToThreshold",
        "threshold": 5,
    }
    path.write_text(json.dumps(catalogue))

    d = apply(dev_copy, "dev")

    prefix = d.outputs.event_bus_name.removesuffix("-bus")
    added = {f"{prefix}-lambda-{key}-errors-sustained" for key in ("processor", "notifier", "analytics")}
    assert added <= _monitor_names(d)["primary"]
    store = Store.open(d.workspace)
    try:
        thresholds = {a.name: a.threshold for a in local_alarms.definitions(store) if a.name in added}
    finally:
        store.close()
    assert thresholds == dict.fromkeys(added, 5.0)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c["families"]["lambda_errors"].update(comparison="Above"),
            "families.lambda_errors.comparison",
        ),
        (lambda c: c["families"]["dlq_depth"].update(threshold=3), "needs exactly one of threshold"),
        (
            lambda c: c["families"]["dlq_depth"].update(threshold_setting="dlq_depth"),
            "is no [alarms] setting",
        ),
    ],
)
def test_a_broken_catalogue_is_refused_before_the_local_target_changes(
    dev_copy: Path, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    path = dev_copy / CATALOGUE_PATH
    catalogue = json.loads(path.read_text())
    edit(catalogue)
    path.write_text(json.dumps(catalogue))

    with pytest.raises(UsageError) as refused:
        apply(dev_copy, "dev")

    assert message in refused.value.message and "alarm" in refused.value.message
    assert refused.value.exit_code == 2
    assert not (dev_copy / ".tooling" / "dev" / DB_NAME).exists()


def test_a_rule_named_forwarding_is_refused_while_forwarding_is_on() -> None:
    """Its alarms would be named as the [forwarding] rule's: Terraform's plan fails on the duplicate key and
    CloudWatch would keep one of the two."""
    data = tomllib.loads((REPO / "environments" / "dev.toml").read_text())
    assert data["forwarding"]["enabled"] is True
    data["rules"][0]["name"] = "forwarding"

    with pytest.raises(ConfigError) as refused:
        parse_config(data)

    assert refused.value.exit_code == 2
    assert any(
        p.startswith("rules[0].name: 'forwarding' would give this rule the alarm names of the [forwarding]")
        for p in refused.value.problems
    )
    data["forwarding"]["enabled"] = False
    assert parse_config(data).rules[0].name == "forwarding"
