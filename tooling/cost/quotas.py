"""The profile's peak against EventBridge's quotas of each region (the price files' `quotas`), and the
routing table against the per-bus and per-rule limits; a warning from 80 % of a quota.

PutEvents: the quota counts requests per second; a request may carry up to 10 entries, so entries per
second (compared here) are the worst case of one entry a request. Copies the global endpoint replicates
into a region count against that region's PutEvents quota (AWS: events sent to another region count
towards the destination region's quota). Invocations: every delivery of a matched event to a target, the
replication and forwarding rules' deliveries included. The peak is the daily mean times --peak-factor.
"""

from __future__ import annotations

from dataclasses import dataclass

from tooling.cost.prices import PriceFile
from tooling.cost.report import QuotaCheck, QuotaStatus
from tooling.cost.stack import RegionStack

WARN_AT = 0.8
SECONDS_PER_DAY = 86400
# Rules EventBridge itself adds to the bus: the archive's; with replication, the global endpoint's.
ARCHIVE_RULES = 1


@dataclass(frozen=True)
class RegionLoad:
    """A region's traffic per day, as the quotas count it."""

    put_events: float  # entries PutEvents brings to the bus (published, the workflow's, replicated in)
    invocations: float  # deliveries to targets (the routing table's, replication, forwarding)


def check_quotas(
    stacks: list[RegionStack],
    loads: dict[str, RegionLoad],
    prices: dict[str, PriceFile],
    peak_factor: float,
    replication: bool,
) -> list[QuotaCheck]:
    checks: list[QuotaCheck] = []
    for stack in stacks:
        quotas = prices[stack.region].quotas
        load = loads[stack.region]
        region = stack.region
        checks.append(
            _check(
                region,
                "PutEvents entries/s at peak",
                load.put_events / SECONDS_PER_DAY * peak_factor,
                quotas.put_events_tps,
                f"{load.put_events:,.0f} entries/day x {peak_factor:g} / 86,400 s; the quota counts requests "
                "(up to 10 entries each): one entry a request is the worst case",
            )
        )
        checks.append(
            _check(
                region,
                "target invocations/s at peak",
                load.invocations / SECONDS_PER_DAY * peak_factor,
                quotas.invocations_tps,
                f"{load.invocations:,.0f} deliveries/day x {peak_factor:g} / 86,400 s",
            )
        )
        managed = ARCHIVE_RULES + int(replication)
        checks.append(
            _check(
                region,
                "rules on the bus",
                stack.bus_rules + managed,
                quotas.rules_per_bus,
                f"{stack.bus_rules} of the routing table + {managed} EventBridge manages (archive"
                + (", replication)" if replication else ")"),
            )
        )
        widest = max(stack.rules, key=lambda rule: len(rule.targets), default=None)
        if widest is not None:
            checks.append(
                _check(
                    region,
                    "targets per rule",
                    len(widest.targets),
                    quotas.targets_per_rule,
                    f"the most: rule {widest.name}",
                )
            )
    return checks


def _check(region: str, quota: str, value: float, limit: float, detail: str) -> QuotaCheck:
    share = value / limit
    status: QuotaStatus = "over" if share > 1 else "warn" if share >= WARN_AT else "ok"
    return QuotaCheck(
        region=region,
        quota=quota,
        value=value,
        limit=limit,
        percent=share * 100,
        status=status,
        detail=detail,
    )
