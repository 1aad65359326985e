"""What the e2e run asks the emulator: the dashboard as CloudWatch stored it, and, after `tooling destroy`,
anything of the stack that any service still lists."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

# service -> names of what exists, from one list call (moto's small answers fit in one page).
_LISTERS: dict[str, Callable[[Any, str], list[str]]] = {
    "events": lambda c, p: (
        [b["Name"] for b in c.list_event_buses(NamePrefix=p)["EventBuses"]]
        + [r["Name"] for r in c.list_rules(NamePrefix=p)["Rules"]]
        + [a["ArchiveName"] for a in c.list_archives(NamePrefix=p)["Archives"]]
        + [e["Name"] for e in c.list_endpoints(NamePrefix=p)["Endpoints"]]
    ),
    # Health checks have no name: one on an alarm of the stack is the stack's.
    "route53": lambda c, p: [
        f"health check {h['Id']} on alarm {(h['HealthCheckConfig'].get('AlarmIdentifier') or {}).get('Name')}"
        for h in c.list_health_checks()["HealthChecks"]
    ],
    "sqs": lambda c, p: c.list_queues(QueueNamePrefix=p).get("QueueUrls", []),
    "sns": lambda c, p: (
        [t["TopicArn"] for t in c.list_topics()["Topics"]]
        + [s["SubscriptionArn"] for s in c.list_subscriptions()["Subscriptions"]]
    ),
    "lambda": lambda c, p: (
        [f["FunctionName"] for f in c.list_functions()["Functions"]]
        + [f"{m['UUID']} ({m['FunctionArn']})" for m in c.list_event_source_mappings()["EventSourceMappings"]]
    ),
    "dynamodb": lambda c, p: c.list_tables()["TableNames"],
    "iam": lambda c, p: [r["RoleName"] for r in c.list_roles()["Roles"]],
    "kms": lambda c, p: (
        [a["AliasName"] for a in c.list_aliases()["Aliases"]]
        + [k["KeyId"] for k in c.list_keys()["Keys"] if _key_alive(c, k["KeyId"], p)]
    ),
    "logs": lambda c, p: [g["logGroupName"] for g in c.describe_log_groups()["logGroups"]],
    "cloudwatch": lambda c, p: (
        [a["AlarmName"] for a in c.describe_alarms(AlarmNamePrefix=p)["MetricAlarms"]]
        + [d["DashboardName"] for d in c.list_dashboards(DashboardNamePrefix=p)["DashboardEntries"]]
    ),
    "stepfunctions": lambda c, p: [m["name"] for m in c.list_state_machines()["stateMachines"]],
    "firehose": lambda c, p: c.list_delivery_streams()["DeliveryStreamNames"],
    # S3 bucket names are global: the region loop asks the same list again, which costs nothing.
    "s3": lambda c, p: [b["Name"] for b in c.list_buckets()["Buckets"]],
    "schemas": lambda c, p: [
        r["RegistryName"] for r in c.list_registries(RegistryNamePrefix=p)["Registries"]
    ],
}


def _key_alive(client: Any, key_id: str, prefix: str) -> bool:
    """A key of the stack that is not scheduled for deletion (deleting a KMS key always waits 7-30 days)."""
    meta = client.describe_key(KeyId=key_id)["KeyMetadata"]
    return prefix in meta.get("Description", "") and meta.get("KeyState") != "PendingDeletion"


def client(service: str, region: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(
        service, region_name=region, endpoint_url=endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip


def queue_depth(url: str, region: str, endpoint: str) -> int:
    """Messages waiting in a queue, as SQS counts them."""
    answer = client("sqs", region, endpoint).get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(answer["Attributes"]["ApproximateNumberOfMessages"])


def archive_event_count(name: str, region: str, endpoint: str) -> int:
    """Events the archive of the custom bus holds: what reached that bus, from any sender."""
    return int(client("events", region, endpoint).describe_archive(ArchiveName=name).get("EventCount", 0))


def consumer_problems(
    queue_arn: str, table: str, batch_size: int, window: int, region: str, endpoint: str
) -> list[str]:
    """What differs between the batch consumer as configured and as the emulator holds it: the queue's event
    source mapping (batch size, window, ReportBatchItemFailures) and the event store table's key."""
    problems: list[str] = []
    mappings = client("lambda", region, endpoint).list_event_source_mappings(EventSourceArn=queue_arn)
    found = mappings["EventSourceMappings"]
    if len(found) != 1:
        problems.append(f"{len(found)} event source mapping(s) on the batch queue, not 1")
    for mapping in found:
        got = (
            mapping.get("BatchSize"),
            mapping.get("MaximumBatchingWindowInSeconds", 0),
            mapping.get("FunctionResponseTypes", []),
        )
        if got != (batch_size, window, ["ReportBatchItemFailures"]):
            problems.append(f"event source mapping (batch size, window, response types) is {got}")
    if table:
        described = client("dynamodb", region, endpoint).describe_table(TableName=table)["Table"]
        keys = sorted((k["AttributeName"], k["KeyType"]) for k in described["KeySchema"])
        if keys != [("pk", "HASH"), ("sk", "RANGE")]:
            problems.append(f"event store {table} has the key {keys}, not pk/sk")
    return problems


def dashboard_problems(body: dict[str, Any]) -> list[str]:
    """PutDashboard's rule for metric widgets: `metrics` is an array of arrays of strings, each array
    optionally ending with one options object. A flat list is rejected by AWS (but stored by moto)."""
    problems: list[str] = []
    for index, widget in enumerate(body.get("widgets", [])):
        metrics = widget.get("properties", {}).get("metrics")
        if widget.get("type") != "metric" or metrics is None:
            continue
        for position, metric in enumerate(metrics):
            items = (
                metric[:-1]
                if isinstance(metric, list) and metric and isinstance(metric[-1], dict)
                else metric
            )
            if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
                problems.append(f"widgets[{index}].properties.metrics[{position}] is not an array of strings")
    return problems


def dashboards(prefix: str, region: str, endpoint: str) -> dict[str, dict[str, Any]]:
    """The stack's dashboards as stored: name -> parsed body."""
    cloudwatch = client("cloudwatch", region, endpoint)
    names = [
        d["DashboardName"] for d in cloudwatch.list_dashboards(DashboardNamePrefix=prefix)["DashboardEntries"]
    ]
    return {name: json.loads(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"]) for name in names}


def leftovers(prefix: str, regions: list[str], endpoint: str) -> list[str]:
    """`service region: name` for every resource whose name or ARN still contains `prefix`."""
    found: list[str] = []
    for region in dict.fromkeys(regions):
        for service, lister in _LISTERS.items():
            names = lister(client(service, region, endpoint), prefix)
            found += [f"{service} {region}: {name}" for name in names if prefix in name]
    return found


def archive_records(bucket: str, region: str, endpoint: str) -> tuple[int, int]:
    """(objects, records) of the S3 event archive outside errors/: gzip JSON lines, one record a line."""
    import gzip

    s3 = client("s3", region, endpoint)
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
        if not o["Key"].startswith("errors/")
    ]
    records = 0
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        records += len([line for line in gzip.decompress(body).splitlines() if line.strip()])
    return len(keys), records


def empty_bucket(bucket: str, region: str, endpoint: str) -> int:
    """Delete every version and delete marker of a versioned bucket (Terraform refuses to delete a bucket
    that holds objects, on purpose: the archive is data); return how many were deleted."""
    s3 = client("s3", region, endpoint)
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
            deleted += 1
    return deleted
