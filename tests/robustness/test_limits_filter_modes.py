"""Filters that are not event-bus patterns: a Lambda event source mapping filter and an EventBridge Pipes
filter take fewer operators (tooling/patterns/modes.py), and `config validate` refuses, for the batch
consumer's filter, what Lambda would refuse when the mapping is created; the valid filter reaches Terraform."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tooling.config import parse_config
from tooling.deploy.tfvars import build_tfvars
from tooling.errors import ConfigError
from tooling.patterns import check_pattern
from tooling.patterns.modes import check_mode
from tooling.patterns.operators import uses

REPO = Path(__file__).resolve().parents[2]
DEV = tomllib.loads((REPO / "environments" / "dev.toml").read_text())

EVERY_OPERATOR = {
    "a": ["x", None, 5, True],
    "b": [{"prefix": "p"}, {"suffix": "s"}, {"equals-ignore-case": "e"}],
    "c": [{"prefix": {"equals-ignore-case": "p"}}, {"suffix": {"equals-ignore-case": "s"}}],
    "d": [{"wildcard": "w*"}, {"cidr": "10.0.0.0/8"}, {"numeric": [">", 1]}, {"exists": True}],
    "e": [{"anything-but": ["x"]}, {"anything-but": {"prefix": "p"}}, {"anything-but": {"suffix": "s"}}],
    "f": [{"anything-but": {"equals-ignore-case": "i"}}, {"anything-but": {"wildcard": "*w"}}],
    "$or": [{"g": ["1"]}, {"h": ["2"]}],
}


def test_the_walk_names_every_operator_once_per_use() -> None:
    assert check_pattern(EVERY_OPERATOR) is None
    operators = [use.operator for use in uses(EVERY_OPERATOR)]

    assert operators == [
        "exact", "exact", "exact", "exact", "prefix", "suffix", "equals-ignore-case", "prefix-equals-ignore-case",
        "suffix-equals-ignore-case", "wildcard", "cidr", "numeric", "exists", "anything-but", "anything-but-prefix",
        "anything-but-suffix", "anything-but-equals-ignore-case", "anything-but-wildcard", "$or", "exact", "exact",
    ]  # fmt: skip


def test_an_event_bus_rule_takes_every_operator() -> None:
    assert check_mode(EVERY_OPERATOR, "event-bus") == []


def test_pipes_refuse_the_anything_but_forms_the_operators_table_marks_no() -> None:
    assert check_mode(EVERY_OPERATOR, "pipes") == [
        "e: anything-but-prefix is not supported in an EventBridge Pipes filter",
        "e: anything-but-suffix is not supported in an EventBridge Pipes filter",
        "f: anything-but-equals-ignore-case is not supported in an EventBridge Pipes filter",
        "f: anything-but-wildcard is not supported in an EventBridge Pipes filter",
    ]


def test_a_lambda_filter_takes_only_the_lambda_operators() -> None:
    refused = {
        line.split(": ", 1)[1].split(" is ")[0]
        for line in check_mode(EVERY_OPERATOR, "lambda-event-source-mapping")
    }

    assert refused == {
        "prefix-equals-ignore-case", "suffix-equals-ignore-case", "wildcard", "cidr", "anything-but-prefix",
        "anything-but-suffix", "anything-but-equals-ignore-case", "anything-but-wildcard",
    }  # fmt: skip


def test_a_nested_or_is_walked_into() -> None:
    pattern = {"body": {"$or": [{"a": [{"wildcard": "x*"}]}, {"b": ["y"]}]}}

    assert check_mode(pattern, "lambda-event-source-mapping") == [
        "body.a: wildcard is not supported in a Lambda event source mapping filter"
    ]


# -- the batch consumer's filter in the config ------------------------------------------------------------


def with_filter(filter_pattern: Any) -> dict[str, Any]:
    data = copy.deepcopy(DEV)
    data["batch_processor"] = {**data.get("batch_processor", {}), "filter_pattern": filter_pattern}
    return data


def refused(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(data, "dev.toml")
    return list(error.value.problems)


def test_a_valid_filter_reaches_the_event_source_mapping_as_json_text() -> None:
    config = parse_config(
        with_filter(
            {
                "body": {
                    "detail-type": ["Order Created"],
                    "detail": {"currency": [{"equals-ignore-case": "eur"}]},
                }
            }
        )
    )

    tfvars = build_tfvars(config, name_suffix="abc123", zip_path=Path("/z.zip"), zip_sha256_b64="x")

    batch = tfvars["batch_processor"]
    assert isinstance(batch, dict)
    assert batch["filter_pattern"] == (
        '{"body":{"detail-type":["Order Created"],"detail":{"currency":[{"equals-ignore-case":"eur"}]}}}'
    )


def test_a_filter_given_as_json_text_is_read_like_a_pattern() -> None:
    config = parse_config(with_filter('{"body": {"detail": {"coupon": [null]}}}'))

    assert config.batch_processor.filter_pattern_json == '{"body":{"detail":{"coupon":[null]}}}'


def test_operators_lambda_does_not_take_are_refused_one_line_each() -> None:
    problems = refused(
        with_filter(
            {
                "body": {
                    "source": [{"wildcard": "ecommerce.*"}],
                    "detail": {"id": [{"anything-but": {"prefix": "t-"}}]},
                }
            }
        )
    )

    assert [p.split(" (a Lambda filter takes")[0] for p in problems] == [
        "batch_processor.filter_pattern.body.source: wildcard is not supported in a Lambda event source mapping filter",
        "batch_processor.filter_pattern.body.detail.id: anything-but-prefix is not supported in a Lambda event "
        "source mapping filter",
    ]


def test_a_filter_on_event_fields_outside_body_is_refused_with_where_the_event_is() -> None:
    [problem] = refused(with_filter({"detail-type": ["Order Created"]}))

    assert problem.startswith("batch_processor.filter_pattern: 'detail-type' is not a field of an SQS record")
    assert 'the event is under "body"' in problem


def test_an_invalid_filter_gets_aws_message() -> None:
    [problem] = refused(with_filter({"body": {"a": []}}))

    assert (
        problem
        == "batch_processor.filter_pattern: Event pattern is not valid. Reason: Empty arrays are not allowed"
    )


def test_without_a_filter_terraform_gets_null() -> None:
    config = parse_config(copy.deepcopy(DEV))

    tfvars = build_tfvars(config, name_suffix="abc123", zip_path=Path("/z.zip"), zip_sha256_b64="x")

    assert json.loads(json.dumps(tfvars))["batch_processor"]["filter_pattern"] is None


# -- the local target's mapping filters as Lambda does ------------------------------------------------------


@pytest.mark.slow
def test_the_local_mapping_invokes_only_what_the_filter_matches_and_deletes_the_rest(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tooling import local
    from tooling.deploy import pipeline as deploy
    from tooling.local import event_source
    from tooling.local.store import Store
    from tooling.workspace import Workspace

    toml = project_copy / "environments" / "dev.toml"
    text = toml.read_text()
    assert "\n[batch_processor]\n" in text
    toml.write_text(
        text.replace(
            "\n[batch_processor]\n",
            '\n[batch_processor]\nfilter_pattern = \'{"body": {"detail-type": ["Order Created"]}}\'\n',
        )
    )
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    workspace = Workspace.for_env("dev")
    outputs = local.apply_local(deploy.prepare(workspace))
    bus = local.open_local_bus(workspace, outputs)
    [order, user] = bus.put_events([
        {"Source": "ecommerce.orders", "DetailType": "Order Created", "Detail": '{"orderId": "o-1"}'},
        {"Source": "ecommerce.users", "DetailType": "User Registered", "Detail": '{"userId": "u-1"}'},
    ])  # fmt: skip

    store = Store.open(workspace)
    try:
        queued = event_source.poll(store, flush=True)
        payloads = [
            json.loads(r["payload"])
            for r in store.query("SELECT payload FROM deliveries WHERE source = 'sqs'")
        ]
        left = [
            json.loads(r["body"])["id"]
            for r in store.query("SELECT body FROM messages WHERE queue_url = ?", (outputs.batch_queue_url,))
        ]
    finally:
        store.close()

    assert queued == 1
    [[record]] = [p["Records"] for p in payloads]
    assert json.loads(record["body"])["id"] == order["EventId"]
    assert left == [order["EventId"]]  # in flight; the user event was deleted, never invoked
    assert user["EventId"] not in left
