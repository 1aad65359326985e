"""AWS's service limits that several seams enforce (config validation, the publisher, the local target, the
e2e emulator), each with the page that states it. One place, so a limit AWS raises is raised once.
"""

from __future__ import annotations

KIB = 1024
MIB = 1024 * KIB

# -- Event size --------------------------------------------------------------------------------------
# EventBridge, SQS and asynchronous Lambda accept payloads up to 1 MB since 29 January 2026 ("More room to
# build: serverless services now support payloads up to 1 MB",
# https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb);
# SQS states its limit as 1 MiB (MaximumMessageSize up to 1,048,576 bytes), which is the figure used here.
# EventBridge counts a PutEvents entry as
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html says (Time 14 bytes, Source,
# DetailType, Detail and each Resources entry in UTF-8 bytes: tooling.publish.events.entry_size), and the
# same limit bounds the total of one request's entries.
EVENT_ENTRY_BYTES = 1 * MIB
PUT_EVENTS_REQUEST_BYTES = 1 * MIB
# An SQS message (the batch queue): https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
SQS_MESSAGE_BYTES = 1 * MIB
# SNS did not move: a message is at most 256 KiB
# (https://docs.aws.amazon.com/general/latest/gr/sns.html, "Message size"), so EventBridge's Publish of a
# larger event to an SNS target fails, as any client error: not retried, the rule's FailedInvocations, the
# event to the target's dead-letter queue.
SNS_MESSAGE_BYTES = 256 * KIB
# Step Functions StartExecution input: at most 256 KiB
# (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, "Maximum input or output size").
STEP_FUNCTIONS_INPUT_BYTES = 256 * KIB
# A Firehose record before base64: at most 1,000 KiB
# (https://docs.aws.amazon.com/firehose/latest/dev/limits.html).
FIREHOSE_RECORD_BYTES = 1000 * KIB

# -- Rules -------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (Custom Event Bus - Classic quotas):
# "Event pattern size: 2048, the maximum size of an event pattern in characters".
EVENT_PATTERN_CHARS = 2048
# Same page, "Number of rules": 300 per event bus, 100 in af-south-1 and eu-south-1 (adjustable, so a
# raised quota is set in [limits] rules_per_bus).
RULES_PER_BUS = 300
RULES_PER_BUS_BY_REGION = {"af-south-1": 100, "eu-south-1": 100}
# Same page, "Rules containing wildcards: 30 rules per event bus ... This quota cannot be adjusted."
WILDCARD_RULES_PER_BUS = 30
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html: "Each rule can have up to
# five (5) targets associated with it at one time."
TARGETS_PER_RULE = 5


def rules_per_bus(region: str) -> int:
    """The default rules-per-bus quota of a region."""
    return RULES_PER_BUS_BY_REGION.get(region, RULES_PER_BUS)


# -- Deliveries a target's service refuses for size ------------------------------------------------------
# EventBridge takes events up to 1 MiB, but these services take less: delivering a larger payload is a client
# error EventBridge does not retry (FailedInvocations, the target's dead-letter queue with the service's
# answer). The local target (tooling/local/payload_limits.py) and the e2e emulator both ask here.
DELIVERY_ERROR_CODE = "SDK_CLIENT_ERROR"  # the ERROR_CODE EventBridge's dead-letter message carries
_DELIVERY_LIMITS: dict[str, tuple[int, str]] = {
    # By the service of the target ARN (arn:aws:<service>:...). SNS Publish answers InvalidParameter.
    "sns": (SNS_MESSAGE_BYTES, "Invalid parameter: Message too long"),
    "states": (
        STEP_FUNCTIONS_INPUT_BYTES,
        "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length "
        f"less than or equal to {STEP_FUNCTIONS_INPUT_BYTES}",
    ),
    "firehose": (
        FIREHOSE_RECORD_BYTES,
        "1 validation error detected: Value at 'record.data' failed to satisfy constraint: Member must have "
        f"length less than or equal to {FIREHOSE_RECORD_BYTES}",
    ),
}


def delivery_refusal(service: str, payload: str) -> str | None:
    """The service's error message when `payload` (what the target receives: the event or the transformer's
    output) is too large for it, else None."""
    limit = _DELIVERY_LIMITS.get(service)
    if limit is None:
        return None
    size = len(payload) if payload.isascii() else len(payload.encode())
    return limit[1] if size > limit[0] else None
