"""tfvars: the rendered file for dev.toml is exactly the golden one; hostile strings survive unchanged."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tooling.config import load_config, parse_config
from tooling.deploy.tfvars import build_tfvars, render_backend, write_tfvars
from tooling.publish.schemas import load_schemas
from tooling.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "dev.tfvars.json"
HOSTILE = 'say "hi" ${var.x} %{ if true } \\n\nnewline \u00e9'


def _dev_tfvars() -> dict[str, object]:
    config = load_config(REPO / "environments" / "dev.toml")
    return build_tfvars(
        config, name_suffix="abc123", zip_path=Path("/repo/build/lambda.zip"), zip_sha256_b64="c2hhMjU2"
    )


def test_dev_tfvars_match_the_golden_file() -> None:
    rendered = json.dumps(_dev_tfvars(), indent=2, sort_keys=True) + "\n"

    assert rendered == GOLDEN.read_text()


def test_hostile_strings_survive_unchanged(tmp_path: Path) -> None:
    source = (REPO / "environments" / "dev.toml").read_text()
    source = source.replace('CostCenter = "engineering"', f"CostCenter = {json.dumps(HOSTILE)}")
    source = source.replace(
        'description = "Order lifecycle events to the order processor"',
        f"description = {json.dumps(HOSTILE)}",
    )
    env = tmp_path / "environments"
    env.mkdir()
    (env / "dev.toml").write_text(source)
    workspace = Workspace.for_env("dev", root=tmp_path)
    config = load_config(env / "dev.toml")

    path = write_tfvars(workspace, config, zip_path=tmp_path / "lambda.zip", zip_sha256_b64="x")

    data = json.loads(path.read_text())
    assert data["tags"]["CostCenter"] == HOSTILE
    assert data["rules"]["order-events"]["description"] == HOSTILE


def test_suffix_is_created_once_and_reused(tmp_path: Path) -> None:
    workspace = Workspace.for_env("dev", root=tmp_path)

    first = workspace.name_suffix()

    assert len(first) == 6
    assert Workspace.for_env("dev", root=tmp_path).name_suffix() == first
    assert (tmp_path / ".tooling" / "dev" / "suffix").read_text().strip() == first


def test_backend_is_rendered_as_escaped_hcl() -> None:
    data = tomllib.loads((REPO / "environments" / "dev.toml").read_text())
    data["terraform"] = {"backend": {"bucket": 'b"${x}', "key": "k", "region": "us-east-1"}}
    config = parse_config(data)

    text = render_backend(config)

    assert text is not None
    assert 'bucket       = "b\\"$${x}"' in text
    assert "use_lockfile = true" in text


@pytest.mark.parametrize("key", ["functions", "rules", "alarms", "lambda_zip_sha256", "name_suffix"])
def test_tfvars_carry_what_terraform_needs(key: str) -> None:
    assert key in _dev_tfvars()


def _tfvars_with(mutate: Any) -> dict[str, Any]:
    data = tomllib.loads((REPO / "environments" / "dev.toml").read_text())
    mutate(data)
    return build_tfvars(
        parse_config(data), name_suffix="abc123", zip_path=Path("/x/lambda.zip"), zip_sha256_b64="x"
    )


def test_every_schema_file_reaches_terraform_as_compact_json() -> None:
    schemas = _dev_tfvars()["schemas"]
    files = load_schemas()

    assert isinstance(schemas, dict)
    assert set(schemas) == {s.name for s in files.values()}
    for schema in files.values():
        assert json.loads(schemas[schema.name]) == schema.document
        assert "\n" not in schemas[schema.name]


def test_without_a_registry_no_schemas_are_passed() -> None:
    tfvars = _tfvars_with(lambda d: d.update(schemas={"registry": False}))

    assert tfvars["schemas"] == {}
    assert tfvars["schema_registry"] == {"registry": False, "discoverer": False}


def test_schemas_may_be_given_explicitly() -> None:
    config = load_config(REPO / "environments" / "dev.toml")

    tfvars = build_tfvars(
        config, name_suffix="abc123", zip_path=Path("/x.zip"), zip_sha256_b64="x", schemas={"a@B": "{}"}
    )

    assert tfvars["schemas"] == {"a@B": "{}"}


def test_failover_is_null_unless_configured_and_then_the_whole_section() -> None:
    assert _dev_tfvars()["failover"] is None

    tfvars = _tfvars_with(lambda d: d.update(failover={"secondary_region": "eu-west-1"}))

    # terraform/variables.tf `failover`: every key, the health alarm's defaults (AWS's template) included.
    assert tfvars["failover"] == {
        "secondary_region": "eu-west-1",
        "replication": True,
        "secondary_consumers": True,
        "health_alarm": {
            "metric": "IngestionToInvocationStartLatency",
            "statistic": "Average",
            "threshold": 30000,
            "period_seconds": 60,
            "evaluation_periods": 5,
            "treat_missing_data": "breaching",
        },
    }


def test_prod_routes_new_orders_to_the_workflow_target_with_its_threshold() -> None:
    config = load_config(REPO / "environments" / "prod.toml")

    data = build_tfvars(
        config, name_suffix="abc123", zip_path=Path("/x/lambda.zip"), zip_sha256_b64="c2hhMjU2"
    )

    rule = data["rules"]["order-fulfilment"]
    assert json.loads(rule["event_pattern"]) == {
        "source": ["ecommerce.orders"],
        "detail-type": ["Order Created"],
    }
    assert {key: t["target"] for key, t in rule["targets"].items()} == {"order-workflow": "order-workflow"}
    assert data["high_value_threshold"] == 1000


def test_alarm_email_is_its_own_variable_and_null_unless_configured() -> None:
    assert _dev_tfvars()["alarm_email"] is None

    tfvars = _tfvars_with(lambda d: d["alarms"].update(email="oncall@example.com"))

    assert tfvars["alarm_email"] == "oncall@example.com"
    assert "email" not in tfvars["alarms"]


def test_functions_carry_lambdas_async_retries_and_event_age_from_the_config() -> None:
    from tooling.workspace import project_root

    data = load_config(project_root() / "environments" / "dev.toml").model_dump()
    data["functions"]["notifier"].update(maximum_retry_attempts=0, maximum_event_age_seconds=120)
    config = parse_config(data)

    tfvars = build_tfvars(config, name_suffix="abc123", zip_path=Path("/x.zip"), zip_sha256_b64="x")

    assert tfvars["functions"]["notifier"]["maximum_retry_attempts"] == 0
    assert tfvars["functions"]["notifier"]["maximum_event_age_seconds"] == 120
    assert tfvars["functions"]["processor"]["maximum_retry_attempts"] == 2
