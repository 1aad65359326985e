"""Cross-region replication: nothing exists unless a replica region is configured; the replica bus, archive
and key live in the replica region; the forwarding role may only put events on the replica bus."""

from __future__ import annotations

from terraform_hcl import modules, statements, unquote

from tooling.config import REPLICA_ARCHIVE_SUFFIX, REPLICATION_RULE, RULE_NAME_RE
from tooling.publish.events import SOURCES

TOGGLE = "${var.create_replication ? 1 : 0}"
REPLICA_REGION_RESOURCES = {
    ("aws_cloudwatch_event_bus", "this"),
    ("aws_cloudwatch_event_archive", "this"),
    ("aws_kms_key", "this"),
    ("aws_kms_alias", "this"),
    ("aws_sqs_queue", "dlq"),
    ("aws_sqs_queue_policy", "dlq"),
}


def test_every_replication_resource_is_counted_by_create_replication() -> None:
    replication = modules()["replication"]
    blocks = replication.resources() + [
        d for d in replication.data() if d.type not in ("aws_caller_identity", "aws_partition", "aws_region")
    ]

    untoggled = [b.address for b in blocks if b.body.get("count") != TOGGLE]

    assert blocks
    assert untoggled == []


def test_replication_is_off_unless_a_replica_region_is_configured() -> None:
    root = modules()["root"]

    assert root.variables["replication_region"]["default"] is None
    assert root.locals["create_replication"] == "${var.replication_region != null}"
    assert root.module_calls["replication"]["create_replication"] == "${local.create_replication}"
    assert modules()["replication"].variables["create_replication"]["default"] is False


def test_replica_bus_archive_and_key_are_created_in_the_replica_region() -> None:
    replication = modules()["replication"]

    placed = {(b.type, b.name): b.body.get("provider") for b in replication.resources()}

    for key, provider in placed.items():
        expected = "${aws.replica}" if key in REPLICA_REGION_RESOURCES else None
        assert provider == expected, f"{key}: provider {provider!r}"


def test_module_declares_the_replica_alias_and_the_root_configures_and_passes_it() -> None:
    root = modules()["root"]
    (required,) = modules()["replication"].docs["versions.tf"]["terraform"][0]["required_providers"]
    aliased = [
        body
        for item in root.docs["providers.tf"]["provider"]
        for name, body in item.items()
        if unquote(name) == "aws"
    ]

    assert required["aws"]["configuration_aliases"] == ["${aws.replica}"]
    assert [unquote(p.get("alias")) for p in aliased] == [None, "replica"]
    assert aliased[1]["region"] == "${local.replica_region}"
    assert root.locals["replica_region"] == "${coalesce(var.replication_region, var.region)}"
    assert root.module_calls["replication"]["providers"] == {"aws": "aws", "${aws.replica}": "${aws.replica}"}


def test_replica_regions_must_differ_checked_at_plan_time() -> None:
    bus = modules()["replication"].resource("aws_cloudwatch_event_bus", "this").body

    (precondition,) = bus["lifecycle"][0]["precondition"]

    assert precondition["condition"] == "${var.replica_region != var.region}"


def test_forwarding_role_may_only_put_events_on_the_replica_bus() -> None:
    replication = modules()["replication"]
    (statement,) = statements(replication.policy_document("replicate"))

    assert statement.effect == "Allow"
    assert statement.actions == ["events:PutEvents"]
    assert statement.resources == ["${aws_cloudwatch_event_bus.this[0].arn}"]
    assert (
        replication.module_calls["role"]["policy_json"]
        == "${one(data.aws_iam_policy_document.replicate[*].json)}"
    )
    assert replication.resources("aws_iam_role_policy") == []
    assert replication.resources("aws_iam_role_policy_attachment") == []


def test_only_the_replication_rule_of_this_account_may_assume_the_role() -> None:
    replication = modules()["replication"]
    role = replication.module_calls["role"]

    # The trust itself (events.amazonaws.com, these rules, this account) is eventbridge_role's, tested there.
    assert unquote(role["source"]) == "../eventbridge_role"
    assert role["rule_arns"] == "${aws_cloudwatch_event_rule.replicate[*].arn}"
    assert role["account_id"] == "${local.account_id}"
    assert role["create"] == "${var.create_replication}"


def test_rule_on_the_primary_bus_forwards_the_four_ecommerce_sources() -> None:
    root, replication = modules()["root"], modules()["replication"]
    rule = replication.resource("aws_cloudwatch_event_rule", "replicate").body

    assert sorted(unquote(root.locals["ecommerce_sources"])) == sorted(SOURCES.values())
    assert root.module_calls["replication"]["event_sources"] == "${local.ecommerce_sources}"
    assert "source = var.event_sources" in replication.locals["event_pattern"]
    assert rule["event_bus_name"] == "${var.event_bus_name}"
    assert root.module_calls["replication"]["event_bus_name"] == "${module.event_bus.name}"


def test_target_is_the_replica_bus_with_role_retries_and_the_events_dlq() -> None:
    root, replication = modules()["root"], modules()["replication"]
    target = replication.resource("aws_cloudwatch_event_target", "replicate").body

    assert target["arn"] == "${aws_cloudwatch_event_bus.this[0].arn}"
    assert target["role_arn"] == "${module.role.arn}"
    assert target["retry_policy"][0]["maximum_retry_attempts"] == "${var.retry_policy.maximum_retry_attempts}"
    assert target["dead_letter_config"][0]["arn"] == "${var.dead_letter_queue_arn}"
    assert root.module_calls["replication"]["dead_letter_queue_arn"] == "${module.messaging.events_dlq_arn}"


def test_replica_bus_and_archive_are_encrypted_with_the_replica_key() -> None:
    replication = modules()["replication"]
    key_policy_sids = {s.sid for s in statements(replication.policy_document("kms"))}

    for rtype in ("aws_cloudwatch_event_bus", "aws_cloudwatch_event_archive"):
        assert replication.resource(rtype, "this").body["kms_key_identifier"] == "${aws_kms_key.this[0].arn}"
    assert replication.resource("aws_kms_key", "this").body["enable_key_rotation"] is True
    assert "EventBridgeEncryptsReplicaBusAndArchive" in key_policy_sids


def test_replica_names_follow_the_primary_names() -> None:
    root = modules()["root"]

    assert unquote(root.locals["replica_bus_name"]) == "${local.event_bus_name}-replica"
    assert unquote(root.locals["archive_name"]) == "${local.name_prefix}-archive"
    assert unquote(root.locals["replica_archive_name"]) == "${local.archive_name}-replica"
    assert REPLICA_ARCHIVE_SUFFIX == "-archive-replica"  # the config checks this name's length


def test_replication_rule_is_monitored_under_a_key_no_routing_rule_can_take() -> None:
    root, replication = modules()["root"], modules()["replication"]
    (rule_name_check,) = [
        v["condition"] for v in root.variables["rules"]["validation"] if "keys(var.rules)" in v["condition"]
    ]

    assert root.module_calls["monitoring"]["rule_names"] == (
        "${merge(module.routing.rule_names, module.replication.rule_names)}"
    )
    # The key holds a '.', which neither the root validation nor the config allows in a rule name, so the
    # merge can never drop a routing rule's alarms (nor replication's).
    assert f'"{REPLICATION_RULE}.forward" => rule.name' in replication.outputs["rule_names"]["value"]
    assert "^[A-Za-z0-9_-]{1,64}$" in rule_name_check
    assert not RULE_NAME_RE.match(f"{REPLICATION_RULE}.forward")


def test_archive_name_length_is_checked_only_when_replication_is_on() -> None:
    replication = modules()["replication"]
    (validation,) = replication.variables["replica_archive_name"]["validation"]
    archive = replication.resource("aws_cloudwatch_event_archive", "this").body

    (precondition,) = archive["lifecycle"][0]["precondition"]

    # Variable validations run even with create_replication = false; the count-gated archive's
    # precondition does not, so a long <project>-<environment> only matters when there is a replica.
    assert "48" not in validation["condition"]
    assert precondition["condition"] == "${length(var.replica_archive_name) <= 48}"
    assert archive["count"] == TOGGLE


def test_replica_bus_dead_letters_into_an_sse_sqs_queue_of_its_region() -> None:
    replication = modules()["replication"]
    bus = replication.resource("aws_cloudwatch_event_bus", "this").body
    queue = replication.resource("aws_sqs_queue", "dlq").body
    allows = [s for s in statements(replication.policy_document("dlq")) if s.effect == "Allow"]

    (allow,) = allows

    assert bus["dead_letter_config"][0]["arn"] == "${aws_sqs_queue.dlq[0].arn}"
    assert queue["provider"] == "${aws.replica}"
    assert queue["sqs_managed_sse_enabled"] is True
    assert "kms_master_key_id" not in queue
    assert allow.actions == ["sqs:SendMessage"]
    assert allow.principals == [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]
    assert allow.conditions == [
        {"test": "ArnEquals", "variable": "aws:SourceArn", "values": ["${local.replica_bus_arn}"]}
    ]
