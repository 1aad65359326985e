"""Event generators, mixes, JSON-lines parsing and AWS's entry-size arithmetic."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tooling.errors import UsageError
from tooling.publish.events import (
    DETAIL_TYPES,
    KINDS,
    PRODUCER,
    SOURCES,
    EventFactory,
    apportion,
    entry_size,
    kind_of,
    parse_detail_override,
    parse_entries,
    parse_mix,
    read_entries,
)


def _fixed_factory(seed: int) -> EventFactory:
    keys = iter(range(10**6))
    return EventFactory(seed=seed, clock=lambda: "2026-01-01T00:00:00.000Z", new_key=lambda: f"k{next(keys)}")


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_builds_an_entry_with_its_source_and_a_known_detail_type(kind: str) -> None:
    entry = EventFactory(seed=1).entry(kind_of(kind))

    assert entry["Source"] == SOURCES[kind_of(kind)]
    assert entry["DetailType"] in {name for name, _ in DETAIL_TYPES[kind_of(kind)]}
    detail = json.loads(entry["Detail"])
    assert detail["producer"] == PRODUCER
    assert detail["idempotencyKey"]
    assert datetime.fromisoformat(detail["timestamp"]).tzinfo is not None


def test_order_detail_carries_the_recipe_fields_and_items_add_up_to_the_total() -> None:
    detail = json.loads(EventFactory(seed=3).entry("order", "Order Created")["Detail"])

    assert {"orderId", "customerId", "totalAmount", "currency", "items", "timestamp"} <= detail.keys()
    items_total = sum(round(i["price"] * 100) * i["quantity"] for i in detail["items"]) / 100
    assert detail["totalAmount"] == pytest.approx(items_total)


@given(amount_cents=st.integers(min_value=1, max_value=10_000_000), seed=st.integers(0, 2**32))
def test_order_amount_is_exact_and_items_sum_to_it(amount_cents: int, seed: int) -> None:
    amount = amount_cents / 100

    detail = json.loads(EventFactory(seed=seed).entry("order", amount=amount)["Detail"])

    assert detail["totalAmount"] == amount
    assert sum(round(i["price"] * 100) * i["quantity"] for i in detail["items"]) == amount_cents


def test_payment_amount_and_user_email_fields() -> None:
    factory = EventFactory(seed=5)

    payment = json.loads(factory.entry("payment", amount=42.5)["Detail"])
    user = json.loads(factory.entry("user")["Detail"])

    assert payment["amount"] == 42.5
    assert {"paymentId", "orderId", "currency", "status"} <= payment.keys()
    assert user["email"].endswith("@example.com")
    assert {"userId", "email", "firstName", "lastName"} <= user.keys()


def test_stock_depleted_has_nothing_available() -> None:
    detail = json.loads(EventFactory(seed=9).entry("inventory", "Stock Depleted")["Detail"])

    assert detail["quantityAvailable"] == 0
    assert detail["status"] == "out_of_stock"


def test_overrides_replace_generated_detail_fields() -> None:
    entry = EventFactory(seed=1).entry("order", overrides={"currency": "EUR", "note": "x"})

    detail = json.loads(entry["Detail"])
    assert detail["currency"] == "EUR"
    assert detail["note"] == "x"


def test_a_detail_type_of_another_kind_is_refused() -> None:
    with pytest.raises(UsageError, match="not a order event"):
        EventFactory().entry("order", "User Registered")


def test_same_seed_reproduces_the_same_events() -> None:
    first = list(_fixed_factory(42).mixed(50))
    second = list(_fixed_factory(42).mixed(50))
    other = list(_fixed_factory(43).mixed(50))

    assert first == second
    assert first != other


def test_idempotency_keys_differ_between_runs_with_the_same_seed() -> None:
    first = json.loads(next(EventFactory(seed=1).mixed(1))["Detail"])
    second = json.loads(next(EventFactory(seed=1).mixed(1))["Detail"])

    assert first["idempotencyKey"] != second["idempotencyKey"]
    assert {k: v for k, v in first.items() if k not in ("idempotencyKey", "timestamp")} == {
        k: v for k, v in second.items() if k not in ("idempotencyKey", "timestamp")
    }


def test_mix_is_followed_exactly() -> None:
    entries = list(EventFactory(seed=2).mixed(100, parse_mix("orders=50,users=25,payments=25")))

    counts = Counter(e["Source"] for e in entries)
    assert counts == {"ecommerce.orders": 50, "ecommerce.users": 25, "ecommerce.payments": 25}


@given(
    count=st.integers(0, 5000),
    weights=st.lists(st.floats(0.01, 1000), min_size=1, max_size=4),
)
def test_apportion_always_sums_to_count(count: int, weights: list[float]) -> None:
    mix = dict(zip(KINDS, weights, strict=False))

    assert sum(apportion(count, mix).values()) == count


@pytest.mark.parametrize("text", ["orders", "orders=x", "cats=3", "orders=-1", "orders=0", ""])
def test_bad_mix_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError):
        parse_mix(text)


def test_entry_size_follows_the_aws_formula() -> None:
    entry = {
        "Source": "ecommerce.orders",  # 16
        "DetailType": "Order Créé",  # 10 characters, 12 bytes in UTF-8
        "Detail": '{"a":"é"}',  # 10 bytes
        "Resources": ["arn:x", "arn:yy"],  # 5 + 6
        "Time": datetime(2026, 1, 1, tzinfo=UTC),  # 14
        "TraceHeader": "Root=1-abc",  # not counted
        "EventBusName": "bus",  # not counted
    }

    assert entry_size(entry) == 16 + 12 + 10 + 11 + 14


def test_detail_override_reads_inline_json_and_files(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('{"totalAmount": 1500}')

    assert parse_detail_override('{"a": 1}') == {"a": 1}
    assert parse_detail_override(f"@{path}") == {"totalAmount": 1500}


@pytest.mark.parametrize(("text", "message"), [("{oops", "not valid JSON"), ("[1]", "must be a JSON object")])
def test_malformed_detail_override_is_a_usage_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_detail_override(text)


def test_missing_detail_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        parse_detail_override(f"@{tmp_path / 'none.json'}")


def test_file_lines_may_be_entries_or_envelopes() -> None:
    lines = [
        json.dumps({"Source": "s.a", "DetailType": "A", "Detail": '{"x":1}', "EventBusName": "other"}),
        "",
        json.dumps({"Source": "s.b", "DetailType": "B", "Detail": {"y": 2}, "Time": "2026-01-01T00:00:00Z"}),
        json.dumps(
            {
                "version": "0",
                "id": "1",
                "source": "s.c",
                "detail-type": "C",
                "detail": {"z": 3},
                "resources": ["arn:r"],
                "time": "2026-01-02T00:00:00Z",
                "account": "123456789012",
                "region": "us-east-1",
            }
        ),
    ]

    entries = parse_entries(lines)

    assert [e["Source"] for e in entries] == ["s.a", "s.b", "s.c"]
    assert "EventBusName" not in entries[0]
    assert json.loads(entries[1]["Detail"]) == {"y": 2}
    assert entries[1]["Time"] == datetime(2026, 1, 1, tzinfo=UTC)
    assert entries[2]["Resources"] == ["arn:r"]
    assert json.loads(entries[2]["Detail"]) == {"z": 3}


def test_every_bad_line_is_reported_with_its_number() -> None:
    lines = [
        "not json",
        json.dumps({"Source": "s", "DetailType": "T", "Detail": "[1]"}),
        json.dumps({"hello": "world"}),
        json.dumps({"Source": "s", "DetailType": "T", "Detail": "{}", "Colour": "red"}),
        json.dumps({"Source": "", "DetailType": "T"}),
        json.dumps({"Source": "s", "DetailType": "T", "Time": "yesterday"}),
    ]

    with pytest.raises(UsageError) as caught:
        parse_entries(lines, source="f.jsonl")

    message = caught.value.message
    assert "6 line(s)" in message
    for number in range(1, 7):
        assert f"f.jsonl:{number}:" in message
    assert "unknown PutEvents entry field(s): Colour" in message


def test_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        read_entries(tmp_path / "missing.jsonl")


def test_generated_events_conform_to_the_schema_registry() -> None:
    from tooling.publish.schemas import validate_detail

    factory = EventFactory(seed=17)
    generated = list(factory.mixed(400)) + [
        factory.entry(kind, name, amount=amount)
        for kind in KINDS
        for name, _ in DETAIL_TYPES[kind]
        for amount in (None, 0.01, 1500.0)
        if amount is None or kind in ("order", "payment")
    ]

    problems = {
        (e["Source"], e["DetailType"], problem)
        for e in generated
        for problem in validate_detail(e["Source"], e["DetailType"], json.loads(e["Detail"]))
    }

    assert problems == set()


def test_idempotency_keys_are_uuid4_and_a_forked_child_never_reuses_its_parents(tmp_path: Path) -> None:
    import os
    import uuid

    from tooling.publish.events import KEYS_PER_DRAW, random_key

    first = random_key()  # fills this process's pool
    assert str(uuid.UUID(first)) == first and uuid.UUID(first).version == 4
    drawn = tmp_path / "child"
    pid = os.fork()
    if pid == 0:  # the child: its keys must come from a fresh draw
        try:
            drawn.write_text("\n".join(random_key() for _ in range(KEYS_PER_DRAW)))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    parent = {random_key() for _ in range(KEYS_PER_DRAW)}

    child = set(drawn.read_text().split())
    assert len(child) == KEYS_PER_DRAW and not child & parent


def test_generated_details_are_encoded_exactly_as_the_stdlib_encodes_them() -> None:
    from tooling.publish.events import _COMPACT

    for entry in EventFactory(seed=3).mixed(4000):
        assert entry["Detail"] == _COMPACT.encode(json.loads(entry["Detail"]))
    with_override = EventFactory(seed=3).entry("order", overrides={"note": "caf\u00e9", "big": 2**70})
    assert '"note":"caf\\u00e9"' in with_override["Detail"] and str(2**70) in with_override["Detail"]
