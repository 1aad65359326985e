"""Environment files: the shipped ones load; every broken one is reported with its path and message."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tooling.config import load_config, parse_config, partition_of
from tooling.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
DEV = tomllib.loads((REPO / "environments" / "dev.toml").read_text())


@pytest.mark.parametrize(
    ("env", "extra"),
    [("dev", []), ("prod", ["order-fulfilment"])],  # dev keeps the workflow rule commented out
)
def test_shipped_environments_load(env: str, extra: list[str]) -> None:
    config = load_config(REPO / "environments" / f"{env}.toml")

    assert config.environment == env
    assert [r.name for r in config.rules] == [
        "order-events",
        "high-value-orders",
        "user-registration",
        "all-events",
        "aws-service-events",
        *extra,
    ]


def test_prod_starts_the_order_workflow_for_new_orders_only() -> None:
    config = load_config(REPO / "environments" / "prod.toml")

    rule = config.rule("order-fulfilment")
    assert rule.enabled
    assert [t.target for t in rule.targets] == ["order-workflow"]
    assert rule.pattern == {"source": ["ecommerce.orders"], "detail-type": ["Order Created"]}


def test_recipe_routes_are_in_the_dev_table() -> None:
    config = load_config(REPO / "environments" / "dev.toml")

    targets = {r.name: [t.target for t in r.targets] for r in config.rules}
    assert targets == {
        "order-events": ["processor"],
        "high-value-orders": ["notifications"],
        "user-registration": ["processor"],
        "all-events": ["batch-queue", "s3-archive", "analytics"],
        "aws-service-events": ["analytics"],
    }
    high = config.rule("high-value-orders")
    assert high.pattern["detail"] == {"totalAmount": [{"numeric": [">", 1000]}]}
    assert high.targets[0].input_transformer is not None


def _broken(mutate: Any) -> dict[str, Any]:
    data = copy.deepcopy(DEV)
    mutate(data)
    return data


BROKEN: list[tuple[str, Any, str]] = [
    ("missing project", lambda d: d.pop("project"), "project: is required"),
    ("bad region", lambda d: d.update(region="mars-1"), "region: String should match pattern"),
    ("unknown key", lambda d: d.update(projct="x"), "projct: unknown setting"),
    (
        "memory too low",
        lambda d: d["functions"]["processor"].update(memory_mb=64),
        "functions.processor.memory_mb: Input should be greater than or equal to 128",
    ),
    (
        "retry attempts",
        lambda d: d["rules"][0]["targets"][0]["retry_policy"].update(maximum_retry_attempts=200),
        "rules[0].targets[0].retry_policy.maximum_retry_attempts: Input should be less than or equal to 185",
    ),
    (
        "event age",
        lambda d: d["rules"][0]["targets"][0]["retry_policy"].update(maximum_event_age_seconds=10),
        "rules[0].targets[0].retry_policy.maximum_event_age_seconds: Input should be greater than or equal to 60",
    ),
    (
        "unknown target",
        lambda d: d["rules"][2]["targets"][0].update(target="lambda-x"),
        "rules[2].targets[0].target: Input should be 'processor', 'notifier', 'analytics', 'notifications', "
        "'batch-queue', 'order-workflow' or 's3-archive'",
    ),
    (
        "six targets",
        lambda d: d["rules"][3].update(targets=[{"target": "processor", "id": f"t{i}"} for i in range(6)]),
        "rules[3].targets: has 6 targets; EventBridge allows at most 5 per rule (PutTargets",
    ),
    (
        "duplicate rule",
        lambda d: d["rules"].append(copy.deepcopy(d["rules"][0])),
        f"rules[{len(DEV['rules'])}].name: rule name 'order-events' is used twice",
    ),
    (
        "duplicate target id",
        lambda d: d["rules"][3]["targets"].append({"target": "batch-queue"}),
        "rules[3]: target ids must be unique within a rule; repeated: batch-queue",
    ),
    (
        "pattern json",
        lambda d: d["rules"][0].update(pattern="{not json"),
        "rules[0].pattern: is not valid JSON",
    ),
    (
        "pattern not object",
        lambda d: d["rules"][0].update(pattern="[]"),
        "rules[0].pattern: Input should be a valid dict",
    ),
    (
        "input path",
        lambda d: d["rules"][1]["targets"][0]["input_transformer"]["input_paths"].update(x="detail.x"),
        "must be a JSON path starting with '$'",
    ),
    (
        "email",
        lambda d: d["notifications"].update(email="not-an-email"),
        "notifications.email: must be an email",
    ),
    (
        "alarm email",
        lambda d: d["alarms"].update(email="oncall@"),
        "alarms.email: must be an email",
    ),
    (
        "rule name with a dot",
        lambda d: d["rules"][0].update(name="order.events"),
        "rules[0].name: may hold only letters, digits, '_' and '-'",
    ),
    (
        "log retention",
        lambda d: d["logs"].update(retention_days=2),
        "logs.retention_days: Input should be 1, 3, 5",
    ),
    (
        "endpoint service",
        lambda d: d.update(terraform={"endpoints": {"ec2": "http://localhost:4566"}}),
        "terraform.endpoints.ec2 (key): Input should be 'cloudwatch'",
    ),
    ("long rule name", lambda d: d["rules"][0].update(name="r" * 60), "makes the rule name longer than 64"),
    (
        "schemas unknown key",
        lambda d: d.update(schemas={"registy": False}),
        "schemas.registy: unknown setting",
    ),
    (
        "schema discoverer",
        lambda d: d.update(schemas={"discoverer": True}),
        "schemas.discoverer: AWS does not support schema discovery on an event bus encrypted with a",
    ),
    ("failover without region", lambda d: d.update(failover={}), "failover.secondary_region: is required"),
    (
        "failover bad region",
        lambda d: d.update(failover={"secondary_region": "west"}),
        "failover.secondary_region: String should match pattern",
    ),
    (
        "failover same region",
        lambda d: d.update(failover={"secondary_region": "us-east-1"}),
        "failover.secondary_region: must differ from region (us-east-1)",
    ),
    (
        "failover other partition",
        lambda d: d.update(failover={"secondary_region": "us-gov-west-1"}),
        "failover.secondary_region: us-gov-west-1 is in another AWS partition than us-east-1",
    ),
    (
        "health alarm period",
        lambda d: d.update(
            failover={"secondary_region": "us-west-2", "health_alarm": {"period_seconds": 90}}
        ),
        "failover.health_alarm.period_seconds: 90 is not a period the health alarm can use",
    ),
    (
        "health alarm high resolution",
        lambda d: d.update(
            failover={"secondary_region": "us-west-2", "health_alarm": {"period_seconds": 30}}
        ),
        "Route 53 health checks refuse 10 and 30 s alarms",
    ),
    (
        "health alarm percentile",
        lambda d: d.update(failover={"secondary_region": "us-west-2", "health_alarm": {"statistic": "p99"}}),
        "failover.health_alarm.statistic",
    ),
    (
        "health alarm window over a day",
        lambda d: d.update(
            failover={
                "secondary_region": "us-west-2",
                "health_alarm": {"period_seconds": 3600, "evaluation_periods": 25},
            }
        ),
        "failover.health_alarm: period_seconds x evaluation_periods is 90000 s, over CloudWatch's one day",
    ),
    (
        "health alarm summing latency",
        lambda d: d.update(failover={"secondary_region": "us-west-2", "health_alarm": {"statistic": "Sum"}}),
        "a Sum of latencies grows with traffic",
    ),
    (
        "health alarm missing data",
        lambda d: d.update(
            failover={"secondary_region": "us-west-2", "health_alarm": {"treat_missing_data": "ok"}}
        ),
        "failover.health_alarm.treat_missing_data",
    ),
    (
        "secondary workflow role too long",
        lambda d: (
            d.update(project="p" * 20, environment="e" * 10, failover={"secondary_region": "us-west-2"}),
            d["rules"][0]["targets"].append({"target": "order-workflow"}),
        ),
        "would be 65 characters, over IAM's 64; shorten project or environment",
    ),
    (
        "the old replication table",
        lambda d: d.update(replication={"region": "us-west-2"}),
        "[replication] was replaced by [failover]: write [failover] with secondary_region",
    ),
    (
        "tag clashing with a default tag",
        lambda d: d.update(tags={"project": "x"}),
        "tags: tag key 'project' clashes with the default tag 'Project' (tag keys are case-insensitive in IAM)",
    ),
    ("reserved tag prefix", lambda d: d.update(tags={"AWS:x": "y"}), "tag key 'AWS:x' starts with 'aws:'"),
    (
        "sfn and s3 endpoints are fine, ec2 is not",
        lambda d: d.update(terraform={"endpoints": {"sfn": "http://x", "s3": "http://x", "ec2": "http://x"}}),
        "terraform.endpoints.ec2 (key)",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_config_reports_path_and_message(case: str, mutate: Any, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(_broken(mutate), source="dev.toml")

    assert any(expected in problem for problem in info.value.problems), info.value.problems


def test_every_problem_is_reported_at_once() -> None:
    def two_problems(d: dict[str, Any]) -> None:
        d.update(region="nowhere")
        d["functions"]["notifier"].update(timeout_seconds=0)

    with pytest.raises(ConfigError) as info:
        parse_config(_broken(two_problems))

    assert len(info.value.problems) == 2


def test_invalid_toml_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "dev.toml"
    path.write_text('project = "x\n')

    with pytest.raises(ConfigError) as info:
        load_config(path)

    assert info.value.problems[0].startswith("(toml):")


def test_pattern_may_be_a_json_string_with_null() -> None:
    data = _broken(lambda d: d["rules"][0].update(pattern='{"detail": {"couponCode": [null]}}'))

    config = parse_config(data)

    assert config.rules[0].pattern == {"detail": {"couponCode": [None]}}


def test_schema_registry_is_on_and_discovery_off_by_default() -> None:
    config = parse_config(copy.deepcopy(DEV))

    assert (config.schemas.registry, config.schemas.discoverer) == (True, False)


def test_failover_is_off_unless_its_table_is_present_and_defaults_to_awss_template() -> None:
    assert parse_config(copy.deepcopy(DEV)).failover is None

    config = parse_config(_broken(lambda d: d.update(failover={"secondary_region": "us-west-2"})))

    assert config.failover is not None
    alarm = config.failover.health_alarm
    assert (config.failover.replication, config.failover.secondary_consumers) == (True, True)
    # AWS's template (eb-ge-cfn): average IngestionToInvocationStartLatency over 30 s for 5 minutes.
    assert (alarm.metric, alarm.statistic, alarm.threshold) == (
        "IngestionToInvocationStartLatency",
        "Average",
        30000,
    )
    assert (alarm.window_seconds, alarm.treat_missing_data) == (300, "breaching")


def test_schemas_endpoint_may_be_overridden_for_an_emulator() -> None:
    config = parse_config(
        _broken(lambda d: d.update(terraform={"endpoints": {"schemas": "http://localhost:4566"}}))
    )

    assert config.terraform.endpoints == {"schemas": "http://localhost:4566"}


def _with_workflow_rule(pattern: Any, name: str = "order-fulfilment") -> dict[str, Any]:
    data = copy.deepcopy(DEV)
    data["rules"].append({"name": name, "pattern": pattern, "targets": [{"target": "order-workflow"}]})
    return data


def test_order_workflow_is_a_valid_target() -> None:
    config = parse_config(
        _with_workflow_rule({"source": ["ecommerce.orders"], "detail-type": ["Order Created"]})
    )

    assert config.rule("order-fulfilment").targets[0].target == "order-workflow"
    assert config.rule("order-fulfilment").targets[0].target_id == "order-workflow"


@pytest.mark.parametrize(
    ("pattern", "looping"),
    [
        ({"source": ["ecommerce.orders"]}, "'Order Accepted' and 'Order Flagged'"),
        ({"detail-type": [{"prefix": "Order"}]}, "'Order Accepted' and 'Order Flagged'"),
        (
            {"source": ["ecommerce.orders"], "detail-type": ["Order Created", "Order Flagged"]},
            "'Order Flagged'",
        ),
        # A detail filter cannot prove the loop away: big enough orders would still loop.
        (
            {"detail-type": ["Order Accepted"], "detail": {"totalAmount": [{"numeric": [">", 10**6]}]}},
            "'Order Accepted'",
        ),
        ({"detail": {"orderId": [{"exists": True}]}}, "'Order Accepted' and 'Order Flagged'"),
    ],
)
def test_a_rule_that_would_feed_the_workflow_its_own_events_is_refused(pattern: Any, looping: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(_with_workflow_rule(pattern))

    (problem,) = info.value.problems
    appended = len(DEV["rules"])
    assert problem.startswith(
        f"rules[{appended}].pattern: its source and detail-type admit the {looping} events"
    )


def test_a_rule_matching_workflow_events_is_fine_when_it_does_not_target_the_workflow() -> None:
    data = copy.deepcopy(DEV)
    data["rules"].append(
        {"name": "flags", "pattern": {"detail-type": ["Order Flagged"]}, "targets": [{"target": "notifier"}]}
    )

    assert parse_config(data).rule("flags").targets[0].target == "notifier"


def test_alarm_email_is_optional_and_kept_when_set() -> None:
    assert parse_config(copy.deepcopy(DEV)).alarms.email is None

    config = parse_config(_broken(lambda d: d["alarms"].update(email="oncall@example.com")))

    assert config.alarms.email == "oncall@example.com"


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("ap-southeast-5", "aws"),
        ("us-gov-west-1", "aws-us-gov"),
        ("cn-northwest-1", "aws-cn"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eu-isoe-west-1", "aws-iso-e"),
        ("us-isof-south-1", "aws-iso-f"),
        ("eusc-de-east-1", "aws-eusc"),
    ],
)
def test_every_partitions_region_names_are_accepted(region: str, partition: str) -> None:
    config = parse_config(_broken(lambda d: d.update(region=region)))

    assert config.region == region
    assert partition_of(region) == partition
