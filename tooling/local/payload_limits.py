"""What a target's service refuses for size, as EventBridge meets it when it delivers (tooling.aws_limits).

EventBridge accepts events up to 1 MiB, but SNS, Step Functions and Firehose take less: delivering a larger
payload is a client error that EventBridge does not retry, so the rule counts a FailedInvocation and the
event goes to the target's dead-letter queue with the service's answer (the local engine's
_failed_hand_off). The payload measured is what the target receives: the event, or the input transformer's
output.
"""

from __future__ import annotations

from tooling import aws_limits
from tooling.config import S3_ARCHIVE_TARGET
from tooling.order_workflow import WORKFLOW_TARGET

# Every refusal is an SDK client error to EventBridge (the ERROR_CODE its dead-letter message carries).
CODE = "SDK_CLIENT_ERROR"
_LIMITS: dict[str, tuple[int, str]] = {
    # SNS Publish: InvalidParameter.
    "notifications": (aws_limits.SNS_MESSAGE_BYTES, "Invalid parameter: Message too long"),
    # StartExecution: the input's length constraint.
    WORKFLOW_TARGET: (
        aws_limits.STEP_FUNCTIONS_INPUT_BYTES,
        "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length "
        f"less than or equal to {aws_limits.STEP_FUNCTIONS_INPUT_BYTES}",
    ),
    # PutRecord: the record's data constraint.
    S3_ARCHIVE_TARGET: (
        aws_limits.FIREHOSE_RECORD_BYTES,
        "1 validation error detected: Value at 'record.data' failed to satisfy constraint: Member must have "
        f"length less than or equal to {aws_limits.FIREHOSE_RECORD_BYTES}",
    ),
}


def refusal(target_kind: str, payload: str) -> str | None:
    """The service's error message when `payload` is too large for a target of this kind, else None."""
    limit = _LIMITS.get(target_kind)
    if limit is None:
        return None
    size = len(payload) if payload.isascii() else len(payload.encode())
    return limit[1] if size > limit[0] else None
