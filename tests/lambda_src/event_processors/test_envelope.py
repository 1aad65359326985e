from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from event_processors.envelope import parse_envelope
from event_processors.errors import InvalidEventError

Loader = Callable[[str], dict[str, Any]]


def test_a_realistic_envelope_is_parsed_into_typed_fields(load_event: Loader) -> None:
    envelope = parse_envelope(load_event("order_created"))

    assert envelope.id == "6f1c9c2e-4b1a-4c5e-9a3f-2d7e1b0c8a11"
    assert (envelope.source, envelope.detail_type) == ("ecommerce.orders", "Order Created")
    assert envelope.time == datetime(2026, 11, 26, 19, 30, tzinfo=UTC)
    assert envelope.detail["orderId"] == "ord-7f3a9c"


def test_a_detail_carried_as_a_json_string_is_decoded(load_event: Loader) -> None:
    event = load_event("order_created")
    event["detail"] = '{"orderId": "ord-1", "customerId": "c-1", "totalAmount": 5}'

    assert parse_envelope(event).detail["orderId"] == "ord-1"


@pytest.mark.parametrize(
    ("mutate", "expected_reason", "expected_event_id"),
    [
        pytest.param(lambda e: e.pop("id"), "'id' is missing", None, id="missing-id"),
        pytest.param(
            lambda e: e.update(id=42), "'id' must be a non-empty string, got int", None, id="id-type"
        ),
        pytest.param(lambda e: e.pop("source"), "'source' is missing", "evt-1", id="missing-source"),
        pytest.param(
            lambda e: e.update({"detail-type": ""}), "'detail-type' must be", "evt-1", id="empty-type"
        ),
        pytest.param(
            lambda e: e.pop("detail"), "'detail' must be a JSON object, got missing", "evt-1", id="no-detail"
        ),
        pytest.param(
            lambda e: e.update(detail="not json {"),
            "'detail' is a string that is not JSON",
            "evt-1",
            id="non-json-detail",
        ),
        pytest.param(
            lambda e: e.update(detail=[1, 2]),
            "'detail' must be a JSON object, got list",
            "evt-1",
            id="list-detail",
        ),
        pytest.param(lambda e: e.update(time="yesterday"), "'time' is not ISO-8601", "evt-1", id="bad-time"),
        pytest.param(
            lambda e: e.update(resources="arn"), "'resources' must be a list", "evt-1", id="resources"
        ),
    ],
)
def test_a_malformed_envelope_raises_with_the_field_and_event_id(
    load_event: Loader,
    mutate: Callable[[dict[str, Any]], object],
    expected_reason: str,
    expected_event_id: str | None,
) -> None:
    event = load_event("order_created")
    event["id"] = "evt-1"
    mutate(event)

    with pytest.raises(InvalidEventError) as raised:
        parse_envelope(event)

    assert expected_reason in raised.value.reason
    assert raised.value.event_id == expected_event_id


def test_an_event_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(InvalidEventError, match="must be a JSON object, got list"):
        parse_envelope(["not", "an", "event"])
