"""[forwarding]: the default-bus rule's settings, validated, and what Terraform and the local target get."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tooling.config import parse_config
from tooling.deploy.tfvars import build_tfvars
from tooling.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
DEV = tomllib.loads((REPO / "environments" / "dev.toml").read_text())


def _with(forwarding: dict[str, Any] | None) -> dict[str, Any]:
    data = copy.deepcopy(DEV)
    data.pop("forwarding", None)
    if forwarding is not None:
        data["forwarding"] = forwarding
    return data


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return list(info.value.problems)


def test_forwarding_is_on_by_default_for_ec2_and_health_events() -> None:
    config = parse_config(_with(None))

    assert config.forwarding.enabled
    assert config.forwarding.pattern == {"source": ["aws.ec2", "aws.health"]}


def test_detail_types_narrow_the_forwarding_pattern() -> None:
    config = parse_config(
        _with({"sources": ["aws.ec2"], "detail_types": ["EC2 Instance State-change Notification"]})
    )

    assert config.forwarding.pattern == {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
    }


def test_a_source_that_is_not_an_aws_service_is_refused_with_its_path() -> None:
    [problem] = _problems(_with({"sources": ["aws.ec2", "ecommerce.orders"]}))

    assert problem.startswith("forwarding.sources: 'ecommerce.orders' is not an AWS service source")


def test_enabled_forwarding_without_sources_is_refused() -> None:
    [problem] = _problems(_with({"enabled": True, "sources": []}))

    assert problem.startswith("forwarding: sources is empty while forwarding is enabled")


def test_disabled_forwarding_needs_no_sources_and_terraform_creates_nothing() -> None:
    config = parse_config(_with({"enabled": False, "sources": []}))

    tfvars = build_tfvars(
        config, name_suffix="abc123", zip_path=Path("/x.zip"), zip_sha256_b64="x", schemas={}
    )

    assert tfvars["forwarding"] == {"enabled": False, "sources": [], "detail_types": []}


def test_routing_rules_may_match_the_forwarded_aws_sources() -> None:
    config = parse_config(DEV)

    assert config.rule("aws-service-events").pattern == {"source": ["aws.ec2", "aws.health"]}
    assert [t.target for t in config.rule("aws-service-events").targets] == ["analytics"]


def test_unknown_forwarding_setting_is_refused() -> None:
    [problem] = _problems(_with({"sources": ["aws.ec2"], "source": ["aws.ec2"]}))

    assert problem.startswith("forwarding.source: unknown setting")
