"""The batch processor: SQS batches into the event store, partial batch failures, idempotent writes."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]  # boto3 ships no type information
import pytest
from moto import mock_aws

from event_processors import batch_processor
from event_processors.envelope import parse_envelope
from event_processors.errors import ConfigurationError, InvalidEventError
from event_processors.event_store import MAX_ITEM_BYTES, build_item
from event_processors.settings import batch_settings

TABLE = "ecommerce-dev-abc123-events"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:ecommerce-dev-abc123-batch-queue"


def create_table() -> None:
    """The table as terraform/modules/event_store declares it."""
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "source", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "source-time",
                "KeySchema": [
                    {"AttributeName": "source", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


class StoredItems:
    """Reads back what the handler wrote, whichever store it is."""

    def __init__(self, kind: str, path: Path) -> None:
        self.kind = kind
        self.path = path

    def all(self) -> list[dict[str, Any]]:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.path)
            conn.row_factory = sqlite3.Row
            try:
                return [dict(row) for row in conn.execute("SELECT * FROM events ORDER BY sk")]
            finally:
                conn.close()
        items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=TABLE)["Items"]
        plain = [{k: v.get("S", v.get("N")) for k, v in item.items()} for item in items]
        return sorted(plain, key=lambda item: str(item["sk"]))


@pytest.fixture(params=["sqlite", "dynamodb"])
def stored(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StoredItems]:
    monkeypatch.setenv("EVENT_STORE_TTL_DAYS", "90")
    if request.param == "sqlite":
        path = tmp_path / "event_store.sqlite"
        monkeypatch.setenv("EVENT_STORE_SQLITE_PATH", str(path))
        yield StoredItems("sqlite", path)
        return
    monkeypatch.setenv("EVENT_STORE_TABLE", TABLE)
    with mock_aws():
        create_table()
        yield StoredItems("dynamodb", tmp_path)


def sqs_record(message_id: str, body: str) -> dict[str, Any]:
    """An SQS record as the event source mapping hands it to the function."""
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764500000000"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


def batch(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


@pytest.fixture
def order_body(load_event: Callable[[str], dict[str, Any]]) -> str:
    return json.dumps(load_event("order_created"))


def test_a_batch_of_valid_events_is_stored_and_reports_no_failures(
    stored: StoredItems,
    load_event: Callable[[str], dict[str, Any]],
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    order, user = load_event("order_created"), load_event("user_registered")

    response = batch_processor.handler(
        batch(sqs_record("m-1", json.dumps(order)), sqs_record("m-2", json.dumps(user))), lambda_context
    )

    assert response == {"batchItemFailures": []}
    items = stored.all()
    assert sorted(str(i["id"]) for i in items) == sorted([order["id"], user["id"]])
    by_id = {str(i["id"]): i for i in items}
    assert by_id[order["id"]]["pk"] == f"{order['source']}#{order['detail-type']}"
    # The sort key holds the business key (this sample has no idempotencyKey: type and order id), not the
    # event id, which may differ between the regions' copies of one event.
    assert by_id[order["id"]]["sk"] == f"{order['time']}#Order Created#{order['detail']['orderId']}"
    assert by_id[order["id"]]["business_key"] == f"Order Created#{order['detail']['orderId']}"
    assert (by_id[order["id"]]["region"], by_id[order["id"]]["processed_in"]) == ("us-east-1", "us-west-2")
    assert json.loads(str(by_id[order["id"]]["event"])) == order


def test_the_ttl_is_the_event_time_plus_the_configured_days(
    stored: StoredItems, order_body: str, lambda_context: Any
) -> None:
    from datetime import datetime

    event_time = datetime.fromisoformat(json.loads(order_body)["time"].replace("Z", "+00:00"))

    batch_processor.handler(batch(sqs_record("m-1", order_body)), lambda_context)

    assert int(stored.all()[0]["expiration"]) == int(event_time.timestamp()) + 90 * 86400


def test_a_redelivered_message_does_not_duplicate_its_row(
    stored: StoredItems, order_body: str, lambda_context: Any, logs: Any
) -> None:
    batch_processor.handler(batch(sqs_record("m-1", order_body)), lambda_context)

    # SQS delivers at least once: the same event again, under another message id and receipt.
    again = batch_processor.handler(batch(sqs_record("m-1-again", order_body)), lambda_context)

    assert again == {"batchItemFailures": []}
    assert len(stored.all()) == 1
    assert logs.with_message("Batch processed")[-1]["duplicate"] == 1


def test_one_malformed_message_fails_alone_and_the_rest_of_the_batch_is_stored(
    stored: StoredItems,
    order_body: str,
    load_event: Callable[[str], dict[str, Any]],
    lambda_context: Any,
    logs: Any,
) -> None:
    user = load_event("user_registered")

    response = batch_processor.handler(
        batch(
            sqs_record("good-1", order_body),
            sqs_record("bad-json", "{not json"),
            sqs_record("bad-event", json.dumps({"id": "x", "detail": {}})),
            sqs_record("good-2", json.dumps(user)),
        ),
        lambda_context,
    )

    assert response == {
        "batchItemFailures": [{"itemIdentifier": "bad-json"}, {"itemIdentifier": "bad-event"}]
    }
    assert len(stored.all()) == 2
    reasons = {r["message_id"]: r["reason"] for r in logs.with_message("Message failed")}
    assert reasons == {
        "bad-json": "SQS message bad-json body is not JSON",
        "bad-event": "'source' is missing",
    }


def test_an_event_over_the_item_limit_fails_alone_with_its_reason(
    stored: StoredItems,
    order_body: str,
    load_event: Callable[[str], dict[str, Any]],
    lambda_context: Any,
    logs: Any,
) -> None:
    huge = load_event("order_created")
    huge["id"] = "huge-event"
    huge["detail"]["note"] = "x" * MAX_ITEM_BYTES

    response = batch_processor.handler(
        batch(sqs_record("huge", json.dumps(huge)), sqs_record("fine", order_body)), lambda_context
    )

    assert response == {"batchItemFailures": [{"itemIdentifier": "huge"}]}
    assert [str(i["id"]) for i in stored.all()] == [json.loads(order_body)["id"]]
    failure = logs.with_message("Message failed")[0]
    assert failure["failure"] == "unstorable"
    assert f"over DynamoDB's {MAX_ITEM_BYTES}-byte item limit" in failure["reason"]


def test_a_failed_write_is_reported_for_that_message_only(
    order_body: str, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, logs: Any
) -> None:
    monkeypatch.setenv("EVENT_STORE_TABLE", "no-such-table")
    monkeypatch.setenv("EVENT_STORE_TTL_DAYS", "90")
    with mock_aws():
        response = batch_processor.handler(batch(sqs_record("m-1", order_body)), lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert logs.with_message("Message failed")[0]["failure"] == "write"


def test_an_event_without_records_is_refused(
    lambda_context: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENT_STORE_SQLITE_PATH", str(tmp_path / "s.sqlite"))
    monkeypatch.setenv("EVENT_STORE_TTL_DAYS", "90")

    with pytest.raises(InvalidEventError, match="no 'Records' list"):
        batch_processor.handler({"source": "ecommerce.orders"}, lambda_context)


def test_without_a_store_messages_are_consumed_and_nothing_is_written(
    order_body: str, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, logs: Any
) -> None:
    monkeypatch.setenv("EVENT_STORE_DISABLED", "true")

    response = batch_processor.handler(
        batch(sqs_record("m-1", order_body), sqs_record("m-2", "[]")), lambda_context
    )

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert logs.with_message("Batch processed")[-1]["consumed"] == 1


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({}, "or EVENT_STORE_DISABLED=true"),
        ({"EVENT_STORE_TABLE": "t", "EVENT_STORE_SQLITE_PATH": "/tmp/x"}, "only one of"),
        ({"EVENT_STORE_TABLE": "t", "EVENT_STORE_DISABLED": "true"}, "or EVENT_STORE_DISABLED=true"),
        ({"EVENT_STORE_TABLE": "t", "EVENT_STORE_TTL_DAYS": "0"}, "EVENT_STORE_TTL_DAYS must be"),
        ({"EVENT_STORE_TABLE": "t"}, "EVENT_STORE_TTL_DAYS must be"),
    ],
)
def test_inconsistent_store_settings_are_a_configuration_error(
    variables: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError, match=message):
        batch_settings()


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2026-01-02T03:04:05.678Z", "2026-01-02T03:04:05Z"),  # the producer's time wins
        ("2026-01-02T03:04:05", "2026-01-02T03:04:05Z"),  # naive: taken as UTC, as EventBridge's own
        ("yesterday", "2026-11-30T12:00:00Z"),  # not ISO-8601: EventBridge's time
        (1767323045, "2026-11-30T12:00:00Z"),  # not a string: EventBridge's time
        (None, "2026-11-30T12:00:00Z"),
    ],
)
def test_the_item_time_is_the_producers_timestamp_else_eventbridges(timestamp: Any, expected: str) -> None:
    # Both regions' copies carry the producer's timestamp; their EventBridge times need not be equal.
    detail: dict[str, Any] = {"idempotencyKey": "k-1"}
    if timestamp is not None:
        detail["timestamp"] = timestamp
    envelope = parse_envelope(
        {
            "id": "e-1",
            "source": "ecommerce.orders",
            "detail-type": "Order Created",
            "time": "2026-11-30T12:00:00Z",
            "region": "us-west-2",
            "detail": detail,
        }
    )

    item = build_item(envelope, "{}", ttl_days=1)

    assert (item.time, item.sk) == (expected, f"{expected}#k-1")
