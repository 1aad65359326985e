"""What a routing-table target's service refuses for size (tooling.aws_limits.delivery_refusal), by logical
target: the local engine fails that one delivery as EventBridge does (FailedInvocations, the target's DLQ).
"""

from __future__ import annotations

from tooling import aws_limits
from tooling.config import S3_ARCHIVE_TARGET
from tooling.order_workflow import WORKFLOW_TARGET

CODE = aws_limits.DELIVERY_ERROR_CODE
# The routing table's logical targets on the services with a limit below EventBridge's 1 MiB.
SERVICE_OF_TARGET = {"notifications": "sns", WORKFLOW_TARGET: "states", S3_ARCHIVE_TARGET: "firehose"}


def target_refusal(target_kind: str, payload: str) -> str | None:
    """delivery_refusal() for a logical target (notifications, order-workflow, s3-archive)."""
    service = SERVICE_OF_TARGET.get(target_kind)
    return None if service is None else aws_limits.delivery_refusal(service, payload)
