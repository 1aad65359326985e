"""The cost report: one line per billed item and region, the total, the quota checks, and everything the
figures rest on (the profile, the price files' dates and sources, the assumptions, what is left out).
`tooling cost --json` prints `report.model_dump(mode="json")`."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tooling.cost.profile import TrafficProfile


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CostLine(_Model):
    region: str
    service: str  # EventBridge, Lambda, SQS, ...
    item: str  # what is counted: "custom events (PutEvents)", "processor requests", ...
    quantity: float  # per month, in `unit`s
    unit: str  # "events", "GB-month", "GB-s", "alarm metrics", ...
    unit_price: float  # USD per one unit
    price: str  # the price as the price file states it: "$1.00 per 1M events"
    monthly_usd: float
    detail: str = ""  # how the quantity was reached


QuotaStatus = Literal["ok", "warn", "over"]


class QuotaCheck(_Model):
    region: str
    quota: str
    value: float
    limit: float
    percent: float
    status: QuotaStatus
    detail: str = ""


class PriceSource(_Model):
    region: str
    as_of: dt.date
    quotas_as_of: dt.date
    sources: dict[str, str]
    quotas_source: str
    note: str


class CostReport(_Model):
    environment: str
    regions: list[str]
    currency: Literal["USD"] = "USD"
    hours_per_month: int
    peak_factor: float
    profile: TrafficProfile
    prices: list[PriceSource]
    free_tier: str
    lines: list[CostLine]
    total_usd: float
    by_service: dict[str, float]
    quotas: list[QuotaCheck]
    assumptions: list[str] = Field(default_factory=list)
    left_out: list[str] = Field(default_factory=list)

    @property
    def warnings(self) -> list[QuotaCheck]:
        return [q for q in self.quotas if q.status != "ok"]
