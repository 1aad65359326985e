"""`tooling events sample`: every kind is what its function receives, and valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tooling.config import load_config
from tooling.errors import UsageError
from tooling.patterns.transform import apply_input_transformer
from tooling.publish.samples import ENVELOPE_SAMPLES, EVENT_SAMPLES, sample_event
from tooling.publish.schemas import validate_detail

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", list(EVENT_SAMPLES))
def test_every_eventbridge_sample_is_a_complete_event_whose_detail_passes_its_schema(kind: str) -> None:
    event = sample_event(kind, seed=7)

    assert list(event) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert validate_detail(event["source"], event["detail-type"], event["detail"]) == []
    assert event["detail-type"] == EVENT_SAMPLES[kind][1]


def test_high_value_order_is_over_the_threshold_and_the_plain_order_under_it() -> None:
    threshold = load_config(REPO / "environments" / "dev.toml").processing.high_value_threshold

    assert sample_event("high-value-order")["detail"]["totalAmount"] > threshold
    assert sample_event("order-created")["detail"]["totalAmount"] <= threshold


def test_the_same_seed_gives_the_same_content() -> None:
    first, second = sample_event("payment", seed=3), sample_event("payment", seed=3)

    assert first["id"] == second["id"]
    assert first["detail"]["paymentId"] == second["detail"]["paymentId"]


def test_sns_high_value_order_carries_what_the_rules_input_transformer_publishes() -> None:
    config = load_config(REPO / "environments" / "dev.toml")
    rule = next(r for r in config.rules if r.name == "high-value-orders")
    transformer = next(t.input_transformer for t in rule.targets if t.input_transformer)

    envelope = sample_event("sns-high-value-order", seed=5)
    event = sample_event("high-value-order", seed=5, now=None)
    expected = apply_input_transformer(event, transformer.input_paths, transformer.input_template)

    record = envelope["Records"][0]
    assert record["EventSource"] == "aws:sns" and record["Sns"]["Type"] == "Notification"
    assert record["Sns"]["Message"] == expected


@pytest.mark.parametrize("kind", list(ENVELOPE_SAMPLES))
def test_envelopes_hold_one_record_of_their_service(kind: str) -> None:
    envelope = sample_event(kind, seed=1)

    (record,) = envelope["Records"]
    if kind.startswith("sqs"):
        assert record["eventSource"] == "aws:sqs"
        assert json.loads(record["body"])["detail-type"] == "Order Created"
    else:
        assert record["EventSource"] == "aws:sns"
        assert record["Sns"]["TopicArn"].endswith("-notifications")


def test_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(UsageError, match="unknown sample kind 'order'") as caught:
        sample_event("order")

    assert caught.value.hint is not None and "high-value-order" in caught.value.hint
