"""Event schemas: every file is a draft-4 schema named after its event; every event the tooling generates,
the recipe publishes and the Lambda fixtures carry is valid; broken details are reported with their path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from tooling.publish.events import KINDS, SOURCES, EventFactory, EventKind, detail_types
from tooling.publish.schemas import SchemaError, load_schemas, registry_contents, validate_detail

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILES = sorted((REPO / "schemas").glob("*.json"))
ENVELOPES = sorted((REPO / "tests" / "events").glob("*.json"))
# The fixture of an unknown partner source: no schema describes it (validate_detail must say so).
WITHOUT_SCHEMA = {("partner.logistics", "Shipment Dispatched")}
TIMESTAMP = "2026-11-26T19:30:00.123Z"


def _valid_order(**changes: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "orderId": "ord-1",
        "customerId": "cust-1",
        "totalAmount": 1500.0,
        "currency": "USD",
        "items": [
            {"productId": "p-1", "quantity": 2, "price": 600.0},
            {"productId": "p-2", "quantity": 1, "price": 300},
        ],
        "timestamp": TIMESTAMP,
    }
    detail.update(changes)
    return detail


def _events_in(path: Path) -> list[dict[str, Any]]:
    """The EventBridge events a fixture holds: the envelope itself, or the envelopes SNS records carry."""
    data = json.loads(path.read_text())
    if "detail" in data:
        return [data]
    events = []
    for record in data.get("Records", []):
        message = json.loads(record["Sns"]["Message"])
        if isinstance(message, dict) and "detail" in message:
            events.append(message)
    return events


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.stem)
def test_each_file_is_a_valid_draft4_schema(path: Path) -> None:
    document = json.loads(path.read_text())

    Draft4Validator.check_schema(document)

    assert document["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert document["additionalProperties"] is True


def test_there_is_one_schema_per_event_the_system_carries() -> None:
    carried = {(SOURCES[kind], detail_type) for kind in KINDS for detail_type in detail_types(kind)}

    assert set(load_schemas()) == carried
    assert len(SCHEMA_FILES) == len(carried)


@pytest.mark.parametrize("kind", KINDS)
def test_every_event_the_tooling_generates_is_valid(kind: EventKind) -> None:
    factory = EventFactory(seed=7)
    entries = [factory.entry(kind, t) for t in detail_types(kind) for _ in range(100)]
    entries += [factory.entry(kind, amount=amount) for amount in (0.01, 1000.01, 99999.99)]

    problems = {
        (e["DetailType"], problem)
        for e in entries
        for problem in validate_detail(e["Source"], e["DetailType"], json.loads(e["Detail"]))
    }

    assert problems == set()


@pytest.mark.parametrize("path", ENVELOPES, ids=lambda p: p.stem)
def test_lambda_test_envelopes_are_valid(path: Path) -> None:
    for event in _events_in(path):
        key = (event["source"], event["detail-type"])

        problems = validate_detail(*key, event["detail"])

        if key in WITHOUT_SCHEMA:
            assert len(problems) == 1 and problems[0].startswith("$.detail-type: no schema for"), problems
        else:
            assert problems == [], problems


def test_the_recipes_own_events_are_valid() -> None:
    now = (
        "2026-11-26T19:30:00.123456+00:00"  # datetime.now(timezone.utc).isoformat(), as the recipe writes it
    )
    recipe = [
        ("ecommerce.orders", "Order Created", _valid_order(customerId="customer_1234", timestamp=now)),
        # The recipe's high-value test order has no items.
        (
            "ecommerce.orders",
            "Order Created",
            {k: v for k, v in _valid_order(timestamp=now).items() if k != "items"},
        ),
        ("ecommerce.orders", "Order Cancelled", _valid_order(timestamp=now)),
        (
            "ecommerce.users",
            "User Registered",
            {
                "userId": "u-1",
                "email": "user1234@example.com",
                "firstName": "Jane",
                "lastName": "Smith",
                "registrationMethod": "facebook",
                "timestamp": now,
            },
        ),
        (
            "ecommerce.payments",
            "Payment Processed",
            {
                "paymentId": "pay-1",
                "orderId": "ord-1",
                "amount": 10.5,
                "currency": "USD",
                "paymentMethod": "paypal",
                "status": "completed",
                "timestamp": now,
            },
        ),
    ]

    problems = [
        p for source, detail_type, detail in recipe for p in validate_detail(source, detail_type, detail)
    ]

    assert problems == []


ITEM = {"productId": "p", "quantity": 1, "price": 1}
PAYMENT = {
    "paymentId": "p",
    "orderId": "o",
    "amount": 1,
    "currency": "EUR",
    "status": "completed",
    "timestamp": TIMESTAMP,
}
STOCK = {
    "productId": "p",
    "warehouseId": "w",
    "quantityChange": -3,
    "quantityAvailable": 0,
    "timestamp": TIMESTAMP,
}

BROKEN: list[tuple[str, str, str, Any, str]] = [
    ("missing id", "ecommerce.orders", "Order Created",
     {k: v for k, v in _valid_order().items() if k != "orderId"}, "$.detail.orderId: is required"),
    ("amount as text", "ecommerce.orders", "Order Created", _valid_order(totalAmount="1500"),
     "$.detail.totalAmount: '1500' is not of type 'number'"),
    ("negative amount", "ecommerce.orders", "Order Created", _valid_order(totalAmount=-1),
     "$.detail.totalAmount: -1 is less than the minimum of 0"),
    ("zero quantity", "ecommerce.orders", "Order Created",
     _valid_order(items=[ITEM, {**ITEM, "quantity": 0}]),
     "$.detail.items[1].quantity: 0 is less than the minimum of 1"),
    ("bool quantity", "ecommerce.orders", "Order Updated", _valid_order(items=[{**ITEM, "quantity": True}]),
     "$.detail.items[0].quantity: True is not of type 'integer'"),
    ("item without price", "ecommerce.orders", "Order Created",
     _valid_order(items=[{"productId": "p", "quantity": 1}]),
     "$.detail.items[0].price: is required"),
    ("lowercase currency", "ecommerce.orders", "Order Created", _valid_order(currency="usd"),
     "$.detail.currency: 'usd' does not match '^[A-Z]{3}$'"),
    ("bad timestamp", "ecommerce.orders", "Order Created", _valid_order(timestamp="yesterday"),
     "$.detail.timestamp: 'yesterday' does not match"),
    ("cancelled with other status", "ecommerce.orders", "Order Cancelled", _valid_order(status="created"),
     "$.detail.status: 'created' is not one of ['cancelled']"),
    ("unknown payment status", "ecommerce.payments", "Payment Processed", {**PAYMENT, "status": "refunded"},
     "$.detail.status: 'refunded' is not one of ['completed', 'failed', 'pending']"),
    ("email as number", "ecommerce.users", "User Registered",
     {"userId": "u", "email": 5, "timestamp": TIMESTAMP},
     "$.detail.email: 5 is not of type 'string'"),
    ("depleted but stock left", "ecommerce.inventory", "Stock Depleted", {**STOCK, "quantityAvailable": 3},
     "$.detail.quantityAvailable: 3 is not one of [0]"),
    ("fractional stock", "ecommerce.inventory", "Stock Updated", {**STOCK, "quantityChange": 1.5},
     "$.detail.quantityChange: 1.5 is not of type 'integer'"),
    ("detail not an object", "ecommerce.orders", "Order Created", [],
     "$.detail: [] is not of type 'object'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "source", "detail_type", "detail", "expected"), BROKEN, ids=[b[0] for b in BROKEN]
)
def test_broken_detail_is_reported_with_its_path(
    case: str, source: str, detail_type: str, detail: Any, expected: str
) -> None:
    problems = validate_detail(source, detail_type, detail)

    assert any(problem.startswith(expected) for problem in problems), problems


def test_every_problem_of_a_detail_is_reported_at_once() -> None:
    detail = _valid_order(orderId=None, currency="usd")
    del detail["timestamp"]

    problems = validate_detail("ecommerce.orders", "Order Created", detail)

    assert [p.split(":")[0] for p in problems] == [
        "$.detail.currency",
        "$.detail.orderId",
        "$.detail.timestamp",
    ]


def test_extra_fields_are_allowed() -> None:
    detail = _valid_order(giftWrap=True, loyalty={"tier": "gold"})

    assert validate_detail("ecommerce.orders", "Order Created", detail) == []


def test_an_event_without_a_schema_is_one_problem() -> None:
    problems = validate_detail("ecommerce.orders", "Order Shipped", {"orderId": "o"})

    assert problems == [
        "$.detail-type: no schema for 'Order Shipped' from 'ecommerce.orders' "
        "(add schemas/ecommerce.orders@OrderShipped.json)"
    ]


def test_registry_contents_are_the_documents_by_registry_name() -> None:
    schemas = load_schemas()

    contents = registry_contents(schemas)

    assert (
        json.loads(contents["ecommerce.orders@OrderCreated"])
        == schemas[("ecommerce.orders", "Order Created")].document
    )
    assert list(contents) == sorted(contents)


def _write(folder: Path, name: str, document: dict[str, Any]) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(json.dumps(document))


def test_a_file_named_after_another_event_is_refused(tmp_path: Path) -> None:
    document = json.loads((REPO / "schemas" / "ecommerce.orders@OrderCreated.json").read_text())
    _write(tmp_path / "schemas", "ecommerce.orders@OrderUpdated.json", document)

    with pytest.raises(SchemaError, match=r"must be named ecommerce.orders@OrderCreated.json"):
        load_schemas(tmp_path / "schemas")


def test_a_schema_that_is_not_draft4_is_refused(tmp_path: Path) -> None:
    document = json.loads((REPO / "schemas" / "ecommerce.orders@OrderCreated.json").read_text())
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    _write(tmp_path / "schemas", "ecommerce.orders@OrderCreated.json", document)

    with pytest.raises(SchemaError, match=r"\$schema must be 'http://json-schema.org/draft-04/schema#'"):
        load_schemas(tmp_path / "schemas")
