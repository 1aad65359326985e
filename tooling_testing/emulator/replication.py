"""Event replication of a global endpoint (ReplicationConfig ENABLED), which moto cannot know of.

AWS: "Event replication sends all custom events to the event buses in the primary and secondary Regions
using managed rules." Here, each custom event (a source not starting with `aws.`) that PutEvents puts on a
bus named by such an endpoint is also delivered to the rules of the bus of the same name in the endpoint's
other region: once (a replicated copy is not replicated again), with a new event id (ids may differ between
regions) and the `region` of the bus that received it first, as a cross-Region bus target keeps it.

The managed rules are not listed by ListRules here (AWS lists them as managed by EventBridge); the copy is
delivered in the same call, where AWS replicates asynchronously.
"""

from __future__ import annotations

import copy
import importlib
import json
import sys
from typing import Any


def patch() -> str:
    """Apply the replication patch (moto_patches.apply_all calls this)."""
    events = importlib.import_module("moto.events.models")
    utils = importlib.import_module("moto.events.utils")
    core_utils = importlib.import_module("moto.core.utils")
    mock_random = importlib.import_module("moto.moto_api._internal").mock_random
    Backend, backends = events.EventsBackend, events.events_backends
    put_events = Backend.put_events
    from tooling_testing.emulator import endpoints_api

    def replicate(self: Any, event: dict[str, Any], other_region: str, bus_name: str) -> None:
        bus = backends[self.account_id][other_region].event_buses.get(bus_name)
        if bus is None:
            print(f"replication of {bus_name} to {other_region}: no such bus there", file=sys.stderr)
            return
        event_id = str(mock_random.uuid4())
        for rule in list(bus.rules.values()):  # the message as moto builds it for its own PutEvents
            message = copy.deepcopy(utils._BASE_EVENT_MESSAGE)
            message.update({
                "id": event_id, "detail-type": event["DetailType"], "source": event["Source"],
                "account": self.account_id, "time": event.get("Time", core_utils.unix_time()),
                "region": self.region_name, "resources": event.get("Resources", []),
                "detail": json.loads(event["Detail"]), "ingestion-time": core_utils.unix_time(),
            })  # fmt: skip
            rule.send_to_targets(message)

    def put_events_replicated(self: Any, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answers: list[dict[str, Any]] = put_events(self, entries)
        for event, answer in zip(entries, answers, strict=False):
            if "EventId" not in answer or str(event.get("Source", "")).startswith("aws."):
                continue
            bus_name = self._normalize_event_bus_arn(event.get("EventBusName"))
            other = endpoints_api.replica_bus(self.account_id, self.region_name, bus_name)
            if other:
                replicate(self, event, other, bus_name)
        return answers

    Backend.put_events = put_events_replicated
    return (
        "events: a global endpoint with replication ENABLED copies each custom event to its other region's "
        "bus, once"
    )
