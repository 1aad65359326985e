"""Schema registry as the tooling and the root feed it: one schema per file of schemas/, under names the root
accepts. What the module computes (one JSONSchemaDraft4 schema per entry, the toggles, discovery refused on a
bus with a customer-managed key) is in modules/schema_registry/tests (terraform test)."""

from __future__ import annotations

import re
from pathlib import Path

from terraform_hcl import REPO, modules

from tooling.config import load_config
from tooling.deploy.tfvars import build_tfvars
from tooling.publish.schemas import load_schemas


def test_the_primary_alone_creates_the_registry_from_the_schema_settings() -> None:
    call = modules()["region_stack"].module_calls["schema_registry"]

    assert call["schemas"] == "${var.primary ? var.schemas : {}}"
    assert call["create_registry"] == "${var.primary && var.schema_registry.registry}"
    assert call["create_discoverer"] == "${var.primary && var.schema_registry.discoverer}"
    assert call["event_bus_arn"] == "${module.event_bus.arn}"
    # The module refuses discovery on a bus with a customer-managed key (modules/schema_registry/tests).
    assert call["event_bus_kms_key_arn"] == "${module.kms.key_arn}"
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
