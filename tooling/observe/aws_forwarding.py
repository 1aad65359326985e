"""The AWS side of the monitor's forwarding view: the rule on the default bus (DescribeRule,
ListTargetsByRule) and its metrics (one GetMetricData call). A default-bus rule publishes its AWS/Events
metrics under the RuleName dimension alone, unlike the custom bus's rules (EventBusName + RuleName)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from tooling.observe.forwarding import ForwardingMetrics, ForwardingRuleInfo

DEFAULT_BUS = "default"
# ForwardingMetrics field -> AWS/Events metric name (all Sum).
METRICS = {
    "matched_events": "MatchedEvents",
    "invocations": "Invocations",
    "failed_invocations": "FailedInvocations",
    "dead_letter_invocations": "DeadLetterInvocations",
    "invocations_failed_to_be_sent_to_dlq": "InvocationsFailedToBeSentToDlq",
}


def describe_forwarding(events: Any, rule_arn: str) -> ForwardingRuleInfo | None:
    name = rule_arn.rsplit("/", 1)[-1]
    try:
        rule = events.describe_rule(Name=name, EventBusName=DEFAULT_BUS)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    targets = [
        target
        for page in events.get_paginator("list_targets_by_rule").paginate(Rule=name, EventBusName=DEFAULT_BUS)
        for target in page.get("Targets", [])
    ]
    first = targets[0] if targets else {}
    return ForwardingRuleInfo(
        name=name,
        state=rule.get("State", "UNKNOWN"),
        event_pattern=rule.get("EventPattern"),
        target_arn=first.get("Arn"),
        dead_letter_arn=(first.get("DeadLetterConfig") or {}).get("Arn"),
    )


def forwarding_metrics(cloudwatch: Any, rule_name: str, start: datetime, end: datetime) -> ForwardingMetrics:
    period = 60 * max(1, math.ceil((end - start).total_seconds() / 60))  # one datapoint: the whole window
    dims = [{"Name": "RuleName", "Value": rule_name}]
    fields = list(METRICS)
    queries = [
        {
            "Id": f"f{i}",
            "MetricStat": {
                "Metric": {"Namespace": "AWS/Events", "MetricName": METRICS[field], "Dimensions": dims},
                "Period": period,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
        for i, field in enumerate(fields)
    ]
    totals = dict.fromkeys(fields, 0.0)
    kwargs: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end}
    while True:
        page = cloudwatch.get_metric_data(**kwargs)
        for result in page.get("MetricDataResults", []):
            totals[fields[int(result["Id"][1:])]] += sum(float(v) for v in result.get("Values", []))
        token = page.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token
    return ForwardingMetrics(**{field: int(value) for field, value in totals.items()})
