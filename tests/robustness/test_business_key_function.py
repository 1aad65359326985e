"""Issue 23, item 4: the business key every consumer deduplicates on (lambda_src/event_processors/
business_key.py). With a global endpoint and replication, both regions receive every event and the copies'
ids may differ: whatever the copy's id and region, one business event must give one key."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lambda_src"))

from event_processors import business_key as keys
from event_processors.envelope import parse_envelope
from tooling.publish import schemas
from tooling.publish.events import KINDS, EventFactory


def copy_of(
    detail: dict[str, Any], *, event_id: str = "id-east", region: str = "us-east-1", **envelope: Any
) -> Any:
    """One region's copy of an event as its consumer receives it."""
    event = {
        "version": "0",
        "id": event_id,
        "detail-type": envelope.get("detail_type", "Order Created"),
        "source": envelope.get("source", "ecommerce.orders"),
        "account": "123456789012",
        "time": "2026-11-26T19:30:00Z",
        "region": region,
        "resources": [],
        "detail": detail,
    }
    return parse_envelope(event)


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        ({"idempotencyKey": "k-1", "orderId": "o-1", "version": 3}, "k-1"),  # the producer's key first
        ({"orderId": "o-1"}, "Order Created#o-1"),  # then type and business id
        ({"orderId": "o-1", "version": 3}, "Order Created#o-1#v3"),  # with the version when there is one
        ({"orderId": "o-1", "version": "2024-06"}, "Order Created#o-1#v2024-06"),
        ({"orderId": 42}, "Order Created#42"),  # a numeric id
        ({"customerId": "c-1"}, "id-east"),  # nothing to key on: the event id (region-local only)
        ({"idempotencyKey": "", "orderId": "  "}, "id-east"),  # blank values are no ids
        ({"idempotencyKey": True, "orderId": False}, "id-east"),  # nor are booleans
        ({"idempotencyKey": None, "orderId": "o-1", "version": None}, "Order Created#o-1"),
    ],
)
def test_the_key_falls_back_in_the_documented_order(detail: dict[str, Any], expected: str) -> None:
    assert keys.business_key(copy_of(detail)) == expected


def test_a_payment_is_keyed_on_its_own_id_not_on_the_order_it_pays() -> None:
    # Two payments of one order are two events; keyed on the first id in list order (orderId) they would
    # be stored as one.
    first = copy_of(
        {"paymentId": "p-1", "orderId": "o-1"}, source="ecommerce.payments", detail_type="Payment Processed"
    )
    second = copy_of(
        {"paymentId": "p-2", "orderId": "o-1"}, source="ecommerce.payments", detail_type="Payment Processed"
    )

    assert keys.business_key(first) == "Payment Processed#p-1"
    assert keys.business_key(second) == "Payment Processed#p-2"


def test_an_unknown_source_takes_the_first_business_id_in_list_order() -> None:
    event = copy_of({"productId": "sku-1", "userId": "u-1"}, source="partner.shop", detail_type="Thing Done")

    assert keys.business_key(event) == "Thing Done#u-1"


def test_the_lambda_lists_are_the_publishers() -> None:
    # The Lambda package cannot import the tooling: the two copies of the lists are held equal here.
    assert keys.BUSINESS_ID_KEYS == schemas.BUSINESS_ID_KEYS
    assert keys.BUSINESS_ID_BY_SOURCE == schemas._BUSINESS_ID_BY_SOURCE
    assert schemas.EVENT_ID_KEYS[0] == keys.IDEMPOTENCY_KEY


@pytest.mark.parametrize("kind", KINDS)
def test_every_published_kind_is_keyed_on_the_publishers_idempotency_key(kind: str) -> None:
    entry = EventFactory(seed=7).entry(kind)  # type: ignore[arg-type]  # KINDS holds EventKind values
    detail = json.loads(entry["Detail"])

    key = keys.business_key(copy_of(detail, source=entry["Source"], detail_type=entry["DetailType"]))

    assert key == detail["idempotencyKey"] and key


ids = st.text(min_size=1, max_size=40).filter(lambda text: text.strip() != "")
regions = st.sampled_from(["us-east-1", "us-west-2", "eu-west-1"])
details = st.fixed_dictionaries(
    {},
    optional={
        "idempotencyKey": ids,
        "orderId": st.one_of(ids, st.integers()),
        "userId": ids,
        "paymentId": ids,
        "productId": ids,
        "version": st.one_of(ids, st.integers(min_value=0)),
        "customerId": ids,
    },
)


@given(detail=details, first_id=ids, second_id=ids, first_region=regions, second_region=regions)
def test_two_copies_with_any_ids_and_regions_share_a_key_when_the_event_has_a_business_id(
    detail: dict[str, Any], first_id: str, second_id: str, first_region: str, second_region: str
) -> None:
    first = keys.business_key(copy_of(detail, event_id=first_id, region=first_region))
    second = keys.business_key(copy_of(detail, event_id=second_id, region=second_region))

    if "idempotencyKey" in detail:
        assert first == second == detail["idempotencyKey"]
    elif any(name in detail for name in keys.BUSINESS_ID_KEYS):
        assert first == second and first.startswith("Order Created#")
    else:
        # All an event without either has is its id: region-local deduplication only (the module says why).
        assert (first, second) == (first_id, second_id)


@given(detail=details, version=st.integers(min_value=0, max_value=5))
def test_a_new_version_of_the_same_business_event_is_a_new_key(detail: dict[str, Any], version: int) -> None:
    detail = {key: value for key, value in detail.items() if key != "idempotencyKey"}
    detail.setdefault("orderId", "o-1")
    older = keys.business_key(copy_of({**detail, "version": version}))
    newer = keys.business_key(copy_of({**detail, "version": version + 1}))

    assert older != newer
