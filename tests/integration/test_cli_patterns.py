"""`tooling test-pattern` and `tooling route` through the CLI: exit codes, stdout JSON, clean errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tooling.cli import errors
from tooling.cli.app import app
from tooling.errors import UsageError

runner = CliRunner()

ORDER = {
    "source": "ecommerce.orders",
    "detail-type": "Order Created",
    "detail": {"orderId": "o-1", "customerId": "c-9", "totalAmount": 1500, "currency": "USD"},
}
CONFIG = """
project = "shop"
environment = "dev"
region = "eu-west-1"

[[rules]]
name = "orders"
pattern = { source = ["ecommerce.orders"] }
[[rules.targets]]
target = "processor"

[[rules]]
name = "high-value"
pattern = { source = ["ecommerce.orders"], detail = { totalAmount = [{ numeric = [">", 1000] }] } }
[[rules.targets]]
target = "notifications"
id = "notify"
[rules.targets.input_transformer]
input_paths = { orderId = "$.detail.orderId", amount = "$.detail.totalAmount" }
input_template = '{"text": "Order <orderId>: <amount>", "amount": <amount>, "rule": <aws.events.rule-name>}'

[[rules]]
name = "paused"
enabled = false
pattern = { source = ["ecommerce.orders"] }
[[rules.targets]]
target = "analytics"
"""


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOOLING_ROOT", str(tmp_path))
    path = tmp_path / "shop.toml"
    path.write_text(CONFIG)
    return path


def test_matching_event_exits_0() -> None:
    result = runner.invoke(
        app, ["test-pattern", "--pattern", '{"source": ["a"]}', "--event", '{"source": "a"}']
    )

    assert result.exit_code == 0
    assert result.stdout.strip() == "match"


def test_non_matching_event_exits_1_with_json() -> None:
    args = ["test-pattern", "--pattern", '{"source": ["a"]}', "--event", '{"source": "b"}', "--json"]
    result = runner.invoke(app, args)

    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"match": False}


def test_invalid_pattern_exits_2_with_aws_message_on_stderr() -> None:
    result = runner.invoke(app, ["test-pattern", "--pattern", '{"source": "a"}', "--event", "{}"])

    assert result.exit_code == 2
    assert (
        result.stderr.strip() == 'Event pattern is not valid. Reason: "source" must be an object or an array'
    )
    assert result.stdout == ""


def test_pattern_and_event_from_files(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text('{"detail": {"totalAmount": [{"numeric": [">=", 1500]}]}}')
    (tmp_path / "e.json").write_text(json.dumps(ORDER))
    args = [
        "test-pattern",
        "--pattern",
        f"@{tmp_path / 'p.json'}",
        "--event",
        f"@{tmp_path / 'e.json'}",
        "--json",
    ]
    result = runner.invoke(app, args)

    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"match": True}


def test_cases_file_prints_one_line_per_case_in_order(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    lines = [
        {"pattern": {"source": ["a"]}, "event": {"source": "a"}},
        {"pattern": {"source": ["a"]}, "event": {"source": "b"}},
        {"pattern": {"source": []}, "event": {"source": "a"}},
        {"pattern": '{"n": [{"numeric": [">", 1]}]}', "event": {"n": 2}},
        {"pattern": {"source": ["a"]}, "event": "not an object"},
    ]
    cases.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    result = runner.invoke(app, ["test-pattern", "--cases", str(cases)])

    assert result.exit_code == 2  # every line answered; two cases were invalid
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"match": True},
        {"match": False},
        {"error": "Event pattern is not valid. Reason: Empty arrays are not allowed"},
        {"match": True},
        {"error": "Parameter Event is not valid."},
    ]


def test_malformed_event_json_is_a_usage_error_naming_the_fix() -> None:
    result = runner.invoke(app, ["test-pattern", "--pattern", '{"a": ["b"]}', "--event", "{not json"])

    assert isinstance(result.exception, UsageError)
    assert "the event is not valid JSON" in result.exception.message
    assert errors.handle(result.exception, debug=False) == 2


def test_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["test-pattern", "--pattern", f"@{tmp_path / 'nope.json'}", "--event", "{}"])

    assert isinstance(result.exception, UsageError)
    assert "(given for the pattern)" in result.exception.message


def test_usage_error_prints_one_line_and_hint_without_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tooling", "test-pattern", "--pattern", "{}", "--event", "[1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert proc.returncode == 2
    assert proc.stderr.startswith("error: the event is not valid JSON")
    assert "hint:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_route_lists_matching_rules_and_transformed_payloads(config_file: Path) -> None:
    args = ["route", "--config", str(config_file), "--event", json.dumps(ORDER), "--json"]
    result = runner.invoke(app, args)

    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert [m["rule"] for m in out["matches"]] == ["orders", "high-value"]
    assert out["disabled_rules"] == ["paused"]
    orders, high = out["matches"]
    assert orders["targets"][0]["target"] == "processor"
    assert json.loads(orders["targets"][0]["payload"]) == out["event"]
    assert high["rule_arn"].startswith("arn:aws:events:eu-west-1:000000000000:rule/shop-dev-")
    notify = high["targets"][0]
    assert (notify["target"], notify["target_id"]) == ("notifications", "notify")
    assert json.loads(notify["payload"]) == {
        "text": "Order o-1: 1500",
        "amount": 1500,
        "rule": high["rule_arn"].rsplit("/", 1)[1],
    }


def test_route_fills_the_envelope_of_a_partial_event(config_file: Path) -> None:
    result = runner.invoke(
        app, ["route", "--config", str(config_file), "--event", json.dumps(ORDER), "--json"]
    )

    event = json.loads(result.stdout)["event"]
    assert event["region"] == "eu-west-1"
    assert event["version"] == "0"
    assert event["resources"] == []
    assert len(event["id"]) == 36
    assert event["time"].endswith("Z")
    assert event["detail"] == ORDER["detail"]


def test_route_with_no_matching_rule_exits_1(config_file: Path) -> None:
    event = json.dumps({"source": "ecommerce.users"})
    result = runner.invoke(app, ["route", "--config", str(config_file), "--event", event, "--json"])

    assert result.exit_code == 1
    assert json.loads(result.stdout)["matches"] == []


def test_route_text_output_names_rules_and_targets(config_file: Path) -> None:
    result = runner.invoke(app, ["route", "--config", str(config_file), "--event", json.dumps(ORDER)])

    assert result.exit_code == 0
    assert "rule high-value" in result.stdout
    assert '-> notifications (notify): {"text": "Order o-1: 1500"' in result.stdout
