"""`config validate` refuses what AWS's quotas refuse (tooling.aws_limits, tooling.config_limits), each
refusal one line naming the rule or setting and the limit, and warns where AWS accepts but matching slows."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tooling.cli.app import app
from tooling.config import parse_config
from tooling.config_limits import limit_warnings
from tooling.deploy.tfvars import build_tfvars
from tooling.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
DEV = tomllib.loads((REPO / "environments" / "dev.toml").read_text())


def config_with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(DEV)
    data.update(changes)
    return data


def rule(name: str, pattern: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "pattern": pattern, "targets": [{"target": "analytics"}], **extra}


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        parse_config(data, "env.toml")
    return list(refused.value.problems)


# -- event pattern size ----------------------------------------------------------------------------------


def test_a_pattern_over_2048_characters_is_refused_and_2048_is_taken() -> None:
    base = {"source": ["ecommerce.orders"], "detail": {"sku": []}}
    empty = len(json.dumps(base, separators=(",", ":")))
    fits = copy.deepcopy(base)
    fits["detail"]["sku"] = ["x" * (2048 - empty - 2)]  # the quotes of the one value
    over = copy.deepcopy(fits)
    over["detail"]["sku"] = ["x" * (2048 - empty - 1)]

    parse_config(config_with(rules=[rule("long", fits)]))
    [problem] = problems(config_with(rules=[rule("long", over)]))

    assert problem.startswith(
        "rules[0].pattern: 2049 characters as sent to EventBridge, over its 2048-character"
    )
    assert "eb-quota.html" in problem


# -- rules per bus ---------------------------------------------------------------------------------------


def many_rules(count: int) -> list[dict[str, Any]]:
    return [rule(f"r{i}", {"source": [f"s{i}"]}) for i in range(count)]


def test_more_than_300_rules_on_the_bus_are_refused() -> None:
    parse_config(config_with(rules=many_rules(300)))

    [problem] = problems(config_with(rules=many_rules(301)))

    assert problem.startswith(
        "rules: 301 rules on the bus in us-east-1, over EventBridge's 300 rules per event bus"
    )


def test_af_south_1_allows_100_and_a_raised_quota_is_honoured() -> None:
    [problem] = problems(config_with(region="af-south-1", rules=many_rules(101)))
    assert "101 rules on the bus in af-south-1, over EventBridge's 100" in problem

    parse_config(config_with(region="af-south-1", rules=many_rules(101), quotas={"rules_per_bus": 500}))


def test_the_failover_secondary_region_counts_too() -> None:
    data = config_with(rules=many_rules(101), failover={"secondary_region": "eu-south-1"})

    [problem] = problems(data)

    assert "in eu-south-1, over EventBridge's 100" in problem


def test_more_than_30_rules_with_wildcards_are_refused() -> None:
    wild = [rule(f"w{i}", {"source": [{"wildcard": f"s{i}*"}]}) for i in range(30)]
    anything_but = rule("w30", {"source": [{"anything-but": {"wildcard": "x*"}}]})
    parse_config(config_with(rules=[*wild, rule("plain", {"source": [{"prefix": "s"}]})]))

    [problem] = problems(config_with(rules=[*wild, anything_but]))

    assert problem.startswith(
        "rules: 31 rules use wildcard patterns (w0, w1, w2, w3, w4, ...), over EventBridge's 30"
    )
    assert "not raise" in problem


def test_six_targets_are_refused_with_aws_limit() -> None:
    targets = [{"target": "analytics", "id": f"t{i}"} for i in range(6)]

    [problem] = problems(
        config_with(rules=[{"name": "fan", "pattern": {"source": ["x"]}, "targets": targets}])
    )

    assert problem.startswith(
        "rules[0].targets: has 6 targets; EventBridge allows at most 5 per rule (PutTargets"
    )


# -- state and schedules ---------------------------------------------------------------------------------


def test_the_cloudtrail_state_with_a_schedule_is_refused() -> None:
    data = config_with(
        rules=[rule("ct", {"source": ["aws.s3"]}, state="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
                    schedule_expression="rate(5 minutes)")]
    )  # fmt: skip

    [problem] = problems(data)

    assert problem.startswith(
        "rules[0]: state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS cannot be used with a schedule_expression"
    )


def test_a_schedule_alone_is_refused_with_where_schedules_belong() -> None:
    [problem] = problems(
        config_with(rules=[rule("cron", {"source": ["x"]}, schedule_expression="rate(1 hour)")])
    )

    assert "EventBridge Scheduler" in problem


def test_the_cloudtrail_state_reaches_terraform_and_decides_enabled() -> None:
    config = parse_config(
        config_with(rules=[
            rule("ct", {"source": ["aws.s3"]}, state="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"),
            rule("off", {"source": ["x"]}, state="DISABLED"),
            rule("on", {"source": ["y"]}),
        ])
    )  # fmt: skip

    tfvars = build_tfvars(config, name_suffix="abc123", zip_path=Path("/z.zip"), zip_sha256_b64="x")

    states = {name: (r["state"], r["enabled"]) for name, r in tfvars["rules"].items()}  # type: ignore[attr-defined]
    assert states == {
        "ct": ("ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", True),
        "off": ("DISABLED", False),
        "on": ("ENABLED", True),
    }


def test_state_and_enabled_together_are_refused() -> None:
    [problem] = problems(config_with(rules=[rule("both", {"source": ["x"]}, state="ENABLED", enabled=False)]))

    assert (
        problem == "rules[0]: set either enabled or state, not both (state ENABLED/DISABLED says it already)"
    )


# -- wildcard complexity: a warning -----------------------------------------------------------------------


def test_a_complex_wildcard_is_a_warning_not_a_refusal(tmp_path: Path) -> None:
    data = config_with(rules=[*DEV["rules"], rule("files", {"detail": {"path": [{"wildcard": "a*b*c*"}]}})])
    config = parse_config(data)

    [warning] = limit_warnings(config)

    assert warning.startswith(
        "rules[5].pattern.detail.path: wildcard complexity 6 (AWS refuses a rule above 10"
    )
    assert limit_warnings(parse_config(config_with(rules=[rule("f", {"p": [{"wildcard": "*.png"}]})]))) == []


def test_config_validate_prints_the_warning_and_lists_it_in_json(tmp_path: Path) -> None:
    import tomli_w

    data = config_with(rules=[*DEV["rules"], rule("files", {"detail": {"path": [{"wildcard": "a*b*c*"}]}})])
    path = tmp_path / "dev.toml"
    path.write_text(tomli_w.dumps(data))
    runner = CliRunner()

    shown = runner.invoke(app, ["config", "validate", "--env", "dev", "--config", str(path)])
    as_json = runner.invoke(app, ["config", "validate", "--env", "dev", "--config", str(path), "--json"])

    assert shown.exit_code == 0, shown.output
    assert "warning: rules[5].pattern.detail.path: wildcard complexity 6" in shown.stderr
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["warnings"][0].startswith(
        "rules[5].pattern.detail.path: wildcard complexity 6"
    )
