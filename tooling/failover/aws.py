"""The failover commands' backend on AWS: the endpoint read by tooling/observe/aws_failover.py, the health
alarm set with CloudWatch SetAlarmState in the primary region, the event store read with DynamoDB Query
(the global table's replica in the primary region holds both regions' writes, a second or so late).

What a drill changes on the account: the health alarm's state (ALARM, then OK; CloudWatch also puts it back
at its next evaluation, so the drill sets it again every REASSERT_SECONDS while it needs it), hence the
Route 53 health check and where the endpoint sends; and it publishes 3 x N ordinary events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tooling.clients import client
from tooling.failover.backend import StoredItem, stored_item
from tooling.observe.aws_failover import AwsEndpointReader
from tooling.observe.failover import EndpointStatus
from tooling.outputs import DeploymentOutputs

POLL_SECONDS = 2.0
REASSERT_SECONDS = 5.0


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB's typed values ({"S": ...}, {"N": ...}) as plain ones (strings and numbers are all we read)."""
    return {name: value.get("S", value.get("N")) for name, value in item.items()}


class AwsFailoverBackend:
    """tooling.failover's FailoverBackend on AWS; the clients may be given (tests stub DescribeEndpoint)."""

    poll_seconds = POLL_SECONDS
    reassert_seconds = REASSERT_SECONDS

    def __init__(
        self,
        outputs: DeploymentOutputs,
        *,
        events: Any = None,
        cloudwatch: Any = None,
        route53: Any = None,
        dynamodb: Any = None,
    ) -> None:
        assert outputs.failover is not None  # tooling/targets.py refuses an environment without it
        self.outputs = outputs
        self.failover = outputs.failover
        region = self.failover.primary_region
        self.cloudwatch = cloudwatch if cloudwatch is not None else client("cloudwatch", region)
        self.reader = AwsEndpointReader(
            self.failover, events=events, cloudwatch=self.cloudwatch, route53=route53
        )
        self._dynamodb = dynamodb

    def close(self) -> None:
        return None

    def status(self) -> EndpointStatus:
        return self.reader.status()

    def set_alarm(self, state: str, reason: str) -> None:
        self.cloudwatch.set_alarm_state(
            AlarmName=self.failover.health_alarm_name, StateValue=state, StateReason=reason
        )

    def stored(self, partitions: Sequence[str], since: str) -> list[StoredItem]:
        table = self.outputs.event_store_table_name
        if not table:
            return []
        if self._dynamodb is None:
            self._dynamodb = client("dynamodb", self.failover.primary_region)
        found: list[StoredItem] = []
        for partition in partitions:
            request: dict[str, Any] = {
                "TableName": table,
                "KeyConditionExpression": "#pk = :pk AND #sk >= :since",
                "ExpressionAttributeNames": {"#pk": "pk", "#sk": "sk"},
                "ExpressionAttributeValues": {":pk": {"S": partition}, ":since": {"S": since}},
                # Read what both regions wrote, not a replica's view from before the last write.
                "ConsistentRead": True,
            }
            while True:
                response = self._dynamodb.query(**request)
                for raw in response.get("Items", []):
                    item = stored_item(_plain(raw))
                    if item is not None:
                        found.append(item)
                if "LastEvaluatedKey" not in response:
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found

    def settle(self) -> None:
        return None  # AWS runs the consumers by itself

    def idle(self) -> bool:
        return True  # not knowable from outside: the drill counts what is stored when it ends
