"""Event store items in DynamoDB (``EVENT_STORE_TABLE``): the conditional put that makes writes idempotent.

boto3 comes from the Lambda runtime and is imported only here (and in the idempotency adapter). The
function needs dynamodb:PutItem on the table only, and the project key through DynamoDB.
"""

from __future__ import annotations

from typing import Any

# boto3/botocore ship no type information; "unused-ignore" keeps these lines clean once stubs are installed.
import boto3  # type: ignore[import-untyped, unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

from event_processors.event_store import StoredEvent, WriteOutcome

# Short timeouts and standard retries: a slow table must not eat the whole batch's time.
_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


class DynamoDBEventStore:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        # Created once per container: the handler caches the store.
        self._client: Any = boto3.client("dynamodb", config=_CLIENT_CONFIG)

    def put_once(self, item: StoredEvent) -> WriteOutcome:
        attributes = {
            name: {"N": str(value)} if isinstance(value, int) else {"S": value}
            for name, value in item.attributes().items()
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item=attributes,
                # (pk, sk) is the event's key: present means this event was stored by an earlier delivery.
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return "duplicate"
        return "stored"
