"""The order-fulfilment workflow's executions, read on either target: what `tooling smoke` checks a canary
started (observe/aws_workflow.py over Step Functions, tooling/local/workflow_source.py over the emulation).

Step Functions lists executions only of STANDARD state machines: for an EXPRESS one (the stack's, see
tooling/order_workflow.py) ListExecutions answers StateMachineTypeNotSupported, so on AWS the source says it
cannot list (None) and the caller looks for what the execution published instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from tooling.naming import Arns
from tooling.order_workflow import STATE_MACHINE_SUFFIX
from tooling.outputs import DeploymentOutputs


class WorkflowExecution(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    status: str  # RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    started: datetime  # timezone-aware UTC
    input: str  # the execution's input as the rule sent it (the whole event, without a transformer)
    error: str | None = None
    cause: str | None = None


class WorkflowSource(Protocol):
    def executions(self, since: datetime) -> list[WorkflowExecution] | None:
        """The state machine's executions started at or after `since`, oldest first, with their input; None
        when its executions cannot be listed (an EXPRESS state machine on AWS)."""
        ...


def state_machine_arn(outputs: DeploymentOutputs) -> str:
    """The order-fulfilment state machine's ARN, named as Terraform names it (outputs.tf does not list it):
    `<prefix>-order-fulfilment`, in the bus's region and account."""
    prefix = outputs.event_bus_name.removesuffix("-bus")
    account = outputs.event_bus_arn.split(":")[4] if outputs.event_bus_arn.count(":") >= 5 else ""
    return Arns(outputs.region, account).state_machine(f"{prefix}-{STATE_MACHINE_SUFFIX}")
