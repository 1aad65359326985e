"""What a target's service refuses for size, as EventBridge meets it when it delivers (tooling.aws_limits).

EventBridge accepts events up to 1 MiB, but SNS, Step Functions and Firehose take less: delivering a larger
payload is a client error that EventBridge does not retry, so the rule counts a FailedInvocation and the
event goes to the target's dead-letter queue with the service's answer. The payload measured is what the
target receives: the event, or the input transformer's output. The local engine and the e2e emulator
(tooling_testing/emulator/moto_patches.py) both ask here.
"""

from __future__ import annotations

from tooling import aws_limits
from tooling.config import S3_ARCHIVE_TARGET
from tooling.order_workflow import WORKFLOW_TARGET

# Every refusal is an SDK client error to EventBridge (the ERROR_CODE its dead-letter message carries).
CODE = "SDK_CLIENT_ERROR"
# By the service of the target ARN (arn:aws:<service>:...).
_LIMITS: dict[str, tuple[int, str]] = {
    # SNS Publish: InvalidParameter.
    "sns": (aws_limits.SNS_MESSAGE_BYTES, "Invalid parameter: Message too long"),
    # StartExecution: the input's length constraint.
    "states": (
        aws_limits.STEP_FUNCTIONS_INPUT_BYTES,
        "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length "
        f"less than or equal to {aws_limits.STEP_FUNCTIONS_INPUT_BYTES}",
    ),
    # PutRecord: the record's data constraint.
    "firehose": (
        aws_limits.FIREHOSE_RECORD_BYTES,
        "1 validation error detected: Value at 'record.data' failed to satisfy constraint: Member must have "
        f"length less than or equal to {aws_limits.FIREHOSE_RECORD_BYTES}",
    ),
}
# The routing table's logical targets on those services.
SERVICE_OF_TARGET = {"notifications": "sns", WORKFLOW_TARGET: "states", S3_ARCHIVE_TARGET: "firehose"}


def refusal(service: str, payload: str) -> str | None:
    """The service's error message when `payload` is too large for it, else None."""
    limit = _LIMITS.get(service)
    if limit is None:
        return None
    size = len(payload) if payload.isascii() else len(payload.encode())
    return limit[1] if size > limit[0] else None


def target_refusal(target_kind: str, payload: str) -> str | None:
    """refusal() for a logical target of the routing table (notifications, order-workflow, s3-archive)."""
    service = SERVICE_OF_TARGET.get(target_kind)
    return None if service is None else refusal(service, payload)
