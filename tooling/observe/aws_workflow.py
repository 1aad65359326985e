"""The workflow's executions on AWS: Step Functions ListExecutions (newest first, stopping at the window's
start) and DescribeExecution for each new one's input and outcome. An EXPRESS state machine cannot be listed
(StateMachineTypeNotSupported): then `executions` answers None."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from tooling import clients
from tooling.errors import AwsError
from tooling.observe.workflow import WorkflowExecution

NOT_LISTABLE = "StateMachineTypeNotSupported"
# Statuses that no longer change: their description is kept, not asked for again.
FINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


class AwsWorkflowSource:
    def __init__(self, state_machine_arn: str, region: str, sfn: Any | None = None) -> None:
        self.arn = state_machine_arn
        self._sfn = sfn if sfn is not None else clients.client("stepfunctions", region)
        self._final: dict[str, WorkflowExecution] = {}

    def executions(self, since: datetime) -> list[WorkflowExecution] | None:
        found: list[WorkflowExecution] = []
        try:
            for listed in self._listed(since):
                found.append(self._final.get(listed["executionArn"]) or self._describe(listed))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == NOT_LISTABLE:
                return None
            if code == "StateMachineDoesNotExist":
                raise AwsError(
                    f"state machine {self.arn} does not exist",
                    hint="apply the environment again (the order-workflow target creates it)",
                ) from None
            raise
        return sorted(found, key=lambda e: e.started)

    def _listed(self, since: datetime) -> list[dict[str, Any]]:
        """ListExecutions pages (newest first) down to the first execution older than `since`."""
        listed: list[dict[str, Any]] = []
        request: dict[str, Any] = {"stateMachineArn": self.arn, "maxResults": 100}
        while True:
            page = self._sfn.list_executions(**request)
            for execution in page.get("executions", []):
                if execution["startDate"] < since:
                    return listed
                listed.append(execution)
            token = page.get("nextToken")
            if not token:
                return listed
            request["nextToken"] = token

    def _describe(self, listed: dict[str, Any]) -> WorkflowExecution:
        described = self._sfn.describe_execution(executionArn=listed["executionArn"])
        execution = WorkflowExecution(
            name=str(described.get("name", listed.get("name", ""))),
            status=str(described.get("status", listed.get("status", ""))),
            started=described.get("startDate", listed["startDate"]),
            input=str(described.get("input") or ""),
            error=described.get("error"),
            cause=described.get("cause"),
        )
        if execution.status in FINAL:
            self._final[listed["executionArn"]] = execution
        return execution
