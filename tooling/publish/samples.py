"""Sample events, as the functions receive them: `tooling events sample KIND` (like `sam local
generate-event`) and the input of `tooling invoke`.

An EventBridge event is the envelope a rule delivers to a Lambda target (processor, analytics); the SNS
and SQS kinds wrap one the way SNS (notifier) and an SQS event source mapping deliver it. The business
content comes from the publisher's EventFactory, so a sample passes the schemas in `schemas/`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from tooling.errors import UsageError
from tooling.publish.aws_samples import AWS_SAMPLES, aws_service_event
from tooling.publish.events import SOURCES, EventFactory, EventKind

ACCOUNT_ID = "123456789012"
# kind -> (event kind, detail-type, amount)
EVENT_SAMPLES: dict[str, tuple[EventKind, str, float | None]] = {
    "order-created": ("order", "Order Created", 250.0),
    "order-updated": ("order", "Order Updated", 250.0),
    "order-cancelled": ("order", "Order Cancelled", 250.0),
    "high-value-order": ("order", "Order Created", 1500.0),
    "user-registered": ("user", "User Registered", None),
    "payment": ("payment", "Payment Processed", None),
    "inventory": ("inventory", "Stock Updated", None),
    "stock-depleted": ("inventory", "Stock Depleted", None),
}
# The message the high-value-orders rule's input transformer publishes to SNS (environments/*.toml;
# tests/unit/test_samples.py renders that transformer and compares).
HIGH_VALUE_TEMPLATE = "High-value order {orderId} from customer {customerId}: {totalAmount} {currency}"
ENVELOPE_SAMPLES = {
    "sns-high-value-order": "the notifier's input: SNS carrying the high-value-orders transformer's text",
    "sns-order-created": "SNS carrying a whole EventBridge event (an SNS target without a transformer)",
    "sqs-order-created": "an SQS event source mapping's batch of one EventBridge event (the batch queue)",
}
SAMPLE_KINDS = (*EVENT_SAMPLES, *ENVELOPE_SAMPLES, *AWS_SAMPLES)


def describe(kind: str) -> str:
    if kind in EVENT_SAMPLES:
        _, detail_type, _ = EVENT_SAMPLES[kind]
        return f"EventBridge event {detail_type!r} (a rule's Lambda target: processor, analytics)"
    if kind in AWS_SAMPLES:
        source, detail_type = AWS_SAMPLES[kind]
        return f"AWS service event {detail_type!r} ({source}; publish file --bus default)"
    return ENVELOPE_SAMPLES[kind]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def eventbridge_event(kind: str, *, region: str, seed: int | None = None, now: datetime | None = None) -> Any:
    event_kind, detail_type, amount = EVENT_SAMPLES[kind]
    entry = EventFactory(seed=seed).entry(event_kind, detail_type, amount=amount)
    at = now or _now()
    return {
        "version": "0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sample-{seed}"))
        if seed is not None
        else str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": SOURCES[event_kind],
        "account": ACCOUNT_ID,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": json.loads(entry["Detail"]),
    }


def sns_envelope(message: str, *, region: str, topic: str, now: datetime) -> dict[str, Any]:
    topic_arn = f"arn:aws:sns:{region}:{ACCOUNT_ID}:{topic}"
    message_id = str(uuid.uuid5(uuid.NAMESPACE_URL, message))
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid5(uuid.NAMESPACE_URL, topic_arn)}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic_arn,
                    "Subject": None,
                    "Message": message,
                    "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-0.pem",
                    "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def sqs_envelope(body: str, *, region: str, queue: str, now: datetime) -> dict[str, Any]:
    millis = str(int(now.timestamp() * 1000))
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid5(uuid.NAMESPACE_URL, body)),
                "receiptHandle": "AQEB" + hashlib.sha256(body.encode()).hexdigest(),
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": millis,
                    "SenderId": "AIDAEVENTBRIDGE",
                    "ApproximateFirstReceiveTimestamp": millis,
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{queue}",
                "awsRegion": region,
            }
        ]
    }


def sample_event(
    kind: str,
    *,
    region: str = "us-east-1",
    prefix: str = "ecommerce-dev-abc123-",
    seed: int | None = None,
    now: datetime | None = None,
) -> Any:
    """The JSON a function receives for `kind` (one of SAMPLE_KINDS); `prefix` names the topic and queue."""
    if kind not in SAMPLE_KINDS:
        raise UsageError(f"unknown sample kind {kind!r}", hint=f"choose from: {', '.join(SAMPLE_KINDS)}")
    at = now or _now()
    if kind in EVENT_SAMPLES:
        return eventbridge_event(kind, region=region, seed=seed, now=at)
    if kind in AWS_SAMPLES:
        return aws_service_event(kind, region=region, account=ACCOUNT_ID, now=at, seed=seed)
    if kind == "sns-high-value-order":
        detail = eventbridge_event("high-value-order", region=region, seed=seed, now=at)["detail"]
        text = HIGH_VALUE_TEMPLATE.format(**detail)
        return sns_envelope(json.dumps(text), region=region, topic=f"{prefix}notifications", now=at)
    inner = json.dumps(
        eventbridge_event("order-created", region=region, seed=seed, now=at), separators=(",", ":")
    )
    if kind == "sns-order-created":
        return sns_envelope(inner, region=region, topic=f"{prefix}notifications", now=at)
    return sqs_envelope(inner, region=region, queue=f"{prefix}batch-queue", now=at)
