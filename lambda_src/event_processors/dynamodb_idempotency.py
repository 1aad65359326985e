"""Idempotency records in DynamoDB: the one module that imports boto3 (provided by the Lambda runtime).

Table contract (declared in Terraform): partition key ``id`` (S), TTL attribute ``expiration`` (epoch
seconds). The function needs dynamodb:PutItem, UpdateItem, DeleteItem and GetItem on that table only.
TTL deletion lags by up to days, so every read also compares ``expiration`` with the clock.
"""

from __future__ import annotations

import json
from typing import Any

# boto3/botocore ship no type information; "unused-ignore" keeps these lines clean once stubs are installed.
import boto3  # type: ignore[import-untyped, unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

from event_processors.idempotency import COMPLETED, IN_PROGRESS, Status, StoredRecord

# Short timeouts and standard retries: a slow table must not eat the whole invocation.
_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})

_NAMES = {
    "#id": "id",
    "#status": "status",
    "#exp": "expiration",
    "#ipe": "in_progress_expiration",
    "#data": "data",
}


# Free to claim: no record, an expired one (TTL lags), or an in-progress claim whose invocation has ended.
_CLAIM_CONDITION = "attribute_not_exists(#id) OR #exp < :now OR (#status = :in_progress AND #ipe < :now)"


class DynamoDBIdempotencyStore:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        # Created once per container: the store itself is cached by the notifier.
        self._client: Any = boto3.client("dynamodb", config=_CLIENT_CONFIG)

    def claim(
        self, key: str, *, now: float, expires_at: int, in_progress_until: float
    ) -> StoredRecord | None:
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "id": {"S": key},
                    "status": {"S": IN_PROGRESS},
                    "expiration": {"N": str(expires_at)},
                    "in_progress_expiration": {"N": repr(in_progress_until)},
                },
                ConditionExpression=_CLAIM_CONDITION,
                ExpressionAttributeNames={name: _NAMES[name] for name in ("#id", "#exp", "#status", "#ipe")},
                ExpressionAttributeValues={":now": {"N": repr(now)}, ":in_progress": {"S": IN_PROGRESS}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as error:
            item = error.response.get("Item") or self._get(key)
            if item is None:  # deleted between the put and the read: the other holder released it
                raise
            return _record(item)
        return None

    def _get(self, key: str) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self._table, Key={"id": {"S": key}}, ConsistentRead=True)
        item: dict[str, Any] | None = response.get("Item")
        return item

    def complete(self, key: str, result: dict[str, Any], *, expires_at: int) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"id": {"S": key}},
            UpdateExpression="SET #status = :completed, #exp = :exp, #data = :data REMOVE #ipe",
            ExpressionAttributeNames={name: _NAMES[name] for name in ("#status", "#exp", "#data", "#ipe")},
            ExpressionAttributeValues={
                ":completed": {"S": COMPLETED},
                ":exp": {"N": str(expires_at)},
                ":data": {"S": json.dumps(result, separators=(",", ":"))},
            },
        )

    def release(self, key: str) -> None:
        self._client.delete_item(TableName=self._table, Key={"id": {"S": key}})


def _record(item: dict[str, Any]) -> StoredRecord:
    data = item.get("data", {}).get("S")
    status: Status = COMPLETED if item.get("status", {}).get("S") == COMPLETED else IN_PROGRESS
    return StoredRecord(status=status, result=json.loads(data) if data else None)
