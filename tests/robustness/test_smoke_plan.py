"""`tooling smoke`'s plan, offline: one route per (enabled rule, target), a canary per rule that the rule's own
pattern matches (the engine decides), the marks the handlers recognise, where each route is observed, and
the routes skipped rather than sent (email subscriber, transformer dropping the marks, aws.* on AWS)."""

from __future__ import annotations

import json
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tooling.config import Config, load_config
from tooling.local.provision import outputs_for
from tooling.naming import Arns, Names
from tooling.outputs import DeploymentOutputs
from tooling.patterns import compile_pattern
from tooling.smoke import canary as smoke_canary
from tooling.smoke import probes
from tooling.smoke.plan import Plan, plan_routes

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
RUN = "20261130t120000-ab12"
sys.path.insert(0, str(REPO / "lambda_src"))

from event_processors import business_key as lambda_business_key  # noqa: E402  (needs the path above)
from event_processors import canary as lambda_canary  # noqa: E402


def environment(tmp_path: Path, name: str = "dev", **changes: Any) -> Config:
    """environments/<name>.toml with top-level tables replaced (`rules=[...]`, `notifications={...}`)."""
    data = tomllib.loads((REPO / "environments" / f"{name}.toml").read_text())
    data.update(changes)
    path = tmp_path / f"{name}.toml"
    path.write_text(tomli_w.dumps(data))
    return load_config(path)


def outputs(config: Config, target: str = "local") -> DeploymentOutputs:
    made = outputs_for(config, Names.of(config, "abc123"), Arns(config.region, "123456789012"))
    return made.model_copy(update={"target": target})


def plan(config: Config, target: str = "local", *, allow_email: bool = False) -> Plan:
    return plan_routes(config, outputs(config, target), RUN, NOW, allow_email=allow_email)


def by_route(made: Plan) -> dict[str, Any]:
    return {p.route.name: p for p in made.routes}


def test_dev_has_one_route_per_rule_and_target_each_with_a_canary_its_rule_matches(tmp_path: Path) -> None:
    config = environment(tmp_path)

    made = plan(config)

    assert [p.route.name for p in made.routes] == [
        "order-events -> processor",
        "high-value-orders -> notifications",
        "user-registration -> processor",
        "all-events -> batch-queue",
        "all-events -> s3-archive",
        "all-events -> analytics",
        "aws-service-events -> analytics",
    ]
    for planned in made.routes:
        assert planned.canary is not None and planned.skipped is None, planned
        pattern = config.rule(planned.route.rule).pattern
        assert compile_pattern(json.dumps(pattern)).matches(planned.canary.event)
    assert [c.id for c in made.canaries] == [f"canary-{RUN}-{n}" for n in range(1, 6)]


def test_every_canary_carries_the_marks_the_lambda_handlers_recognise(tmp_path: Path) -> None:
    made = plan(environment(tmp_path))

    for canary in made.canaries:
        detail = canary.event["detail"]
        assert detail["canary"] is True and detail["idempotencyKey"] == canary.id
        assert lambda_canary.canary_id(detail) == canary.id
        assert all(detail[k] == canary.id for k in smoke_canary.BUSINESS_ID_KEYS if k in detail)


def test_the_tooling_and_the_lambda_package_agree_on_the_canary_marks() -> None:
    """The two cannot import each other: the prefix, the flag, the ids and the log line are held equal here."""
    assert smoke_canary.CANARY_PREFIX == lambda_canary.CANARY_PREFIX
    assert smoke_canary.CANARY_FIELD == lambda_canary.CANARY_FIELD
    assert smoke_canary.BUSINESS_ID_KEYS == lambda_business_key.BUSINESS_ID_KEYS
    assert smoke_canary.IDEMPOTENCY_KEY == lambda_business_key.IDEMPOTENCY_KEY
    assert probes.LOG_MESSAGE == lambda_canary.LOG_MESSAGE


def test_where_each_dev_route_is_observed(tmp_path: Path) -> None:
    routes = by_route(plan(environment(tmp_path)))

    assert {name: (p.observation.kind, p.observation.where) for name, p in routes.items()} == {
        "order-events -> processor": ("log", "processor log"),
        "high-value-orders -> notifications": ("log", "notifier log (SNS subscriber)"),
        "user-registration -> processor": ("log", "processor log"),
        "all-events -> batch-queue": ("event-store", "event store"),
        "all-events -> s3-archive": ("s3-archive", "S3 archive"),
        "all-events -> analytics": ("log", "analytics log"),
        "aws-service-events -> analytics": ("log", "analytics log"),
    }


def test_the_high_value_canary_is_over_the_threshold_and_the_order_canary_is_not(tmp_path: Path) -> None:
    routes = by_route(plan(environment(tmp_path)))

    high = routes["high-value-orders -> notifications"].canary
    plain = routes["order-events -> processor"].canary
    assert high.event["detail"]["totalAmount"] > 1000
    assert "high-value-orders" not in plain.matched_rules  # no notification for the processor's canary


def test_on_aws_the_aws_service_event_route_is_skipped_as_putevents_refuses_aws_sources(
    tmp_path: Path,
) -> None:
    routes = by_route(plan(environment(tmp_path), "aws"))

    skipped = routes["aws-service-events -> analytics"]
    assert skipped.canary is None
    assert "NotAuthorizedForSourceException" in skipped.skipped
    assert routes["all-events -> analytics"].canary is not None


def test_locally_an_aws_service_canary_goes_on_the_default_bus_to_be_forwarded(tmp_path: Path) -> None:
    routes = by_route(plan(environment(tmp_path)))

    canary = routes["aws-service-events -> analytics"].canary
    assert canary.bus == "default" and canary.event["source"].startswith("aws.")


def test_an_email_subscriber_keeps_canaries_off_the_notifications_topic_unless_allowed(
    tmp_path: Path,
) -> None:
    config = environment(tmp_path, "prod")

    skipped = by_route(plan(config, "aws"))["high-value-orders -> notifications"]
    allowed = by_route(plan(config, "aws", allow_email=True))["high-value-orders -> notifications"]

    assert skipped.canary is None and "[notifications] email" in skipped.skipped
    assert allowed.canary is not None
    # The other rules' canaries stay below the threshold: no mail for them either.
    assert all("high-value-orders" not in c.matched_rules for c in plan(config, "aws").canaries)


def test_prod_proves_the_workflow_route_with_an_order_created_canary(tmp_path: Path) -> None:
    routes = by_route(plan(environment(tmp_path, "prod"), "aws"))

    workflow = routes["order-fulfilment -> order-workflow"]
    assert workflow.observation.kind == "workflow"
    assert workflow.canary.event["detail-type"] == "Order Created"


def rule(name: str, pattern: dict[str, Any], target: str = "analytics", **extra: Any) -> dict[str, Any]:
    return {"name": name, "pattern": pattern, "targets": [{"target": target, **extra}]}


@pytest.mark.parametrize(
    "pattern",
    [
        {"source": ["ecommerce.orders"], "detail": {"totalAmount": [{"numeric": [">", 5000, "<=", 9000]}]}},
        {"source": ["ecommerce.orders"], "detail": {"currency": [{"anything-but": ["USD", "EUR", "GBP"]}]}},
        {"source": ["ecommerce.payments"], "detail": {"paymentMethod": [{"prefix": "crypto-"}]}},
        {"source": ["ecommerce.inventory"], "detail": {"warehouseId": [{"wildcard": "wh-*-9"}]}},
        {"source": ["ecommerce.users"], "detail": {"referrer": [{"exists": True}]}},
        {"source": ["ecommerce.users"], "detail": {"email": [{"suffix": "@partner.example"}]}},
        {"source": ["ecommerce.orders"], "detail": {"status": [{"equals-ignore-case": "ON-HOLD"}]}},
        {"source": ["ecommerce.orders"], "detail": {"clientIp": [{"cidr": "10.1.0.0/16"}]}},
        {"$or": [{"source": ["ecommerce.returns"]}, {"detail-type": ["Return Requested"]}]},
    ],
)
def test_a_rule_no_sample_matches_as_is_gets_a_sample_adjusted_to_its_pattern(
    tmp_path: Path, pattern: dict[str, Any]
) -> None:
    config = environment(tmp_path, rules=[rule("narrow", pattern)])

    [planned] = plan(config).routes

    assert planned.canary is not None, planned.skipped
    assert compile_pattern(json.dumps(pattern)).matches(planned.canary.event)
    assert planned.canary.event["detail"]["canary"] is True


def test_a_pattern_on_the_order_id_keeps_its_value_and_the_flag_still_marks_the_canary(
    tmp_path: Path,
) -> None:
    pattern = {"source": ["ecommerce.orders"], "detail": {"orderId": [{"prefix": "ORD-"}]}}
    config = environment(tmp_path, rules=[rule("by-prefix", pattern, "processor")])

    [planned] = plan(config).routes

    detail = planned.canary.event["detail"]
    assert detail["orderId"].startswith("ORD-")
    assert lambda_canary.canary_id(detail) == planned.canary.id  # by its idempotencyKey and flag


def test_a_transformer_that_drops_the_marks_keeps_the_canary_home(tmp_path: Path) -> None:
    transformer = {"input_paths": {"total": "$.detail.totalAmount"}, "input_template": '"total <total>"'}
    pattern = {"source": ["ecommerce.orders"]}
    config = environment(tmp_path, rules=[rule("lossy", pattern, "processor", input_transformer=transformer)])

    [planned] = plan(config).routes

    assert planned.canary is None
    assert "lossy -> processor" in planned.skipped and "drops them" in planned.skipped


def test_a_pattern_nothing_can_satisfy_is_skipped_with_the_reason(tmp_path: Path) -> None:
    # Valid, but EventBridge always sets a source: no event it delivers can match.
    config = environment(tmp_path, rules=[rule("no-source", {"source": [{"exists": False}]})])

    [planned] = plan(config).routes

    assert planned.canary is None and "no sample event can be made to match" in planned.skipped


def test_disabled_rules_are_not_routes(tmp_path: Path) -> None:
    data = tomllib.loads((REPO / "environments" / "dev.toml").read_text())
    data["rules"][0]["enabled"] = False
    config = environment(tmp_path, rules=data["rules"])

    assert "order-events -> processor" not in by_route(plan(config))


def test_without_an_event_store_the_batch_queue_is_seen_in_the_batch_processors_log(tmp_path: Path) -> None:
    config = environment(tmp_path, event_store={"enabled": False})

    planned = by_route(plan(config))["all-events -> batch-queue"]

    assert (planned.observation.kind, planned.observation.function) == ("log", "batch-processor")


def test_without_a_consumer_the_batch_queue_route_is_skipped(tmp_path: Path) -> None:
    config = environment(tmp_path, event_store={"enabled": False}, batch_processor={"enabled": False})

    planned = by_route(plan(config))["all-events -> batch-queue"]

    assert planned.canary is None and "no consumer" in planned.skipped


def test_a_route_that_another_matched_rule_also_feeds_names_it(tmp_path: Path) -> None:
    rules = [
        rule("orders", {"source": ["ecommerce.orders"]}),
        rule("created", {"source": ["ecommerce.orders"], "detail-type": ["Order Created"]}),
    ]
    config = environment(tmp_path, rules=rules)

    routes = by_route(plan(config))

    # Every order matches "orders" too: the analytics sighting of "created"'s canary cannot tell the two apart.
    assert routes["created -> analytics"].also_via == ("orders",)
