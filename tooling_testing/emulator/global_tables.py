"""DynamoDB global tables (version 2019.11.21), which moto 5.2.5 ignores: UpdateTable's ReplicaUpdates are
dropped and DescribeTable lists no Replicas, so Terraform's `replica {}` waited for a replica that never came
and a region's Lambda saw none of the other region's items.

Patched here, as the provider drives it (UpdateTable with ReplicaUpdates Create/Update/Delete, then
DescribeTable until the replica is ACTIVE, then DescribeTable, DescribeContinuousBackups and
UpdateContinuousBackups in the replica's region):
- Create makes the table in the replica's region (same keys, indexes, billing, streams; the replica's KMS
  key, or that region's default) and the replicas share one item store: an item written in one region is
  read in the other, and a conditional put in one region sees an item put in the other.
- DescribeTable in each member lists the other members under Replicas (ACTIVE) with GlobalTableVersion.
- Delete (or DeleteTable in the replica's region) removes that member; the others keep the items.
- AWS's refusals: the local region, a region already a member, a missing replica on Update/Delete, and a
  table without a NEW_AND_OLD_IMAGES stream (what replication reads).

AWS replicates asynchronously (usually within a second, last writer wins): there, two regions' conditional
puts of one key at the same moment can both succeed. The shared store is stronger than that; the emulator
shows what a consumer sees once replication has caught up.
"""

from __future__ import annotations

import copy
import importlib
import threading
from typing import Any

VERSION = "2019.11.21"
_lock = threading.Lock()
# (account, table name) -> the regions of its replication group (the table's own region included).
_groups: dict[tuple[str, str], set[str]] = {}


class _Refused(Exception):
    pass


def _moto(module: str) -> Any:
    return importlib.import_module(module)


def members(account: str, name: str) -> set[str]:
    with _lock:
        return set(_groups.get((account, name), set()))


def reset() -> None:
    with _lock:
        _groups.clear()


def patch() -> str:
    """Apply the DynamoDB patches (moto_patches.apply_all calls this)."""
    models = _moto("moto.dynamodb.models")
    Table, Backend, backends = models.Table, models.DynamoDBBackend, models.dynamodb_backends
    Handler = _moto("moto.dynamodb.responses").DynamoHandler
    MockValidationException = _moto("moto.dynamodb.exceptions").MockValidationException
    update_table, describe, delete_table = Handler.update_table, Table.describe, Backend.delete_table

    def refuse(message: str) -> None:
        raise MockValidationException(message)

    def create_replica(table: Any, region: str, kms_key: str | None) -> None:
        group = _groups.setdefault((table.account_id, table.name), {table.region_name})
        if region in group or table.name in backends[table.account_id][region].tables:
            refuse(f"Failed to create a the new replica of table with name: '{table.name}' because one or "
                   "more replicas already existed as tables.")  # fmt: skip
        stream = table.stream_specification or {}
        if not stream.get("StreamEnabled") or stream.get("StreamViewType") != "NEW_AND_OLD_IMAGES":
            refuse(f"Table {table.name} needs DynamoDB Streams enabled with StreamViewType NEW_AND_OLD_IMAGES "
                   "to have replicas (stream_enabled = true, stream_view_type = \"NEW_AND_OLD_IMAGES\").")  # fmt: skip
        sse = None
        if table.sse_specification and table.sse_specification.get("Enabled") is True:
            sse = {"Enabled": True, "SSEType": "KMS", **({"KMSMasterKeyId": kms_key} if kms_key else {})}
        throughput = None
        if table.billing_mode != "PAY_PER_REQUEST":
            throughput = {k: table.throughput[k] for k in ("ReadCapacityUnits", "WriteCapacityUnits")}
        replica = backends[table.account_id][region].create_table(
            table.name, schema=copy.deepcopy(table.schema), throughput=throughput,
            attr=copy.deepcopy(table.attr),
            global_indexes=[{k: copy.deepcopy(v) for k, v in i.describe().items()
                             if k in ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")}
                            for i in table.global_indexes] or None,
            indexes=[{k: copy.deepcopy(v) for k, v in i.describe().items()
                      if k in ("IndexName", "KeySchema", "Projection")} for i in table.indexes] or None,
            streams={k: v for k, v in stream.items() if k in ("StreamEnabled", "StreamViewType")},
            billing_mode=table.billing_mode, sse_specification=sse, tags=[],
            deletion_protection_enabled=False, warm_throughput=None,
        )  # fmt: skip
        replica.items = table.items  # one item store for every member: the items are replicated
        replica.ttl = copy.deepcopy(table.ttl)
        group.add(region)

    def apply(table: Any, update: dict[str, Any]) -> None:
        action = next(iter(update))
        region = str((update.get(action) or {}).get("RegionName", ""))
        if region == table.region_name:
            refuse("Cannot add, delete, or update the local region through ReplicaUpdates. Use CreateTable, "
                   "DeleteTable, or UpdateTable as required.")  # fmt: skip
        group = _groups.get((table.account_id, table.name), {table.region_name})
        if action == "Create":
            create_replica(table, region, update[action].get("KMSMasterKeyId"))
            return
        if region not in group:
            refuse("Replica specified in the Replica Update or Replica Delete action of the request was not "
                   "found.")  # fmt: skip
        replica = backends[table.account_id][region].tables[table.name]
        if action == "Update" and update[action].get("KMSMasterKeyId") and replica.sse_specification:
            replica.sse_specification["KMSMasterKeyId"] = update[action]["KMSMasterKeyId"]
        elif action == "Delete":
            group.discard(region)
            if len(group) <= 1:
                _groups.pop((table.account_id, table.name), None)
            del backends[table.account_id][region].tables[table.name]

    def update_table_with_replicas(self: Any) -> Any:
        updates = self.body.get("ReplicaUpdates") or []
        if updates:
            table = self.dynamodb_backend.get_table(self.body["TableName"])
            with _lock:
                for update in updates:
                    apply(table, update)
        return update_table(self)

    def describe_with_replicas(self: Any, base_key: str = "TableDescription") -> dict[str, Any]:
        result: dict[str, Any] = describe(self, base_key)
        with _lock:
            others = sorted(_groups.get((self.account_id, self.name), set()) - {self.region_name})
        if others:
            tables = [backends[self.account_id][r].tables.get(self.name) for r in others]
            result[base_key]["GlobalTableVersion"] = VERSION
            result[base_key]["Replicas"] = [
                {"RegionName": region, "ReplicaStatus": "ACTIVE",
                 **({"KMSMasterKeyId": t.sse_specification.get("KMSMasterKeyId")}
                    if t is not None and t.sse_specification else {})}
                for region, t in zip(others, tables, strict=True)
            ]  # fmt: skip
        return result

    def delete_table_leaving_group(self: Any, name: str) -> Any:
        table = delete_table(self, name)
        with _lock:
            group = _groups.get((self.account_id, name))
            if group is not None:
                group.discard(self.region_name)
                if len(group) <= 1:
                    _groups.pop((self.account_id, name), None)
        return table

    Handler.update_table = update_table_with_replicas
    Table.describe = describe_with_replicas
    Backend.delete_table = delete_table_leaving_group
    return (
        "dynamodb: UpdateTable ReplicaUpdates make global tables (version 2019.11.21): the replica region "
        "gets the table, both share their items, DescribeTable lists the replicas"
    )
