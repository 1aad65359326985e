"""Typed inputs: every variable has a type and a description, nothing is `any`, and the root variables are
exactly the keys `tooling tfvars` writes."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from terraform_hcl import MODULE_NAMES, REPO, modules, unquote

from tooling.config import load_config
from tooling.deploy.tfvars import build_tfvars

ENVIRONMENTS = sorted((REPO / "environments").glob("*.toml"))


def _all_variables() -> list[Any]:
    return [
        pytest.param(module.name, name, body, id=f"{module.name}.{name}")
        for module in modules().values()
        for name, body in module.variables.items()
    ]


@pytest.mark.parametrize(("module", "name", "body"), _all_variables())
def test_variable_has_type_and_description(module: str, name: str, body: dict[str, object]) -> None:
    assert "type" in body, f"{module}: variable {name} has no type"
    assert str(unquote(body.get("description", ""))).strip(), f"{module}: variable {name} has no description"


@pytest.mark.parametrize(("module", "name", "body"), _all_variables())
def test_variable_type_is_never_any(module: str, name: str, body: dict[str, object]) -> None:
    assert not re.search(r"\bany\b", str(body["type"])), f"{module}: variable {name} is typed with any"


@pytest.mark.parametrize("env_file", ENVIRONMENTS, ids=lambda p: p.stem)
def test_root_variables_are_exactly_the_tfvars_keys(env_file: Path) -> None:
    tfvars = build_tfvars(
        load_config(env_file), name_suffix="abc123", zip_path=Path("/x/lambda.zip"), zip_sha256_b64="c2hhMjU2"
    )

    assert set(modules()["root"].variables) == set(tfvars)


def test_optional_root_variables_have_defaults_and_required_ones_do_not() -> None:
    variables = modules()["root"].variables

    with_default = {name for name, body in variables.items() if "default" in body}

    assert with_default == {
        "tags",
        "webhook_parameter",
        "notification_email",
        "alarm_email",
        "endpoints",
        "publisher_account_ids",
        "permissions_boundary_arn",
        "schemas",
        "schema_registry",
        "failover",
        "forwarding",
        "s3_archive",
        "batch_processor",
        "event_store",
    }


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_collections_are_not_nullable(name: str) -> None:
    for var_name, body in modules()[name].variables.items():
        type_ = str(body["type"])
        if type_.startswith(("${map(", "${list(", "${set(", "map(", "list(")):
            assert body.get("nullable") is False, f"{name}: {var_name} should set nullable = false"


SINGLE_REGEX = re.compile(r'^\$\{can\(regex\("(?P<pattern>(?:[^"\\]|\\.)*)", var\.(?P<name>\w+)\)\)\}$')


@pytest.mark.parametrize("env_file", ENVIRONMENTS, ids=lambda p: p.stem)
def test_generated_tfvars_pass_the_root_regex_validations(env_file: Path) -> None:
    digest = base64.b64encode(hashlib.sha256(b"lambda.zip").digest()).decode()
    tfvars = build_tfvars(
        load_config(env_file), name_suffix="abc123", zip_path=Path("/x/lambda.zip"), zip_sha256_b64=digest
    )
    checked = []

    for name, body in modules()["root"].variables.items():
        for validation in body.get("validation", []):
            match = SINGLE_REGEX.match(validation["condition"])
            if match:
                pattern = match["pattern"].encode().decode("unicode_escape")  # HCL string escapes
                assert re.search(pattern, tfvars[match["name"]]), (
                    f"{name}: {tfvars[match['name']]!r} !~ {pattern}"
                )
                checked.append(name)

    assert set(checked) >= {"project", "environment", "name_suffix", "region", "lambda_zip_sha256"}


# Lambda refuses a reservation that leaves fewer than 100 concurrent executions unreserved, and new accounts
# often start with a low quota: an environment file reserves at most this many, so a quota of 150 suffices.
MAX_RESERVED_CONCURRENCY = 50


@pytest.mark.parametrize("env_file", ENVIRONMENTS, ids=lambda p: p.stem)
def test_reserved_concurrency_leaves_quota_headroom(env_file: Path) -> None:
    tfvars = build_tfvars(
        load_config(env_file), name_suffix="abc123", zip_path=Path("/x/lambda.zip"), zip_sha256_b64="c2hhMjU2"
    )

    reserved = sum(f["reserved_concurrency"] or 0 for f in tfvars["functions"].values())

    assert reserved <= MAX_RESERVED_CONCURRENCY
