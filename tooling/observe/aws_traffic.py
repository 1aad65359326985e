"""The AWS side of `tooling cost --measured`: the window's traffic from CloudWatch, in one GetMetricData
(pages followed), reading nothing else and writing nothing.

    AWS/Events  PutEventsEntriesCount, PutEventsRequestSize (no dimension: the account in the region; there
                is no per-bus PutEvents metric), MatchedEvents per rule (EventBusName, RuleName; the
                default bus's forwarding rule by RuleName alone)
    AWS/Lambda  Invocations; Duration as Sum and SampleCount (their ratio is the mean the bill uses)
    AWS/Logs    IncomingBytes per log group
A metric without datapoints reads as 0 (an idle window is a valid measurement).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tooling.clients import client
from tooling.observe.traffic import MeasuredTraffic, TrafficRequest

MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit on MetricDataQueries


@dataclass(frozen=True)
class _Query:
    kind: str  # bus | rule | forwarding | invocations | duration_sum | duration_count | logs
    key: str
    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str


class AwsTrafficSource:
    def __init__(self, region: str) -> None:
        self.region = region

    def measure(self, request: TrafficRequest) -> MeasuredTraffic:
        queries = _queries(request)
        values = self._values(request, queries)

        def total(kind: str, key: str = "") -> float:
            return sum(values.get(i, 0.0) for i, q in enumerate(queries) if q.kind == kind and q.key == key)

        entries = total("bus", "PutEventsEntriesCount")
        request_bytes = total("bus", "PutEventsRequestSize")
        durations: dict[str, float | None] = {}
        for key in request.functions:
            count = total("duration_count", key)
            durations[key] = total("duration_sum", key) / count if count else None
        return MeasuredTraffic(
            window=request.window,
            bus_scope="account",
            bus_events=round(entries),
            # The request size includes the request's JSON framing: a slight overestimate of the entries.
            entry_bytes=request_bytes / entries if entries else None,
            matched={key: round(total("rule", key)) for key in request.rules},
            forwarded=round(total("forwarding", "forwarding")) if request.forwarding_rule else 0,
            invocations={key: round(total("invocations", key)) for key in request.functions},
            duration_ms=durations,
            log_bytes={key: round(total("logs", key)) for key in request.log_groups},
        )

    def _values(self, request: TrafficRequest, queries: list[_Query]) -> dict[int, float]:
        period = 60 * math.ceil(request.window.seconds / 60)
        cloudwatch = client("cloudwatch", self.region)
        values: dict[int, float] = {}
        for first in range(0, len(queries), MAX_QUERIES_PER_CALL):
            chunk = list(enumerate(queries))[first : first + MAX_QUERIES_PER_CALL]
            kwargs: dict[str, Any] = {
                "MetricDataQueries": [_metric_query(index, query, period) for index, query in chunk],
                "StartTime": request.window.start,
                "EndTime": request.window.end,
            }
            while True:
                page = cloudwatch.get_metric_data(**kwargs)
                for result in page.get("MetricDataResults", []):
                    index = int(str(result["Id"]).removeprefix("q"))
                    values[index] = values.get(index, 0.0) + sum(float(v) for v in result.get("Values", []))
                token = page.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
        return values


def _metric_query(index: int, query: _Query, period: int) -> dict[str, Any]:
    return {
        "Id": f"q{index}",
        "MetricStat": {
            "Metric": {
                "Namespace": query.namespace,
                "MetricName": query.metric,
                "Dimensions": [{"Name": name, "Value": value} for name, value in query.dimensions],
            },
            "Period": period,
            "Stat": query.stat,
        },
        "ReturnData": True,
    }


def _queries(request: TrafficRequest) -> list[_Query]:
    queries = [
        _Query("bus", metric, "AWS/Events", metric, (), "Sum")
        for metric in ("PutEventsEntriesCount", "PutEventsRequestSize")
    ]
    dims: tuple[tuple[str, str], ...]
    for key, name in request.rules.items():
        dims = (("EventBusName", request.bus_name), ("RuleName", name))
        queries.append(_Query("rule", key, "AWS/Events", "MatchedEvents", dims, "Sum"))
    if request.forwarding_rule:
        dims = (("RuleName", request.forwarding_rule),)
        queries.append(_Query("forwarding", "forwarding", "AWS/Events", "MatchedEvents", dims, "Sum"))
    for key, name in request.functions.items():
        dims = (("FunctionName", name),)
        queries += [
            _Query("invocations", key, "AWS/Lambda", "Invocations", dims, "Sum"),
            _Query("duration_sum", key, "AWS/Lambda", "Duration", dims, "Sum"),
            _Query("duration_count", key, "AWS/Lambda", "Duration", dims, "SampleCount"),
        ]
    for key, group in request.log_groups.items():
        queries.append(_Query("logs", key, "AWS/Logs", "IncomingBytes", (("LogGroupName", group),), "Sum"))
    return queries
