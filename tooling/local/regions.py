"""The second region of the local target ([failover]): where its state lives and how the primary names it.

With [failover] the local target holds two regions, as AWS would: the primary (the environment's
`region`) in `.tooling/<env>/local.sqlite` as always, and the secondary (`failover.secondary_region`) in
`.tooling/<env>/local.<region>.sqlite`, a store of the same schema with a bus of the same name, its own
rules, targets, queues, functions, archive and counters. Both regions' functions write the same event store
and idempotency files: that is what the DynamoDB global tables are on AWS (one table, written in both
regions; replication between their replicas is not emulated, the local copy is one file).

The primary's meta key `failover` records the endpoint (names, ids, the health alarm's settings) for the
endpoint, the dispatcher, the monitor and the drill; the secondary's `region_role` says it is the secondary.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tooling.config import HealthAlarm
from tooling.local.store import DB_NAME, Store, db_path
from tooling.workspace import Workspace

META_KEY = "failover"
ROLE_KEY = "region_role"
# "true" in both regions' stores while [failover] replication is on: each bus copies to the other.
REPLICATION_KEY = "replication"
SECONDARY = "secondary"


@dataclass(frozen=True)
class LocalFailover:
    """The endpoint of a local environment with [failover], as provisioned."""

    endpoint_name: str
    endpoint_id: str
    endpoint_arn: str
    endpoint_url: str
    primary_region: str
    secondary_region: str
    health_check_id: str
    health_alarm_name: str
    replication: bool
    secondary_consumers: bool
    # [failover.health_alarm] as configured (model_dump): the local alarm evaluates it, periods scaled.
    health_alarm: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LocalFailover:
        return cls(**json.loads(text))

    @property
    def alarm(self) -> HealthAlarm:
        return HealthAlarm.model_validate(self.health_alarm)


def secondary_db_name(region: str) -> str:
    return f"{Path(DB_NAME).stem}.{region}{Path(DB_NAME).suffix}"


def secondary_db_path(workspace: Workspace, region: str) -> Path:
    return workspace.state_dir / secondary_db_name(region)


def secondary_db_files(workspace: Workspace) -> list[Path]:
    """Every secondary store of the environment with its WAL files (a region that was secondary before
    [failover] changed included): what destroy removes."""
    stem, suffix = Path(DB_NAME).stem, Path(DB_NAME).suffix
    # `local.<region>.sqlite` and its -wal/-shm; the primary's `local.sqlite*` has no second dot before it.
    return sorted(workspace.state_dir.glob(f"{stem}.*{suffix}*"))


def load_failover(store: Store) -> LocalFailover | None:
    """The endpoint recorded in the primary's store; None without [failover] (or in the secondary's)."""
    text = store.meta(META_KEY)
    return None if not text else LocalFailover.from_json(text)


def is_secondary(store: Store) -> bool:
    return store.meta(ROLE_KEY) == SECONDARY


def open_secondary(workspace: Workspace, primary: Store) -> Store | None:
    """The secondary region's store of a local environment with [failover]; None without it (or when its
    file is gone: the primary alone still works)."""
    failover = load_failover(primary)
    if failover is None:
        return None
    path = secondary_db_path(workspace, failover.secondary_region)
    if not path.is_file():
        return None
    return Store(path)


def open_regions(workspace: Workspace) -> list[Store]:
    """The primary's store, then the secondary's when the environment has one."""
    primary = Store(db_path(workspace))
    try:
        secondary = open_secondary(workspace, primary)
    except BaseException:
        primary.close()
        raise
    return [primary] if secondary is None else [primary, secondary]
