"""The event store on AWS: DynamoDB Query on the table's key (source and type) or on its `source-time`
index (source only); DescribeTable's ItemCount (refreshed by DynamoDB about every six hours) for the monitor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tooling import clients
from tooling.observe.event_store import SOURCE_INDEX, EventQuery, StoredEvent, stored_event


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB's typed attribute values ({"S": ...}, {"N": ...}) as plain values."""
    out: dict[str, Any] = {}
    for name, value in item.items():
        if "S" in value:
            out[name] = value["S"]
        elif "N" in value:
            out[name] = int(value["N"]) if value["N"].lstrip("-").isdigit() else float(value["N"])
    return out


class AwsEventStore:
    def __init__(self, table_name: str, region: str) -> None:
        self.table_name = table_name
        self.client: Any = clients.client("dynamodb", region)

    def query(self, query: EventQuery, now: datetime) -> list[StoredEvent]:
        # Only names the expressions use: DynamoDB refuses an unused one (ValidationException).
        names = {"#exp": "expiration"}
        values: dict[str, Any] = {":now": {"N": str(int(now.timestamp()))}}
        if query.detail_type is not None:
            names["#key"] = "pk"
            values[":key"] = {"S": f"{query.source}#{query.detail_type}"}
            index = None
        else:
            names["#key"] = "source"
            values[":key"] = {"S": query.source}
            index = SOURCE_INDEX
        condition = "#key = :key"
        since = query.since_text(now)
        if since is not None:
            condition += " AND #sk >= :since"
            names["#sk"] = "sk"
            values[":since"] = {"S": since}
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            # TTL deletion lags by up to days: an expired item is not an answer.
            "FilterExpression": "#exp > :now",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        if index is not None:
            request["IndexName"] = index
        found: list[StoredEvent] = []
        while len(found) < query.limit:
            response = self.client.query(**request, Limit=query.limit)
            found += [stored_event(_plain(item)) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found[: query.limit]

    def item_count(self) -> int | None:
        table = self.client.describe_table(TableName=self.table_name)["Table"]
        count = table.get("ItemCount")
        return None if count is None else int(count)
