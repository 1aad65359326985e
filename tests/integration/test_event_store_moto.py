"""`tooling events query` and the monitor's count on AWS (moto): a Query on the table's key with --type, on
the `source-time` index without, newest first, within --since, never an item past its expiration."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tooling import clients
from tooling.observe.aws_event_store import AwsEventStore
from tooling.observe.event_store import build_query

TABLE = "ecommerce-dev-abc123-events"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def table() -> Iterator[Any]:
    clients.reset()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
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
        yield client
    clients.reset()


def put(
    client: Any, event_id: str, source: str, detail_type: str, age: timedelta, *, expired: bool = False
) -> None:
    """An item as the batch processor writes it."""
    moment = NOW - age
    time_text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {"id": event_id, "source": source, "detail-type": detail_type, "time": time_text, "detail": {}}
    expiration = int(NOW.timestamp()) + (-60 if expired else 86400)
    client.put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": f"{source}#{detail_type}"},
            "sk": {"S": f"{time_text}#{event_id}"},
            "id": {"S": event_id},
            "source": {"S": source},
            "detail_type": {"S": detail_type},
            "time": {"S": time_text},
            "event": {"S": json.dumps(event)},
            "expiration": {"N": str(expiration)},
        },
    )


def test_a_query_by_source_and_type_reads_the_key_newest_first(table: Any) -> None:
    put(table, "old", "ecommerce.orders", "Order Created", timedelta(hours=3))
    put(table, "new", "ecommerce.orders", "Order Created", timedelta(minutes=5))
    put(table, "other-type", "ecommerce.orders", "Order Cancelled", timedelta(minutes=1))

    found = AwsEventStore(TABLE, "us-east-1").query(
        build_query("ecommerce.orders", "Order Created", None, 10), NOW
    )

    assert [e.id for e in found] == ["new", "old"]
    assert found[0].event["detail-type"] == "Order Created"


def test_a_query_by_source_alone_uses_the_index_and_since_bounds_it(table: Any) -> None:
    put(table, "old", "ecommerce.orders", "Order Created", timedelta(hours=3))
    put(table, "recent-created", "ecommerce.orders", "Order Created", timedelta(minutes=5))
    put(table, "recent-cancelled", "ecommerce.orders", "Order Cancelled", timedelta(minutes=1))
    put(table, "user", "ecommerce.users", "User Registered", timedelta(minutes=1))

    found = AwsEventStore(TABLE, "us-east-1").query(
        build_query("ecommerce.orders", None, timedelta(hours=1), 10), NOW
    )

    assert [e.id for e in found] == ["recent-cancelled", "recent-created"]


def test_expired_items_are_never_answers_and_the_limit_holds(table: Any) -> None:
    put(table, "expired", "ecommerce.orders", "Order Created", timedelta(minutes=1), expired=True)
    for n in range(3):
        put(table, f"live-{n}", "ecommerce.orders", "Order Created", timedelta(minutes=10 + n))

    found = AwsEventStore(TABLE, "us-east-1").query(
        build_query("ecommerce.orders", "Order Created", None, 2), NOW
    )

    assert [e.id for e in found] == ["live-0", "live-1"]


def test_the_item_count_is_dynamodbs(table: Any) -> None:
    put(table, "a", "ecommerce.orders", "Order Created", timedelta(minutes=1))

    count = AwsEventStore(TABLE, "us-east-1").item_count()

    assert count == table.describe_table(TableName=TABLE)["Table"]["ItemCount"]
