"""Samples of AWS service events, as the services put them on the account's default bus (and as the
forwarding rule delivers them, unchanged, to the custom bus): `tooling events sample ec2-state-change`,
usable with `tooling publish file --bus default` on the local target.

Field shapes follow the events EC2 and AWS Health emit: EC2's detail holds `instance-id` and `state`, and
the instance's ARN is the event's only resource; Health's detail describes the event with its affected
entities.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

EC2_SOURCE = "aws.ec2"
EC2_STATE_CHANGE = "EC2 Instance State-change Notification"
HEALTH_SOURCE = "aws.health"
HEALTH_EVENT = "AWS Health Event"
EC2_STATES = ("pending", "running", "stopping", "stopped", "shutting-down", "terminated")

# kind -> (source, detail-type)
AWS_SAMPLES: dict[str, tuple[str, str]] = {
    "ec2-state-change": (EC2_SOURCE, EC2_STATE_CHANGE),
    "health-event": (HEALTH_SOURCE, HEALTH_EVENT),
}


def _digest(seed: int | None, what: str) -> str:
    basis = f"{what}-{seed}" if seed is not None else f"{what}-{uuid.uuid4()}"
    return hashlib.sha256(basis.encode()).hexdigest()


def aws_service_event(
    kind: str, *, region: str, account: str, now: datetime, seed: int | None = None
) -> dict[str, Any]:
    """The EventBridge event of AWS sample `kind` (one of AWS_SAMPLES)."""
    source, detail_type = AWS_SAMPLES[kind]
    digest = _digest(seed, kind)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "ec2-state-change":
        instance = f"i-{digest[:17]}"
        resources = [f"arn:aws:ec2:{region}:{account}:instance/{instance}"]
        detail: dict[str, Any] = {"instance-id": instance, "state": EC2_STATES[int(digest[17:19], 16) % 6]}
    else:
        code = "AWS_EC2_OPERATIONAL_ISSUE"
        event_arn = f"arn:aws:health:{region}::event/EC2/{code}/{code}_{digest[:8].upper()}"
        resources = []
        detail = {
            "eventArn": event_arn,
            "service": "EC2",
            "eventTypeCode": code,
            "eventTypeCategory": "issue",
            "eventScopeCode": "PUBLIC",
            "communicationId": digest[:40],
            "startTime": now.strftime("%a, %d %b %Y %H:%M:%S GMT"),
            "lastUpdatedTime": now.strftime("%a, %d %b %Y %H:%M:%S GMT"),
            "statusCode": "open",
            "eventRegion": region,
            "eventDescription": [
                {
                    "language": "en_US",
                    "latestDescription": f"We are investigating increased API error rates in {region}.",
                }
            ],
            "affectedAccount": account,
            "page": "1",
            "totalPages": "1",
        }
    return {
        "version": "0",
        "id": str(uuid.UUID(digest[:32])),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": stamp,
        "region": region,
        "resources": resources,
        "detail": detail,
    }
