"""[s3_archive]: defaults, Firehose's limits, and agreement with the rules that target s3-archive."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tooling.config import ConfigError, parse_config
from tooling.deploy.tfvars import build_tfvars

REPO = Path(__file__).resolve().parents[2]
DEV = tomllib.loads((REPO / "environments" / "dev.toml").read_text())


def _with(**archive: Any) -> dict[str, Any]:
    data = copy.deepcopy(DEV)
    data["s3_archive"] = {**data["s3_archive"], **archive}
    return data


def _without_archive_target(data: dict[str, Any]) -> dict[str, Any]:
    for rule in data["rules"]:
        rule["targets"] = [t for t in rule["targets"] if t["target"] != "s3-archive"]
    return data


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data, source="dev.toml")
    return info.value.problems


def test_both_environments_archive_all_events_with_their_own_settings() -> None:
    dev = parse_config(DEV)
    prod = parse_config(tomllib.loads((REPO / "environments" / "prod.toml").read_text()))

    assert dev.s3_archive.enabled and prod.s3_archive.enabled
    assert (dev.s3_archive.buffer_interval_seconds, prod.s3_archive.buffer_interval_seconds) == (60, 300)
    assert (dev.s3_archive.expiration_days, prod.s3_archive.expiration_days) == (None, 2555)
    assert "s3-archive" in [t.target for t in prod.rule("all-events").targets]


def test_a_buffer_below_the_dynamic_partitioning_minimum_is_refused_in_one_line() -> None:
    [problem] = _problems(_with(buffer_size_mb=32))

    assert problem.startswith("s3_archive.buffer_size_mb: 32 is below 64")
    assert "set 64 to 128" in problem


def test_a_target_on_a_disabled_archive_is_refused() -> None:
    [problem] = _problems(_with(enabled=False))

    assert problem.startswith("rules[3].targets: target 's3-archive' needs [s3_archive] enabled = true")


def test_an_enabled_archive_without_a_rule_is_valid_and_not_created() -> None:
    config = parse_config(_without_archive_target(copy.deepcopy(DEV)))

    assert config.s3_archive.enabled and not config.creates_s3_archive


def test_a_disabled_archive_without_a_rule_is_fine_and_reaches_terraform_as_not_created() -> None:
    data = _without_archive_target(_with(enabled=False))

    config = parse_config(data)
    tfvars = build_tfvars(config, name_suffix="abc123", zip_path=Path("/x.zip"), zip_sha256_b64="c2hh")

    assert tfvars["create_s3_archive"] is False


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"expiration_days": 10, "transition_days": 30},
            "expiration_days (10) must be greater than transition_days",
        ),
        ({"storage_class": "STANDARD_IA", "transition_days": 7}, "must be at least 30 for STANDARD_IA"),
        ({"storage_class": "REDUCED_REDUNDANCY"}, "s3_archive.storage_class: Input should be"),
        (
            {"buffer_interval_seconds": 901},
            "s3_archive.buffer_interval_seconds: Input should be less than or equal",
        ),
        ({"buffer_size_mb": 129}, "s3_archive.buffer_size_mb: Input should be less than or equal to 128"),
    ],
)
def test_settings_s3_and_firehose_refuse_are_refused(settings: dict[str, Any], expected: str) -> None:
    problems = _problems(_with(**settings))

    assert any(expected in p for p in problems), problems


def test_tfvars_carry_the_section_as_terraform_reads_it() -> None:
    tfvars = build_tfvars(
        parse_config(DEV), name_suffix="abc123", zip_path=Path("/x.zip"), zip_sha256_b64="c2hh"
    )

    assert tfvars["create_s3_archive"] is True
    assert tfvars["s3_archive"] == {
        "buffer_size_mb": 64,
        "buffer_interval_seconds": 60,
        "transition_days": 30,
        "storage_class": "GLACIER_IR",
        "expiration_days": None,
    }
