"""Pick the monitor, log and replay sources of the target the outputs were produced by.

The aws side lives in `tooling/aws_monitor.py`; the local side in `tooling.local`, which exposes
`local_monitor_source`, `local_log_source` and `local_replay_source`, each called as `(workspace, outputs)`.
Both are imported lazily so one target never loads the other's code.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from tooling.errors import ToolingError
from tooling.logs import LogSource
from tooling.monitor import MonitorSource
from tooling.outputs import DeploymentOutputs
from tooling.replay import ReplaySource
from tooling.workspace import Workspace


@dataclass(frozen=True)
class Sources:
    """Factories (not instances): a command builds only the source it needs."""

    outputs: DeploymentOutputs
    workspace: Workspace

    def monitor(self) -> MonitorSource:
        if self.outputs.target == "local":
            source: MonitorSource = _local("local_monitor_source")(self.workspace, self.outputs)
            return source
        from tooling.aws_monitor import AwsMonitorSource

        return AwsMonitorSource(self.outputs)

    def logs(self) -> LogSource:
        if self.outputs.target == "local":
            source: LogSource = _local("local_log_source")(self.workspace, self.outputs)
            return source
        from tooling.aws_monitor import AwsLogSource

        return AwsLogSource(self.outputs.region)

    def replay(self) -> ReplaySource:
        if self.outputs.target == "local":
            source: ReplaySource = _local("local_replay_source")(self.workspace, self.outputs)
            return source
        from tooling.aws_monitor import AwsReplaySource

        return AwsReplaySource(self.outputs)


def sources_for(outputs: DeploymentOutputs, workspace: Workspace) -> Sources:
    return Sources(outputs=outputs, workspace=workspace)


def _local(factory: str) -> Any:
    # importlib rather than `from tooling.local import ...`: the package is optional at type-check time and
    # this keeps the aws path from ever importing the emulator.
    try:
        module = importlib.import_module("tooling.local")
    except ModuleNotFoundError as exc:
        if exc.name not in ("tooling.local", "tooling"):
            raise
        raise ToolingError(
            "the local target is not available in this installation",
            hint="deploy to AWS and use --target aws, or install the full tooling package",
        ) from None
    try:
        return getattr(module, factory)
    except AttributeError:
        raise ToolingError(f"the local target does not provide {factory}") from None
