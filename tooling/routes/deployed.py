"""The routing table as deployed, and the deployment's own event archive: the seam each target implements
(tooling/local/routes_source.py for the local target, aws_deployed.py for AWS; tooling/targets.py picks)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Protocol

from tooling.routes.chunks import Chunk
from tooling.routes.model import Routes


class DeployedRoutes(Protocol):
    def deployed_routes(self) -> Routes:
        """The rules on the bus with their patterns, states and targets (transformers included)."""
        ...

    def archived_chunks(self, since: date | None, until: date | None) -> tuple[Iterator[Chunk], str]:
        """The bus's EventBridge archive for [since, until] as JSON-lines chunks, and how to name it."""
        ...

    def close(self) -> None: ...
