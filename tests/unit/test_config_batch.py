"""[batch_processor], [event_store] and [functions.batch-processor]: defaults, limits and the checks AWS
would otherwise make at apply time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tooling.config import load_config, parse_config
from tooling.deploy.tfvars import build_tfvars
from tooling.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def dev(**changes: Any) -> dict[str, Any]:
    data = load_config(REPO / "environments" / "dev.toml").model_dump(by_alias=True)
    for section, values in changes.items():
        data.setdefault(section, {}).update(values)
    return data


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(data)
    return list(raised.value.problems)


def test_both_environment_files_turn_the_consumer_and_the_store_on() -> None:
    dev_config = load_config(REPO / "environments" / "dev.toml")
    prod_config = load_config(REPO / "environments" / "prod.toml")

    assert (dev_config.batch_processor.batching_window_seconds, dev_config.event_store.ttl_days) == (5, 90)
    assert (prod_config.batch_processor.batching_window_seconds, prod_config.event_store.ttl_days) == (
        30,
        365,
    )
    assert "batch-processor" in dict(dev_config.deployed_functions())


def test_the_store_without_its_consumer_is_refused() -> None:
    found = problems(dev(batch_processor={"enabled": False}))

    assert found == [
        "event_store.enabled: the event store is written by the batch processor, which is disabled; "
        "enable [batch_processor] or set event_store.enabled = false"
    ]


def test_a_batch_over_ten_needs_a_batching_window() -> None:
    found = problems(dev(batch_processor={"batch_size": 100, "batching_window_seconds": 0}))

    assert len(found) == 1 and found[0].startswith(
        "batch_processor.batching_window_seconds: a batch_size over 10"
    )


def test_a_consumer_timeout_over_the_visibility_timeout_is_refused() -> None:
    data = dev()
    data["functions"]["batch-processor"]["timeout_seconds"] = 301

    found = problems(data)

    assert found == [
        "functions.batch-processor.timeout_seconds: 301 is longer than the batch queue's visibility timeout "
        "(300 s), which Lambda refuses for an SQS event source; use at most 300"
    ]


@pytest.mark.parametrize(
    ("section", "values", "where"),
    [
        ("batch_processor", {"batch_size": 0}, "batch_processor.batch_size"),
        ("batch_processor", {"batch_size": 10001}, "batch_processor.batch_size"),
        ("batch_processor", {"batching_window_seconds": 301}, "batch_processor.batching_window_seconds"),
        ("event_store", {"ttl_days": 0}, "event_store.ttl_days"),
        ("event_store", {"point_in_time_recovery": "yes"}, "event_store.point_in_time_recovery"),
    ],
)
def test_values_out_of_range_name_their_setting(section: str, values: dict[str, Any], where: str) -> None:
    found = problems(dev(**{section: values}))

    assert [p.split(":")[0] for p in found] == [where]


def test_a_disabled_consumer_leaves_the_function_out_of_the_tfvars() -> None:
    config = parse_config(dev(batch_processor={"enabled": False}, event_store={"enabled": False}))

    tfvars = build_tfvars(
        config, name_suffix="abc123", zip_path=Path("z.zip"), zip_sha256_b64="x", schemas={}
    )

    assert sorted(tfvars["functions"]) == ["analytics", "notifier", "processor"]
    assert tfvars["batch_processor"]["enabled"] is False and tfvars["event_store"]["enabled"] is False


def test_the_toml_name_of_the_function_section_is_the_only_one() -> None:
    data = dev()
    data["functions"]["batch_processor"] = data["functions"].pop("batch-processor")

    assert problems(data) == [
        "functions.batch_processor: unknown setting (check its spelling against the configuration reference "
        "in docs/configuration.md)"
    ]
