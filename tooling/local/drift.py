"""Drift on the local target: what changed in its store since `tooling apply` provisioned it.

The local target has no Terraform state, so each apply records one of its own: every resource it
provisioned (rules, targets, functions, queues, subscriptions, state machines, delivery streams, the event
source mapping, the forwarding rule), as it wrote them, under the store's meta key `applied_resources`.
`tooling drift` compares that record with what the store holds now, the way `terraform plan -refresh-only`
compares the state with the account: a rule disabled by hand in the store, a queue's visibility timeout
changed, a target deleted is drift; an environment file edited since the apply is not (that is a change
the next apply makes, as `tooling plan` shows on AWS). The report has the AWS report's shape
(tooling/deploy/drift.py); addresses name the local resource (`rule["order-events"]`, `queue["<name>"]`),
attributes the store's columns, and a secondary region's resources start with `region["<region>"].`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from tooling.deploy.drift import DriftReport, ResourceDrift, attribute_changes
from tooling.errors import UsageError
from tooling.local.forwarding import META_KEY as FORWARDING_KEY
from tooling.local.regions import load_failover, secondary_db_path
from tooling.local.store import Store, damage_named
from tooling.workspace import Workspace

APPLIED_KEY = "applied_resources"
# (table, the address's kind, the columns that name a row, columns that are bookkeeping, not settings)
RESOURCE_TABLES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("rules", "rule", ("key",), ("position",)),
    ("targets", "target", ("rule_key", "target_id"), ("position",)),
    ("functions", "function", ("key",), ()),
    ("queues", "queue", ("name",), ()),
    ("subscriptions", "subscription", ("arn",), ()),
    ("state_machines", "state_machine", ("key",), ()),
    ("delivery_streams", "delivery_stream", ("name",), ()),
    ("event_source_mappings", "event_source_mapping", ("uuid",), ()),
)


def provisioned_resources(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Address -> the settings of every resource the store holds now."""
    found: dict[str, dict[str, Any]] = {}
    for table, kind, key_columns, skipped in RESOURCE_TABLES:
        cursor = conn.execute(f"SELECT * FROM {table}")  # table names are this module's constants
        columns = [description[0] for description in cursor.description]
        for row in cursor:
            values = {name: row[i] for i, name in enumerate(columns) if name not in skipped}
            key = "/".join(str(values[column]) for column in key_columns)
            found[f"{kind}[{json.dumps(key)}]"] = values
    forwarding = conn.execute("SELECT value FROM meta WHERE key = ?", (FORWARDING_KEY,)).fetchone()
    if forwarding is not None:
        found["forwarding_rule"] = json.loads(forwarding[0])
    return found


def record_applied(store: Store, conn: sqlite3.Connection) -> None:
    """Record, in the apply's transaction, what it provisioned: the local target's state."""
    store.set_meta(APPLIED_KEY, json.dumps(provisioned_resources(conn), sort_keys=True), conn)


def _region_drift(store: Store, prefix: str, workspace: Workspace) -> list[ResourceDrift]:
    recorded = store.meta(APPLIED_KEY)
    if recorded is None:
        raise UsageError(
            f"the local target of {workspace.env} was applied before drift was recorded: nothing says what "
            "it provisioned",
            hint=f"apply it again (tooling apply --env {workspace.env} --target local): it keeps its events and "
            "messages and records what it provisioned",
        )
    state: dict[str, dict[str, Any]] = json.loads(recorded)
    with store.lock, damage_named(store.path):
        real = provisioned_resources(store.conn)
    found: list[ResourceDrift] = []
    for address in sorted(set(state) | set(real)):
        shown = prefix + address
        if address not in real:
            found.append(ResourceDrift(shown, "delete"))
        elif address not in state:
            found.append(ResourceDrift(shown, "create"))
        else:
            changes = attribute_changes(state[address], real[address])
            if changes:
                found.append(ResourceDrift(shown, "update", changes))
    return found


def drift_local(workspace: Workspace) -> DriftReport:
    """The drift of the environment's local store(s) since the last `tooling apply --target local`."""
    primary = Store.open(workspace)
    try:
        found = _region_drift(primary, "", workspace)
        failover = load_failover(primary)
    finally:
        primary.close()
    if failover is not None:
        region = failover.secondary_region
        prefix = f"region[{json.dumps(region)}]"
        path = secondary_db_path(workspace, region)
        if not path.is_file():  # the whole second region is gone
            found.append(ResourceDrift(prefix, "delete"))
        else:
            secondary = Store(path)
            try:
                found += _region_drift(secondary, prefix + ".", workspace)
            finally:
                secondary.close()
    return DriftReport(workspace.env, "local", tuple(found))
