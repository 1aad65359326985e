"""The stack's key lives in modules/kms and takes its grants from the region's wiring (region_stack/kms.tf).

What the key policy says is proven by value in terraform/modules/kms/tests (the module renders what it is
given) and terraform/modules/region_stack/tests (the grants name this region's bus, topics, queue and log
groups); the migration of an existing state (the key moves, nothing is replaced) by a plan on an applied
state of the old layout. What stays here is what no plan of the new layout shows: the moved blocks, that
no other module holds a key or builds its grants, and that the names the grants use are the names the
modules create with.
"""

from __future__ import annotations

import re

from terraform_hcl import TERRAFORM, Module, modules, unquote


def test_the_key_moves_from_messaging_to_kms_and_is_not_replaced() -> None:
    stack, kms = modules()["region_stack"], modules()["kms"]
    moved = {
        item["from"]: item["to"]
        for doc in stack.docs.values()
        for item in doc.get("moved", [])
        if "kms" in item["to"]
    }

    assert moved == {
        "${module.messaging.aws_kms_key.this}": "${module.kms.aws_kms_key.this}",
        "${module.messaging.aws_kms_alias.this}": "${module.kms.aws_kms_alias.this}",
    }
    # The targets exist under those names, once (no count or for_each that would add an index).
    for rtype in ("aws_kms_key", "aws_kms_alias"):
        block = kms.resource(rtype, "this")
        assert "count" not in block.body and "for_each" not in block.body, block.address
    assert stack.module_calls["kms"]["source"] == '"../kms"'
    assert "count" not in stack.module_calls["kms"] and "for_each" not in stack.module_calls["kms"]


def test_only_module_kms_creates_a_key_and_every_module_encrypts_with_it() -> None:
    stack = modules()["region_stack"]
    holders = [
        f"{name}: {block.type}.{block.name}"
        for name, module in modules().items()
        for block in module.resources()
        if block.type in ("aws_kms_key", "aws_kms_alias", "aws_kms_key_policy")
    ]

    assert holders == ["kms: aws_kms_key.this", "kms: aws_kms_alias.this"]
    key_inputs = {
        (name, arg): value
        for name, call in stack.module_calls.items()
        for arg, value in call.items()
        if arg.endswith("kms_key_arn")
    }
    assert key_inputs and set(key_inputs.values()) == {"${module.kms.key_arn}"}, key_inputs
    assert stack.outputs["kms_key_arn"]["value"] == "${module.kms.key_arn}"


def test_the_kms_module_knows_nothing_of_the_stack() -> None:
    text = "".join(modules()["kms"].text.values())

    # No names of what the key encrypts: they arrive as grants.
    for word in ("name_prefix", "event-bus", "sns", "sqs", "lambda", "firehose", "states"):
        assert word not in text, word


def test_the_grants_name_what_the_modules_create_under_the_same_names() -> None:
    stack, messaging = modules()["region_stack"], modules()["messaging"]
    grants = str(stack.locals["key_grants"])

    # The topic and the batch queue take their names from the stack, which builds the grants from them.
    assert stack.module_calls["messaging"]["notifications_topic_name"] == "${local.notifications_topic_name}"
    assert stack.module_calls["messaging"]["batch_queue_name"] == "${local.batch_queue_name}"
    assert stack.module_calls["monitoring"]["topic_name"] == "${local.operations_topic_name}"
    for name in ("notifications_topic_name", "batch_queue_name", "operations_topic_name"):
        assert f"${{local.{name}}}" in grants, name
    assert "${local.event_bus_name}" in grants
    assert stack.module_calls["event_bus"]["name"] == "${local.event_bus_name}"
    assert (
        messaging.resource("aws_sns_topic", "notifications").body["name"] == "${var.notifications_topic_name}"
    )
    assert messaging.resource("aws_sqs_queue", "batch").body["name"] == "${var.batch_queue_name}"
    assert modules()["monitoring"].resource("aws_sns_topic", "this").body["name"] == "${var.topic_name}"


def test_every_log_group_the_stack_encrypts_falls_under_a_granted_path() -> None:
    grants = str(modules()["region_stack"].locals["key_grants"])
    (paths,) = re.findall(r"for path in \[([^\]]*)\]", grants)
    granted = [p.strip().strip('"') for p in paths.split(",")]
    # Each module's log group name: its service's path, then a name that starts with name_prefix.
    names = {
        "processors": unquote(
            modules()["processors"].resource("aws_cloudwatch_log_group", "function").body["name"]
        ),
        "workflows": unquote(modules()["workflows"].locals["log_group_name"]),
        "s3_archive": unquote(modules()["s3_archive"].locals["log_group_name"]),
    }

    assert granted == ["/aws/lambda", "/aws/vendedlogs/states", "/aws/kinesisfirehose"]
    assert "${var.name_prefix}-*" in grants
    for (module, name), path in zip(names.items(), granted, strict=True):
        assert name.startswith(f"{path}/"), (module, name)
    assert "${var.name_prefix}-" in unquote(modules()["processors"].locals["function_names"])
    assert unquote(modules()["workflows"].locals["state_machine_name"]).startswith("${var.name_prefix}-")
    stack = modules()["region_stack"]
    assert unquote(stack.locals["s3_archive_stream_name"]) == "${var.name_prefix}-events-archive"
    assert stack.module_calls["s3_archive"]["stream_name"] == "${local.s3_archive_stream_name}"


def test_the_bootstrap_state_key_is_module_kms_moved_not_replaced() -> None:
    bootstrap = Module("bootstrap", TERRAFORM / "bootstrap")
    moved = {item["from"]: item["to"] for doc in bootstrap.docs.values() for item in doc.get("moved", [])}

    assert bootstrap.module_calls["state_key"]["source"] == '"../modules/kms"'
    # Only the account's IAM policies (the CI roles) use the state key.
    assert "service_grants" not in bootstrap.module_calls["state_key"]
    assert bootstrap.resources("aws_kms_key") == bootstrap.resources("aws_kms_alias") == []
    assert moved == {
        "${aws_kms_key.state}": "${module.state_key.aws_kms_key.this}",
        "${aws_kms_alias.state}": "${module.state_key.aws_kms_alias.this}",
    }
