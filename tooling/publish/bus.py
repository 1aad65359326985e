"""The Bus seam: anything with `put_events(entries) -> results` in the PutEvents response shape.

`entries` are PutEvents request entries (Source, DetailType, Detail as a JSON string, optional Resources,
Time, TraceHeader). `results` has one dict per entry, in order: {"EventId": ...} or
{"ErrorCode": ..., "ErrorMessage": ...}. Whole-call failures raise (botocore ClientError or a ToolingError).
The publisher's batching and retries sit above this seam; AwsBus and the local target's bus sit below it,
and tooling/targets.py (`bus_for`) picks one for the outputs' target.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

Entry = dict[str, Any]
Result = dict[str, Any]


class Bus(Protocol):
    def put_events(self, entries: list[Entry]) -> list[Result]: ...


class AwsBus:
    """PutEvents on the deployed custom bus through boto3; with `endpoint_id`, through that global endpoint
    (botocore then sends to the endpoint's host and signs SigV4a; `region` names the partition)."""

    def __init__(self, bus_name: str, region: str, *, endpoint_id: str | None = None) -> None:
        from tooling.clients import client

        self.bus_name = bus_name
        self.region = region
        self.endpoint_id = endpoint_id
        if endpoint_id is not None:
            from tooling.publish.global_endpoint import require_sigv4a

            require_sigv4a(endpoint_id)
        # One attempt per call: the publisher owns retries (only failed entries, with backoff), so botocore's
        # own retries underneath would multiply the attempts and the sleeps.
        self._client = client(
            "events", region, max_pool_connections=64, retries={"mode": "standard", "max_attempts": 1}
        )
        self._endpoint: dict[str, str] = {}
        if endpoint_id is not None:
            from tooling.publish.global_endpoint import resolve

            resolve(self._client, endpoint_id)  # a configuration botocore refuses: refused now, not per call
            self._endpoint = {"EndpointId": endpoint_id}

    def put_events(self, entries: list[Entry]) -> list[Result]:
        request = [{**e, "EventBusName": self.bus_name} for e in entries]
        response = self._client.put_events(Entries=request, **self._endpoint)
        return list(response["Entries"])


class RecordingBus:
    """A Bus that remembers the results of the calls it passes on (the CLI shows one event's id)."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.results: list[Result] = []

    def put_events(self, entries: list[Entry]) -> list[Result]:
        results = self.bus.put_events(entries)
        self.results += results
        return results


class TimedBus:
    """A Bus that records how long each put_events call took (seconds), whether it succeeded or raised."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._latencies: list[float] = []
        self._lock = threading.Lock()

    def put_events(self, entries: list[Entry]) -> list[Result]:
        started = time.perf_counter()
        try:
            return self.bus.put_events(entries)
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self._latencies.append(elapsed)

    def drain(self) -> list[float]:
        """The latencies recorded since the last drain."""
        with self._lock:
            taken, self._latencies = self._latencies, []
        return taken
