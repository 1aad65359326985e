"""The price files: `tooling/cost/prices/<region>.json`, one per region, holding every unit price the estimate
uses, EventBridge's quotas for the region, the pages they were read from (`sources`) and when (`as_of`).

Prices are data, never code: updating them is editing a file (docs/commands.md, "Updating the price files").
A file is read with the strict JSON loader and checked against the models below (every figure present, a
number, not negative; no unknown key, so a misspelt one is not silently ignored); the first problem is one
line naming the file and the field, with a hint (exit 2).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tooling import strict_json
from tooling.errors import UsageError

PRICES_DIR = Path(__file__).resolve().parent / "prices"
# A file is small; a larger one is not a price file.
MAX_FILE_BYTES = 1024 * 1024
UPDATE_HINT = 'see docs/commands.md, "Updating the price files"'

Usd = Annotated[float, Field(ge=0, allow_inf_nan=False)]
# The S3 storage classes [s3_archive] storage_class accepts (tooling/config.py), and STANDARD before transition.
STORAGE_CLASSES = (
    "STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"
)  # fmt: skip
TRANSITION_CLASSES = STORAGE_CLASSES[1:]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class EventBridgePrices(_Model):
    # Each 64 KB chunk of an event is one event. Events another bus receives (replication, the forwarding
    # rule's copies) are custom events too.
    custom_events_per_million: Usd
    archive_processing_per_gb: Usd
    archive_storage_per_gb_month: Usd
    replayed_events_per_million: Usd


class DataTransferPrices(_Model):
    inter_region_per_gb: Usd


class Route53Prices(_Model):
    health_check_per_month: Usd


class LambdaPrices(_Model):
    requests_per_million: Usd
    # The functions are arm64 (terraform/modules/processors).
    arm_gb_second: Usd


class SqsPrices(_Model):
    # Standard queues; each 64 KB chunk of a request's payload is one request.
    requests_per_million: Usd


class SnsPrices(_Model):
    publishes_per_million: Usd
    email_per_100k: Usd


class FirehosePrices(_Model):
    # Direct PUT: each record is rounded up to the next 5 KB.
    ingestion_per_gb: Usd
    dynamic_partitioning_per_gb: Usd
    dynamic_partitioning_objects_per_1000: Usd


class S3Prices(_Model):
    put_per_1000: Usd
    storage_per_gb_month: dict[str, Usd]
    transition_per_1000: dict[str, Usd]

    @field_validator("storage_per_gb_month")
    @classmethod
    def _every_storage_class(cls, value: dict[str, float]) -> dict[str, float]:
        return _classes(value, STORAGE_CLASSES)

    @field_validator("transition_per_1000")
    @classmethod
    def _every_transition_class(cls, value: dict[str, float]) -> dict[str, float]:
        return _classes(value, TRANSITION_CLASSES)


def _classes(value: dict[str, float], expected: tuple[str, ...]) -> dict[str, float]:
    missing = [name for name in expected if name not in value]
    unknown = sorted(set(value) - set(expected))
    if missing or unknown:
        raise ValueError(
            f"needs exactly the storage classes {', '.join(expected)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(unknown)}" if unknown else "")
        )
    return value


class DynamoDbPrices(_Model):
    # On-demand capacity; a write request unit is 1 KB of item, a read request unit 4 KB.
    write_per_million: Usd
    read_per_million: Usd
    replicated_write_per_million: Usd
    storage_per_gb_month: Usd
    pitr_per_gb_month: Usd


class CloudWatchPrices(_Model):
    alarm_metric_per_month: Usd
    dashboard_per_month: Usd
    custom_metric_per_month: Usd
    logs_ingestion_per_gb: Usd
    logs_storage_per_gb_month: Usd


class XRayPrices(_Model):
    traces_recorded_per_million: Usd


class KmsPrices(_Model):
    key_per_month: Usd
    requests_per_10k: Usd


class StepFunctionsPrices(_Model):
    # EXPRESS workflows: requests, and duration in GB-seconds (64 MB and 100 ms increments).
    express_requests_per_million: Usd
    express_gb_second: Usd


class Quotas(_Model):
    """EventBridge's default quotas in the region (the Service Quotas console shows an account's own)."""

    source: Annotated[str, Field(pattern=r"^https://")]
    as_of: dt.date
    put_events_tps: Annotated[int, Field(gt=0)]
    invocations_tps: Annotated[int, Field(gt=0)]
    rules_per_bus: Annotated[int, Field(gt=0)]
    targets_per_rule: Annotated[int, Field(gt=0)]

    @field_validator("as_of", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        return _parse_date(value)


class PriceFile(_Model):
    region: str
    currency: str
    as_of: dt.date
    # How the figures were checked, and anything a reader of the estimate should know about them.
    note: str
    # Whether the AWS Free Tier is in the figures (it is not: the estimate states so).
    free_tier: str
    sources: dict[str, Annotated[str, Field(pattern=r"^https://")]]
    eventbridge: EventBridgePrices
    data_transfer: DataTransferPrices
    route53: Route53Prices
    lambda_: LambdaPrices = Field(alias="lambda")
    sqs: SqsPrices
    sns: SnsPrices
    firehose: FirehosePrices
    s3: S3Prices
    dynamodb: DynamoDbPrices
    cloudwatch: CloudWatchPrices
    xray: XRayPrices
    kms: KmsPrices
    stepfunctions: StepFunctionsPrices
    quotas: Quotas

    @field_validator("as_of", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        return _parse_date(value)

    @field_validator("currency")
    @classmethod
    def _usd(cls, value: str) -> str:
        if value != "USD":
            raise ValueError("must be USD (every figure of the estimate is in US dollars)")
        return value

    def source(self, service: str) -> str:
        return self.sources.get(service, "")


# The services whose figures the file must say where they come from (the section names, `lambda` included).
PRICED_SERVICES = (
    "eventbridge", "data_transfer", "route53", "lambda", "sqs", "sns", "firehose", "s3", "dynamodb",
    "cloudwatch", "xray", "kms", "stepfunctions",
)  # fmt: skip


def _parse_date(value: object) -> object:
    # JSON has no date: "YYYY-MM-DD" text, read strictly (pydantic's strict mode refuses text for a date).
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date as YYYY-MM-DD") from None
    return value


def price_path(region: str, directory: Path | None = None) -> Path:
    return (directory or PRICES_DIR) / f"{region}.json"


def available_regions(directory: Path | None = None) -> list[str]:
    folder = directory or PRICES_DIR
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def load_prices(region: str, directory: Path | None = None) -> PriceFile:
    """The price file of `region`; UsageError (one line, a hint) when it is missing or not valid."""
    path = price_path(region, directory)
    if not path.is_file():
        known = available_regions(directory)
        raise UsageError(
            f"no price file for region {region}: {path} does not exist"
            + (f" (price files: {', '.join(known)})" if known else ""),
            hint=f"copy {price_path('us-east-1', directory).name} to {region}.json and update its figures "
            f"from the pages its sources name ({UPDATE_HINT})",
        )
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise UsageError(f"price file {path} is {len(raw)} bytes, over {MAX_FILE_BYTES}", hint=UPDATE_HINT)
    try:
        data = strict_json.loads(raw, f"the price file {path}")
    except strict_json.JSONRefused as exc:
        raise UsageError(str(exc), hint=UPDATE_HINT) from None
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"price file {path} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
            hint=UPDATE_HINT,
        ) from None
    try:
        prices = PriceFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        restore = (
            f"or restore it: git checkout -- tooling/cost/prices/{path.name}"
            if path.parent == PRICES_DIR
            else "or copy it again from tooling/cost/prices"
        )
        raise UsageError(
            f"price file {path}: {where}: {_message(first)}{more}",
            hint=f"fix that field ({UPDATE_HINT}), {restore}",
        ) from None
    problems = _consistency(prices, region)
    if problems:
        raise UsageError(f"price file {path}: {problems[0]}", hint=UPDATE_HINT)
    return prices


def _consistency(prices: PriceFile, region: str) -> list[str]:
    problems = []
    if prices.region != region:
        problems.append(f"region: says {prices.region!r}, but the file is named for {region}")
    missing = [service for service in PRICED_SERVICES if service not in prices.sources]
    if missing:
        problems.append(f"sources: no page named for {', '.join(missing)}; name where the figures come from")
    return problems


def _message(error: object) -> str:
    assert isinstance(error, dict)
    kind = str(error.get("type", ""))
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field of a price file (misspelt?)"
    if kind in ("float_type", "int_type"):
        return f"must be a number, not {json.dumps(error.get('input'), default=str)}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must not be negative, not {json.dumps(error.get('input'), default=str)}"
    return str(error.get("msg", "is not valid")).removeprefix("Value error, ")
