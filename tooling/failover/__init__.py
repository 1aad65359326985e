"""[failover]'s operations: the global endpoint's status and the failover drill (no typer here).

    status(backend) -> EndpointStatus              state, health check, alarm, receiving region,
                                                   replication and its lag where measurable
    drill.drill(backend, bus, ...) -> DrillReport  fail over, prove traffic lands and is processed in the
                                                   secondary, fail back, count lost and duplicated effects
    drill.refuse_unconfirmed(environment, yes)     prod needs --yes

`backend` is a FailoverBackend (tooling/failover/backend.py): tooling/failover/aws.py on AWS,
tooling/local/failover_source.py on the local target; tooling/targets.py picks one. The package's top
imports only the backend protocol, so the local target can implement it without loading the publisher.
"""

from __future__ import annotations

from tooling.failover.backend import FailoverBackend, StoredItem
from tooling.observe.failover import EndpointStatus

__all__ = ["EndpointStatus", "FailoverBackend", "StoredItem", "status"]


def status(backend: FailoverBackend) -> EndpointStatus:
    """The endpoint now, as the target reports it."""
    return backend.status()
