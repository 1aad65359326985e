"""Input transformers: the exact text a target receives, after the EventBridge documentation's examples."""

from __future__ import annotations

import json
from typing import Any

from tooling.patterns.transform import apply_input_transformer, select

EVENT: dict[str, Any] = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "count": 3, "tags": {"env": "dev"}},
}
PATHS = {"instance": "$.detail.instance-id", "state": "$.detail.state"}


def test_without_transformer_the_target_gets_the_event_as_compact_json() -> None:
    payload = apply_input_transformer(EVENT, None, None)
    assert json.loads(payload) == EVENT
    assert ", " not in payload.split('"detail"')[0]


def test_json_template_quotes_strings_outside_quotes() -> None:
    template = '{"instance": <instance>, "state": [9, <state>, true], "Transformed": "Yes"}'
    payload = apply_input_transformer(EVENT, PATHS, template)
    assert payload == '{"instance": "i-0123456789", "state": [9, "RUNNING", true], "Transformed": "Yes"}'


def test_placeholders_inside_json_strings_are_inserted_as_text() -> None:
    template = '{"message": "instance <instance> is in <state>"}'
    assert (
        apply_input_transformer(EVENT, PATHS, template)
        == '{"message": "instance i-0123456789 is in RUNNING"}'
    )


def test_string_template_keeps_its_quotes() -> None:
    payload = apply_input_transformer(EVENT, PATHS, '"<instance> is in state <state>"')
    assert payload == '"i-0123456789 is in state RUNNING"'


def test_escaped_quotes_in_a_string_template_stay_inside_the_string() -> None:
    payload = apply_input_transformer(EVENT, PATHS, '"<instance> is in state \\"<state>\\""')
    assert payload == '"i-0123456789 is in state \\"RUNNING\\""'


def test_numbers_and_objects_keep_their_json() -> None:
    paths = {"count": "$.detail.count", "tags": "$.detail.tags"}
    payload = apply_input_transformer(EVENT, paths, '{"n": <count>, "t": <tags>, "s": "<tags>"}')
    assert json.loads(payload) == {"n": 3, "t": {"env": "dev"}, "s": '{"env":"dev"}'}


def test_values_with_quotes_are_escaped_inside_strings() -> None:
    event = {"detail": {"note": 'say "hi"'}}
    payload = apply_input_transformer(event, {"note": "$.detail.note"}, '{"text": "<note>", "raw": <note>}')
    assert json.loads(payload) == {"text": 'say "hi"', "raw": 'say "hi"'}


def test_missing_path_gives_null_in_json_and_empty_text_in_strings() -> None:
    paths = {"gone": "$.detail.missing"}
    assert apply_input_transformer(EVENT, paths, '{"v": <gone>, "s": "x<gone>y"}') == '{"v": null, "s": "xy"}'


def test_reserved_variables() -> None:
    template = (
        '{"arn": <aws.events.rule-arn>, "name": "<aws.events.rule-name>", '
        '"at": <aws.events.event.ingestion-time>, "event": <aws.events.event>, '
        '"full": <aws.events.event.json>}'
    )
    payload = apply_input_transformer(
        EVENT,
        None,
        template,
        rule_arn="arn:aws:events:us-east-1:1:rule/b/r",
        rule_name="r",
        ingestion_time="T",
    )
    data = json.loads(payload)
    assert data["arn"] == "arn:aws:events:us-east-1:1:rule/b/r"
    assert data["name"] == "r"
    assert data["at"] == "T"
    assert "detail" not in data["event"] and data["event"]["id"] == EVENT["id"]
    assert data["full"] == EVENT


def test_ingestion_time_defaults_to_the_event_time() -> None:
    assert (
        apply_input_transformer(EVENT, None, '"<aws.events.event.ingestion-time>"')
        == '"2015-11-11T21:29:54Z"'
    )


def test_unknown_placeholders_are_left_alone() -> None:
    assert apply_input_transformer(EVENT, PATHS, '"<nothing> <state>"') == '"<nothing> RUNNING"'


def test_plain_text_template_inserts_strings_bare() -> None:
    assert (
        apply_input_transformer(EVENT, PATHS, "Instance <instance> is <state>")
        == "Instance i-0123456789 is RUNNING"
    )


def test_json_paths_whole_event_indexes_and_wildcards() -> None:
    event = {"detail": {"items": [{"sku": "A"}, {"sku": "B"}]}}
    assert select(event, "$") == event
    assert select(event, "$.detail.items[1].sku") == "B"
    assert select(event, "$.detail.items[*].sku") == ["A", "B"]
    assert (
        apply_input_transformer(event, {"s": "$.detail.items[*].sku"}, '{"skus": <s>}')
        == '{"skus": ["A","B"]}'
    )
