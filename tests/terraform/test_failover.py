"""[failover] in Terraform: the same stack in a second region (same bus name, names AWS keeps per account
kept apart), the global endpoint with its health alarm, Route 53 health check and replication role, the
tables as global tables, the move of an existing deployment, and the `failover` output in the shape the
tooling reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

from terraform_hcl import modules, statements, unquote

from tooling.config import (
    ENDPOINT_NAME_SUFFIX,
    HEALTH_ALARM_SUFFIX,
    EndpointService,
    Failover,
    HealthAlarm,
    load_config,
)
from tooling.deploy.tfvars import build_tfvars
from tooling.outputs import FailoverOutputs, SecondaryOutputs

REPO = Path(__file__).resolve().parents[2]
FAILOVER_TOGGLE = "${local.create_failover ? 1 : 0}"


def _object_keys(text: str, start: int) -> dict[str, str]:
    """Top-level `key = value` pairs of the HCL object literal (or object type) opening at text[start]."""
    assert text[start] == "{"
    depth, pairs, token, key = 0, {}, "", None
    for char in text[start:]:
        if char in "{[(":
            depth += 1
            if depth == 1:
                continue
        elif char in "}])":
            depth -= 1
            if depth == 0:
                break
        if depth == 1 and char == "=" and key is None:
            key, token = token.strip().strip('"'), ""
        elif depth == 1 and char in ",\n" and key is not None:
            if token.strip():
                pairs[key], key, token = token.strip(), None, ""
        else:
            token += char
    if key is not None:
        pairs[key] = token.strip()
    return pairs


def _object_after(text: str, marker: str) -> dict[str, str]:
    return _object_keys(text, text.index("{", text.index(marker) + len(marker) - 1))


def _provider_blocks() -> dict[str | None, dict[str, Any]]:
    found = {}
    for item in modules()["root"].docs["providers.tf"]["provider"]:
        for name, body in item.items():
            if unquote(name) == "aws":
                found[unquote(body.get("alias"))] = body
    return found


# -- the secondary region's stack ---------------------------------------------------------------------------


def test_the_secondary_stack_and_the_endpoint_exist_only_with_failover() -> None:
    root = modules()["root"]

    assert root.variables["failover"]["default"] is None
    assert root.locals["create_failover"] == "${var.failover != null}"
    assert root.module_calls["secondary"]["count"] == FAILOVER_TOGGLE
    assert root.module_calls["global_endpoint"]["count"] == FAILOVER_TOGGLE
    assert "count" not in root.module_calls["primary"]


def test_both_regions_run_the_same_module_with_the_same_names_in_their_own_region() -> None:
    root, stack = modules()["root"], modules()["region_stack"]
    primary, secondary = root.module_calls["primary"], root.module_calls["secondary"]

    assert unquote(primary["source"]) == unquote(secondary["source"]) == "./modules/region_stack"
    assert primary["name_prefix"] == secondary["name_prefix"] == "${local.name_prefix}"
    assert secondary["providers"] == {"aws": "${aws.secondary}"}
    assert (primary["region"], secondary["region"]) == ("${var.region}", "${local.secondary_region}")
    # The bus name depends on the prefix alone: the endpoint needs the same name in both regions.
    assert unquote(stack.locals["event_bus_name"]) == "${var.name_prefix}-bus"
    # Every setting of the environment reaches both regions unchanged.
    settings = {k: v for k, v in primary.items() if v == f"${{var.{k}}}" and k != "region"}
    assert len(settings) >= 19
    assert {k: secondary[k] for k in settings} == settings


def test_the_secondary_provider_has_the_primary_providers_settings_in_its_region() -> None:
    blocks = _provider_blocks()
    primary, secondary = blocks[None], blocks["secondary"]
    root = modules()["root"]
    (services_check,) = [
        v["condition"] for v in root.variables["endpoints"]["validation"] if "setsubtract" in v["condition"]
    ]

    assert secondary["region"] == "${local.secondary_region}"
    assert (
        root.locals["secondary_region"]
        == "${local.create_failover ? var.failover.secondary_region : var.region}"
    )
    for setting in (
        "skip_credentials_validation",
        "skip_metadata_api_check",
        "s3_use_path_style",
        "default_tags",
    ):
        assert secondary[setting] == primary[setting], setting
    # One endpoint per service the tooling may override, the same in both blocks, from the one lookup.
    endpoints = primary["endpoints"][0]
    assert {k: v for k, v in secondary["endpoints"][0].items() if not k.startswith("__")} == {
        k: v for k, v in endpoints.items() if not k.startswith("__")
    }
    services = {k for k in endpoints if not k.startswith("__")}
    assert services == set(get_args(EndpointService))
    assert all(endpoints[s] == f"${{local.endpoint_overrides.{s}}}" for s in services)
    assert services <= set(re.findall(r'"([a-z0-9]+)"', services_check))
    # The old [replication] provider (kept for the removed blocks) lists the services its forgotten
    # resources used, each from the same lookup and with the same emulator settings.
    replica = blocks["replica"]
    replica_endpoints = {k: v for k, v in replica["endpoints"][0].items() if not k.startswith("__")}
    assert replica_endpoints and replica_endpoints.items() <= endpoints.items()
    for setting in ("skip_credentials_validation", "skip_metadata_api_check"):
        assert replica[setting] == primary[setting], setting


def test_names_aws_keeps_per_account_differ_in_the_secondary() -> None:
    root, stack = modules()["root"], modules()["region_stack"]
    suffix = unquote(root.locals["secondary_name_suffix"])

    assert suffix and "global_name_suffix" not in root.module_calls["primary"]
    assert root.module_calls["secondary"]["global_name_suffix"] == "${local.secondary_name_suffix}"
    # IAM roles: every role of the modules the secondary runs takes the suffix.
    for name in ("processors", "workflows", "forwarding"):
        assert stack.module_calls[name]["role_name_suffix"] == "${var.global_name_suffix}", name
        module = modules()[name]
        role_names = [str(r.body["name"]) for r in module.resources("aws_iam_role")]
        role_names += [str(c["name"]) for c in module.module_calls.values() if "name" in c]
        assert role_names and all("var.role_name_suffix" in name_ for name_ in role_names), name
    dashboard = modules()["monitoring"].resource("aws_cloudwatch_dashboard", "this").body
    assert "${var.dashboard_name_suffix}" in str(dashboard["dashboard_name"])
    assert stack.module_calls["monitoring"]["dashboard_name_suffix"] == "${var.global_name_suffix}"
    # The rest of what is named per account exists in the primary only: the publisher policy, the bucket.
    assert stack.module_calls["event_bus"]["create_publisher_policy"] == "${var.primary}"
    assert stack.locals["create_s3_archive"] == "${var.primary && var.create_s3_archive}"
    assert root.module_calls["secondary"]["primary"] is False


def test_the_secondary_leaves_out_the_s3_archive_targets_and_a_standby_routes_nothing() -> None:
    stack = modules()["region_stack"]
    rules = stack.locals["rules"]

    assert rules.startswith("${!var.consumers ? {} : var.primary ? var.rules : {")
    assert 'target if target.target != "s3-archive"' in rules
    assert 'if anytrue([for target in values(rule.targets) : target.target != "s3-archive"])' in rules
    assert stack.module_calls["routing"]["rules"] == "${local.rules}"


def test_a_standby_secondary_has_only_bus_archive_key_and_the_buses_dlq() -> None:
    stack, messaging = modules()["region_stack"], modules()["messaging"]

    for name in ("processors", "monitoring"):
        assert stack.module_calls[name]["count"] == "${var.consumers ? 1 : 0}", name
    assert stack.module_calls["messaging"]["create_targets"] == "${var.consumers}"
    assert stack.module_calls["forwarding"]["create_forwarding"].startswith("${var.consumers && ")
    assert stack.locals["create_batch_consumer"].startswith("${var.consumers && ")
    assert modules()["root"].module_calls["secondary"]["consumers"] == "${local.secondary_consumers}"
    # The key (module kms) has no count; in messaging, everything but the events DLQ (the bus needs it)
    # follows create_targets.
    assert "count" not in stack.module_calls["kms"]
    always = {("aws_sqs_queue", "events_dlq"), ("aws_sqs_queue_policy", "events_dlq")}
    for block in messaging.resources():
        if (block.type, block.name) in always:
            assert "count" not in block.body, block.address
        elif block.name != "email":
            assert block.body["count"] == "${var.create_targets ? 1 : 0}", block.address
    assert messaging.locals["create_email_subscription"].startswith("${var.create_targets && ")


def test_moved_blocks_put_every_former_root_module_under_the_primary() -> None:
    root, stack = modules()["root"], modules()["region_stack"]
    moved = {item["from"]: item["to"] for item in root.docs["moved.tf"]["moved"]}
    # A module renamed inside region_stack since keeps its old name here: region_stack's own moved block
    # continues the chain (module.event_archive -> module.primary.module.event_archive -> ...s3_archive).
    renamed = {item["to"]: item["from"] for item in stack.docs["moved.tf"]["moved"]}
    former = {
        name: renamed.get(f"${{module.{name}}}", f"${{module.{name}}}")[len("${module.") : -1]
        for name in stack.module_calls
    }

    # Module kms came later (its key moved out of messaging: region_stack's own moved blocks).
    expected = {
        f"${{module.{former[name]}}}": f"${{module.primary.module.{former[name]}{'[0]' if 'count' in call else ''}}}"
        for name, call in stack.module_calls.items()
        if name != "kms"
    }

    assert moved == expected
    assert renamed == {"${module.s3_archive}": "${module.event_archive}"}
    assert "replication" not in stack.module_calls


def test_the_old_replica_stays_in_aws_and_its_forwarding_rule_goes() -> None:
    root = modules()["root"]
    removed = {
        item["from"].removeprefix("${").removesuffix("}"): item["lifecycle"][0]["destroy"]
        for item in root.docs["moved.tf"]["removed"]
    }
    replica_region = {
        "aws_cloudwatch_event_bus.this", "aws_cloudwatch_event_archive.this", "aws_kms_key.this",
        "aws_kms_alias.this", "aws_sqs_queue.dlq", "aws_sqs_queue_policy.dlq",
    }  # fmt: skip

    assert removed == {f"module.replication.{address}": False for address in replica_region}
    # The rule, target and role on the primary bus are not listed: the plan destroys them. The replica
    # resources' old provider stays configured, so Terraform can forget them.
    assert "replica" in _provider_blocks()
    assert 'required_version = ">= 1.7.0"' in root.text["versions.tf"]


# -- the global endpoint ------------------------------------------------------------------------------------


def test_the_endpoint_fails_over_by_the_health_check_between_the_two_buses() -> None:
    root, endpoint_module = modules()["root"], modules()["global_endpoint"]
    endpoint = endpoint_module.resource("aws_cloudwatch_event_endpoint", "this").body
    call = root.module_calls["global_endpoint"]

    assert unquote(root.locals["endpoint_name"]) == f"${{local.name_prefix}}{ENDPOINT_NAME_SUFFIX}"
    assert call["name"] == "${local.endpoint_name}"
    assert [b["event_bus_arn"] for b in endpoint["event_bus"]] == [
        "${var.primary_event_bus_arn}",
        "${var.secondary_event_bus_arn}",
    ]
    assert (call["primary_event_bus_arn"], call["secondary_event_bus_arn"]) == (
        "${module.primary.event_bus_arn}",
        "${module.secondary[0].event_bus_arn}",
    )
    failover = endpoint["routing_config"][0]["failover_config"][0]
    assert failover["primary"][0]["health_check"] == "${aws_route53_health_check.this.arn}"
    assert failover["secondary"][0]["route"] == "${var.secondary_region}"
    assert endpoint["replication_config"][0]["state"] == '${var.replication ? "ENABLED" : "DISABLED"}'
    assert endpoint["role_arn"] == "${var.replication ? aws_iam_role.replication[0].arn : null}"
    assert call["replication"] == "${var.failover.replication}"


def test_the_health_alarm_and_the_route53_health_check_follow_the_contract() -> None:
    module = modules()["global_endpoint"]
    alarm = module.resource("aws_cloudwatch_metric_alarm", "health")
    check = module.resource("aws_route53_health_check", "this")

    assert unquote(module.locals["alarm_name"]) == f"${{var.name_prefix}}{HEALTH_ALARM_SUFFIX}"
    assert alarm.attr("namespace") == "AWS/Events"
    assert alarm.attr("metric_name") == "${var.health_alarm.metric}"
    assert "EventBusName = var.event_bus_name" in module.locals["alarm_dimensions"]
    assert (
        'var.health_alarm.metric == "IngestionToInvocationStartLatency"' in module.locals["alarm_dimensions"]
    )
    assert alarm.attr("comparison_operator") == "GreaterThanThreshold"
    assert alarm.attr("treat_missing_data") == "${var.health_alarm.treat_missing_data}"
    assert alarm.body["period"] == "${var.health_alarm.period_seconds}"
    assert alarm.body["evaluation_periods"] == "${var.health_alarm.evaluation_periods}"
    assert check.attr("type") == "CLOUDWATCH_METRIC"
    assert check.body["cloudwatch_alarm_name"] == "${aws_cloudwatch_metric_alarm.health.alarm_name}"
    assert check.body["cloudwatch_alarm_region"] == "${var.primary_region}"
    assert check.attr("insufficient_data_health_status") == "Unhealthy"
    assert modules()["root"].module_calls["global_endpoint"]["health_alarm"] == "${var.failover.health_alarm}"


def test_the_replication_role_may_put_events_on_the_two_buses_only() -> None:
    module = modules()["global_endpoint"]
    by_sid = {s.sid: s for s in statements(module.policy_document("replication"))}
    (trust,) = statements(module.policy_document("assume_role"))
    role = module.resource("aws_iam_role", "replication").body

    assert by_sid["PutEventsOnBothBuses"].actions == ["events:PutEvents"]
    assert by_sid["PutEventsOnBothBuses"].body["resources"] == "${local.bus_arns}"
    assert module.locals["bus_arns"] == ["${var.primary_event_bus_arn}", "${var.secondary_event_bus_arn}"]
    # AWS's documented policy: the endpoint's managed rules on this bus in the two regions, nothing else.
    assert by_sid["ManageTheReplicationRules"].body["resources"] == "${local.managed_rule_arns}"
    assert "rule/${var.event_bus_name}/GlobalEndpointManagedRule-*" in module.locals["managed_rule_arns"]
    assert "[var.primary_region, var.secondary_region]" in module.locals["managed_rule_arns"]
    assert by_sid["PassItselfToEventBridge"].resources == ["${local.role_arn}"]
    assert by_sid["PassItselfToEventBridge"].conditions == [
        {"test": "StringEquals", "variable": "iam:PassedToService", "values": ["events.amazonaws.com"]}
    ]
    assert not [s for s in by_sid.values() if any(a.startswith("kms:") for a in s.actions)]
    assert trust.principals == [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]
    assert {c["variable"] for c in trust.conditions} == {"aws:SourceAccount", "aws:SourceArn"}
    assert role["permissions_boundary"] == "${var.permissions_boundary_arn}"
    assert role["count"] == "${var.replication ? 1 : 0}"


def test_the_publisher_policy_covers_the_secondary_bus() -> None:
    root, event_bus = modules()["root"], modules()["event_bus"]
    (statement,) = statements(event_bus.policy_document("publisher"))

    assert (
        statement.body["resources"]
        == "${concat([aws_cloudwatch_event_bus.this.arn], var.publisher_bus_arns)}"
    )
    assert root.module_calls["primary"]["publisher_bus_arns"] == (
        "${[for stack in module.secondary : stack.event_bus_arn]}"
    )


# -- global tables ------------------------------------------------------------------------------------------


def test_idempotency_table_and_event_store_are_global_tables_with_secondary_consumers() -> None:
    root, stack = modules()["root"], modules()["region_stack"]
    primary, secondary = root.module_calls["primary"], root.module_calls["secondary"]

    assert root.locals["secondary_consumers"] == "${try(var.failover.secondary_consumers, false)}"
    replica = _object_after(primary["table_replica"], "${local.secondary_consumers ? {")
    assert replica == {
        "region_name": "var.failover.secondary_region",
        "kms_key_arn": "module.secondary[0].kms_key_arn",
    }
    shared = secondary["shared_tables"]
    assert shared.startswith("${local.secondary_consumers ? {")
    assert "module.primary.table_replica_arns.idempotency[local.secondary_region]" in shared
    assert "module.primary.table_replica_arns.event_store[local.secondary_region]" in shared
    assert stack.module_calls["processors"]["idempotency_replica"] == "${var.table_replica}"
    assert stack.module_calls["event_store"]["replica"] == "${var.table_replica}"
    assert stack.locals["create_tables"] == "${var.shared_tables == null}"
    assert (
        stack.module_calls["event_store"]["create_table"]
        == "${local.create_event_store && local.create_tables}"
    )
    for module, table in (("processors", "idempotency"), ("event_store", "this")):
        body = modules()[module].resource("aws_dynamodb_table", table).body
        (dynamic,) = [d['"replica"'] for d in body["dynamic"] if '"replica"' in d]
        assert dynamic["content"][0]["kms_key_arn"] == "${replica.value.kms_key_arn}", module
        assert body["stream_view_type"].endswith('"NEW_AND_OLD_IMAGES"}'), module
        # Unset (null) without a replica, as before: an existing table sees no change.
        assert body["stream_enabled"].endswith("== null ? null : true}"), module


# -- the variable and the output, as the tooling writes and reads them ----------------------------------------


def test_the_failover_variable_is_the_config_model_with_its_defaults() -> None:
    type_ = str(modules()["root"].variables["failover"]["type"])
    outer = _object_after(type_, "object({")
    inner = _object_after(type_, "health_alarm = optional(object({")

    assert set(outer) == set(Failover.model_fields)
    assert set(inner) == set(HealthAlarm.model_fields)
    for name, value in HealthAlarm().model_dump().items():
        default = re.fullmatch(r"optional\((\w+), (.+)\)", inner[name])
        assert default is not None, name
        assert default.group(2).strip('"') in (
            str(value),
            str(int(value)) if isinstance(value, float) else "",
        )
    tfvars = build_tfvars(
        load_config(REPO / "environments" / "prod.toml"), name_suffix="abc123",
        zip_path=Path("/x/lambda.zip"), zip_sha256_b64="c2hhMjU2",
    )  # fmt: skip
    assert set(tfvars["failover"]) == set(outer)
    assert set(tfvars["failover"]["health_alarm"]) == set(inner)


def test_the_failover_output_is_the_tooling_contract() -> None:
    value = str(modules()["root"].outputs["failover"]["value"])

    assert value.startswith("${!local.create_failover ? null : {")
    assert set(_object_keys(value, value.index("{", 2))) == set(FailoverOutputs.model_fields)
    assert set(_object_after(value, "secondary = {")) == set(SecondaryOutputs.model_fields)


def test_the_health_alarm_is_one_route53_can_watch() -> None:
    """Route 53 health checks take alarms on Average, Minimum, Maximum, Sum or SampleCount of
    standard-resolution metrics only: a p99 alarm, or a 10/30 s period on AWS/Events' one-minute metrics,
    must stop the plan rather than fail CreateHealthCheck or leave the alarm without data."""
    conditions = [v["condition"] for v in modules()["root"].variables["failover"]["validation"]]
    (statistics,) = [c for c in conditions if "health_alarm.statistic)" in c]
    (period,) = [c for c in conditions if "health_alarm.period_seconds >= 60" in c]
    allowed = re.search(r"contains\(\[([^\]]*)\], var\.failover\.health_alarm\.statistic\)", statistics)

    assert allowed is not None
    assert {name.strip().strip('"') for name in allowed.group(1).split(",")} == {"Average", "Maximum", "Sum"}
    assert "% 60 == 0" in period
    module_checks = [
        v["condition"] for v in modules()["global_endpoint"].variables["health_alarm"]["validation"]
    ]
    assert any('["Average", "Maximum", "Sum"]' in c for c in module_checks)
    assert any("var.health_alarm.period_seconds % 60 == 0" in c for c in module_checks)
    assert "extended_statistic" not in modules()["global_endpoint"].text["main.tf"]
