"""Where `tooling publish` sends its events: through the global endpoint, or onto one region's bus directly.

With `[failover]` deployed the outputs name an EventBridge global endpoint; PutEvents with its EndpointId
reaches the primary region's bus while the endpoint's health check is healthy and the secondary's (the same
bus name) while it is not, so publishing through it is the default. `--no-endpoint` aims at the primary
region's bus, `--region R` at region R's bus (the primary or the secondary). The account's default bus
(`--bus default`, AWS service events for the forwarding rule) is not behind the endpoint, so it is always
reached directly. This module decides; tooling/targets.py (`bus_for`) opens the bus the decision names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tooling.errors import AwsError, UsageError
from tooling.outputs import DeploymentOutputs
from tooling.publish.publisher import classify

# The account's default event bus, where AWS services put their events ([forwarding] forwards them).
DEFAULT_BUS = "default"
# PutEvents' EndpointId (the API's pattern): `<label>.<label>`. The HTTP engine puts it in a host name, so
# anything else in the outputs is refused before it is used.
ENDPOINT_ID = re.compile(r"^[A-Za-z0-9-]+\.[A-Za-z0-9-]+$")
ENDPOINT_ID_MAX = 50


@dataclass(frozen=True)
class Aim:
    """What the command line asked for: `--bus`, `--no-endpoint`, `--region` (None: as deployed)."""

    bus: str | None = None
    no_endpoint: bool = False
    region: str | None = None


@dataclass(frozen=True)
class Destination:
    """The decision: PutEvents with EventBusName `bus_name` from a client in `region`, through the endpoint
    when `endpoint_id` is set (then `region` is the primary's, whose partition names the endpoint's host)."""

    bus_name: str
    region: str
    # None: the environment's bus; "default": the account's default bus (local target: open_local_bus).
    event_bus: str | None = None
    endpoint_id: str | None = None
    endpoint_name: str = ""
    # Set when --region chose the region (the summary names it).
    chosen_region: bool = False
    # The regions the endpoint may deliver to, for the error that names them.
    regions: tuple[str, ...] = ()

    @property
    def through_endpoint(self) -> bool:
        return self.endpoint_id is not None

    def describe(self) -> str:
        """What the summary line says the events were published to."""
        if self.endpoint_id is not None:
            return f"{self.bus_name} through the global endpoint {self.endpoint_name or self.endpoint_id}"
        if self.chosen_region:
            return f"{self.bus_name} in {self.region}"
        return self.bus_name


def choose_destination(outputs: DeploymentOutputs, aim: Aim = Aim()) -> Destination:
    """The endpoint when the outputs hold one (the aws target; the local target's emulation routes alike),
    else the primary region's bus; `aim` overrides that as the command line asked."""
    event_bus = _event_bus(aim.bus, outputs.event_bus_name)
    failover = outputs.failover
    buses = {outputs.region: outputs.event_bus_name}
    if failover is not None:
        buses[failover.secondary.region] = failover.secondary.event_bus_name
    if aim.region is not None:
        if aim.region not in buses:
            shown = " or ".join(buses)
            raise UsageError(
                f"--region {aim.region!r} is not a region of this deployment (it has a bus in {shown})",
                hint=f"pass --region {' or --region '.join(buses)}, or leave --region out"
                + (" to publish through the global endpoint" if failover is not None else ""),
            )
        bus_name = DEFAULT_BUS if event_bus == DEFAULT_BUS else buses[aim.region]
        return Destination(bus_name, aim.region, event_bus, chosen_region=aim.region != outputs.region)
    direct = Destination(event_bus or outputs.event_bus_name, outputs.region, event_bus)
    if failover is None or aim.no_endpoint or event_bus == DEFAULT_BUS:
        return direct
    endpoint_id = failover.endpoint_id
    # On the aws target the id becomes part of a host name; the local target's emulation only looks it up.
    if outputs.target == "aws" and (len(endpoint_id) > ENDPOINT_ID_MAX or not ENDPOINT_ID.match(endpoint_id)):
        raise UsageError(
            f"outputs: failover.endpoint_id {endpoint_id[:60]!r} is not an EventBridge endpoint id "
            "(<label>.<label> of letters, digits and '-', at most 50 characters)",
            hint="it must be what the apply wrote: apply again (or `tooling outputs --refresh`), or publish "
            "with --no-endpoint",
        )
    return Destination(
        outputs.event_bus_name,
        failover.primary_region or outputs.region,
        None,
        endpoint_id=endpoint_id,
        endpoint_name=failover.endpoint_name,
        regions=(failover.primary_region, failover.secondary_region),
    )


@contextmanager
def endpoint_errors_explained(destination: Destination) -> Iterator[None]:
    """A run through the endpoint that stops on ResourceNotFoundException: the endpoint delivered to a region
    where the endpoint or the bus is missing; say so, and how to publish without it."""
    try:
        yield
    except Exception as exc:
        code, message, _ = classify(exc)
        if destination.endpoint_id is None or code != "ResourceNotFoundException":
            raise
        regions = " or ".join(r for r in destination.regions if r)
        raise AwsError(
            f"PutEvents through the global endpoint {destination.endpoint_name or destination.endpoint_id} "
            f"({destination.endpoint_id}) failed: {code}: {message}",
            hint=f"the endpoint routes to {regions or 'its regions'} by its health check, and the region it "
            f"chose lacks the endpoint or the bus {destination.bus_name}: apply the environment again (both "
            "regions), or publish with --no-endpoint (the primary's bus) or --region REGION",
        ) from None


def _event_bus(bus: str | None, custom_bus: str) -> str | None:
    """The bus `--bus` names: None for the environment's custom bus, "default" for the account's."""
    if bus is None or bus == custom_bus:
        return None
    if bus == DEFAULT_BUS:
        return DEFAULT_BUS
    raise UsageError(
        f"--bus {bus!r} is neither the environment's bus ({custom_bus}) nor the default bus",
        hint="pass --bus default (AWS service events for the forwarding rule), or leave --bus out",
    )


__all__ = ["DEFAULT_BUS", "Aim", "Destination", "choose_destination", "endpoint_errors_explained"]
