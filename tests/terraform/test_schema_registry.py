"""Schema registry: one JSONSchemaDraft4 schema per file of schemas/, passed in by the tooling; a toggle for
the registry and a guarded one for discovery (which AWS refuses on a bus with a customer-managed key)."""

from __future__ import annotations

import re
from pathlib import Path

from terraform_hcl import REPO, modules

from tooling.config import load_config
from tooling.deploy.tfvars import build_tfvars
from tooling.publish.schemas import load_schemas


def test_registry_and_schemas_exist_only_when_create_registry() -> None:
    registry = modules()["schema_registry"]

    assert registry.resource("aws_schemas_registry", "this").body["count"] == "${var.create_registry ? 1 : 0}"
    assert registry.resource("aws_schemas_schema", "this").body["for_each"] == (
        "${var.create_registry ? var.schemas : {}}"
    )


def test_each_schema_is_a_draft4_document_from_the_variable() -> None:
    schema = modules()["schema_registry"].resource("aws_schemas_schema", "this").body

    assert schema["type"] == '"JSONSchemaDraft4"'
    assert schema["content"] == "${each.value}"
    assert schema["name"] == "${each.key}"
    assert schema["registry_name"] == "${aws_schemas_registry.this[0].name}"


def test_discoverer_is_off_by_default_and_refused_on_a_bus_with_a_customer_managed_key() -> None:
    registry, stack = modules()["schema_registry"], modules()["region_stack"]
    discoverer = registry.resource("aws_schemas_discoverer", "this").body
    (precondition,) = discoverer["lifecycle"][0]["precondition"]

    assert discoverer["count"] == "${var.create_discoverer ? 1 : 0}"
    assert registry.variables["create_discoverer"]["default"] is False
    assert precondition["condition"] == "${var.event_bus_kms_key_arn == null}"
    assert stack.module_calls["schema_registry"]["event_bus_kms_key_arn"] == "${module.messaging.kms_key_arn}"


def test_the_primary_alone_creates_the_registry_from_the_schema_settings() -> None:
    call = modules()["region_stack"].module_calls["schema_registry"]

    assert call["schemas"] == "${var.primary ? var.schemas : {}}"
    assert call["create_registry"] == "${var.primary && var.schema_registry.registry}"
    assert call["create_discoverer"] == "${var.primary && var.schema_registry.discoverer}"
    assert call["event_bus_arn"] == "${module.event_bus.arn}"
    assert modules()["root"].module_calls["secondary"]["primary"] is False


def test_tfvars_carry_one_schema_per_file_under_names_terraform_accepts() -> None:
    tfvars = build_tfvars(
        load_config(REPO / "environments" / "dev.toml"),
        name_suffix="abc123",
        zip_path=Path("/x/lambda.zip"),
        zip_sha256_b64="c2hhMjU2",
    )
    (name_rule,) = [
        v["condition"]
        for v in modules()["root"].variables["schemas"]["validation"]
        if "regex" in v["condition"]
    ]
    pattern = re.search(r'regex\("([^"]+)"', name_rule)

    assert pattern is not None
    assert set(tfvars["schemas"]) == {s.name for s in load_schemas().values()}
    assert all(re.match(pattern.group(1), name) for name in tfvars["schemas"])
    assert tfvars["schema_registry"] == {"registry": True, "discoverer": False}
