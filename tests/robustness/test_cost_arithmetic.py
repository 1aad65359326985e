"""`tooling cost`'s arithmetic against figures worked out by hand.

The price file here has round figures (not the shipped ones, which change), and the profile is written out
field by field, so each expectation below is a short calculation: 24,000 events a day are 730,000 a month
(730 hours), 2,628,000 seconds a month.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from tooling.config import Config, parse_config
from tooling.cost.estimate import _traced, estimate, money
from tooling.cost.prices import PriceFile
from tooling.cost.profile import RuleTraffic, TrafficProfile, assumed_profile, measured_profile
from tooling.cost.report import CostLine, CostReport
from tooling.cost.sample import take_sample
from tooling.observe.monitor import Window
from tooling.observe.traffic import MeasuredTraffic

REPO = Path(__file__).resolve().parents[2]
MONTH_EVENTS = 730_000  # 24,000 a day x 730 / 24
SECONDS = 2_628_000


def prices(region: str = "us-east-1", **quotas: int) -> PriceFile:
    return PriceFile.model_validate(
        {
            "region": region,
            "currency": "USD",
            "as_of": "2026-01-01",
            "note": "round test figures",
            "free_tier": "not applied",
            "sources": {
                s: "https://example.com/" + s
                for s in (
                    "eventbridge",
                    "data_transfer",
                    "route53",
                    "lambda",
                    "sqs",
                    "sns",
                    "firehose",
                    "s3",
                    "dynamodb",
                    "cloudwatch",
                    "xray",
                    "kms",
                    "stepfunctions",
                )
            },
            "eventbridge": {
                "custom_events_per_million": 1.0,
                "archive_processing_per_gb": 0.1,
                "archive_storage_per_gb_month": 0.02,
                "replayed_events_per_million": 1.0,
            },
            "data_transfer": {"inter_region_per_gb": 0.02},
            "route53": {"health_check_per_month": 0.5},
            "lambda": {"requests_per_million": 0.2, "arm_gb_second": 0.00001},
            "sqs": {"requests_per_million": 0.4},
            "sns": {"publishes_per_million": 0.5, "email_per_100k": 2.0},
            "firehose": {
                "ingestion_per_gb": 0.03,
                "dynamic_partitioning_per_gb": 0.02,
                "dynamic_partitioning_objects_per_1000": 0.005,
            },
            "s3": {
                "put_per_1000": 0.005,
                "storage_per_gb_month": {
                    "STANDARD": 0.02,
                    "STANDARD_IA": 0.01,
                    "ONEZONE_IA": 0.01,
                    "INTELLIGENT_TIERING": 0.01,
                    "GLACIER_IR": 0.004,
                    "GLACIER": 0.003,
                    "DEEP_ARCHIVE": 0.001,
                },
                "transition_per_1000": {
                    "STANDARD_IA": 0.01,
                    "ONEZONE_IA": 0.01,
                    "INTELLIGENT_TIERING": 0.01,
                    "GLACIER_IR": 0.02,
                    "GLACIER": 0.03,
                    "DEEP_ARCHIVE": 0.05,
                },
            },
            "dynamodb": {
                "write_per_million": 1.0,
                "read_per_million": 0.25,
                "replicated_write_per_million": 1.0,
                "storage_per_gb_month": 0.25,
                "pitr_per_gb_month": 0.2,
            },
            "cloudwatch": {
                "alarm_metric_per_month": 0.1,
                "dashboard_per_month": 3.0,
                "custom_metric_per_month": 0.3,
                "logs_ingestion_per_gb": 0.5,
                "logs_storage_per_gb_month": 0.03,
            },
            "xray": {"traces_recorded_per_million": 5.0},
            "kms": {"key_per_month": 1.0, "requests_per_10k": 0.03},
            "stepfunctions": {"express_requests_per_million": 1.0, "express_gb_second": 0.00002},
            "quotas": {
                "source": "https://example.com/quotas",
                "as_of": "2026-01-01",
                "put_events_tps": quotas.get("put_events_tps", 10_000),
                "invocations_tps": quotas.get("invocations_tps", 18_750),
                "rules_per_bus": quotas.get("rules_per_bus", 300),
                "targets_per_rule": 5,
            },
        }
    )


def config(*rules: dict[str, Any], **sections: Any) -> Config:
    return parse_config(
        {
            "project": "shop",
            "environment": "test",
            "region": "us-east-1",
            "forwarding": {"enabled": False},
            "functions": {"processor": {"memory_mb": 512}},
            "rules": list(rules),
            **sections,
        }
    )


ORDERS = {"name": "orders", "pattern": {"source": ["ecommerce.orders"]}, "targets": [{"target": "processor"}]}


def profile(
    rules: dict[str, float], *, entry: float = 1000, event: float = 1000, **extra: Any
) -> TrafficProfile:
    """24,000 events a day; `rules`: rule name -> matched per day, every target receiving `event` bytes."""
    functions = ("processor", "notifier", "analytics", "batch-processor")
    fields: dict[str, Any] = {
        "kind": "assumed",
        "description": "test",
        "bus_events_per_day": 24_000.0,
        "published_per_day": 24_000.0,
        "workflow_events_per_day": 0.0,
        "copies_in_per_day": 0.0,
        "forwarded_per_day": 0.0,
        "entry_bytes": entry,
        "chunks_per_event": float(max(1, math.ceil(entry / 65536))),
        "event_bytes": event,
        "gzip_ratio": 0.25,
        "source_shares": {"ecommerce.orders": 1.0},
        "rules": {
            name: RuleTraffic(matched_per_day=n, payload_bytes={t: event for t in TARGET_IDS})
            for name, n in rules.items()
        },
        "duration_ms": dict.fromkeys(functions, 100.0),
        "duration_basis": dict.fromkeys(functions, "assumed"),
        "log_bytes_per_invocation": dict.fromkeys(functions, 1000.0),
        "log_basis": dict.fromkeys(functions, "assumed"),
    }
    fields.update(extra)
    return TrafficProfile.model_validate(fields)


TARGET_IDS = ("processor", "batch-queue", "s3-archive", "notifications", "analytics", "order-workflow")


def run(cfg: Config, prof: TrafficProfile, **kwargs: Any) -> CostReport:
    regions = [cfg.region] + ([cfg.failover.secondary_region] if cfg.failover else [])
    return estimate(cfg, prof, {r: prices(r, **kwargs.pop("quotas", {})) for r in regions}, REPO, **kwargs)


def line(report: CostReport, item: str, region: str = "us-east-1") -> CostLine:
    found = [x for x in report.lines if x.item == item and x.region == region]
    assert len(found) == 1, [x.item for x in report.lines]
    return found[0]


def test_putevents_bills_every_64_kb_chunk_as_one_event() -> None:
    # 100,000-byte entries are two 64 KB chunks: 730,000 events a month bill as 1,460,000.
    report = run(config(ORDERS), profile({"orders": 24_000}, entry=100_000, event=100_300))

    putevents = line(report, "custom events (PutEvents)")

    assert putevents.quantity == pytest.approx(1_460_000)
    assert putevents.monthly_usd == pytest.approx(1.46)


def test_lambda_requests_and_gb_seconds_come_from_the_configured_memory() -> None:
    # 730,000 invocations x 0.1 s x 0.5 GB (512 MB) = 36,500 GB-s at $0.00001; requests at $0.20 per 1M.
    report = run(config(ORDERS), profile({"orders": 24_000}))

    assert line(report, "processor requests").monthly_usd == pytest.approx(0.146)
    assert line(report, "processor duration").quantity == pytest.approx(36_500)
    assert line(report, "processor duration").monthly_usd == pytest.approx(0.365)


def test_deliveries_to_same_account_targets_are_counted_and_free() -> None:
    report = run(config(ORDERS), profile({"orders": 24_000}))

    delivery = line(report, "deliveries to Lambda")

    assert (delivery.quantity, delivery.monthly_usd) == (pytest.approx(MONTH_EVENTS), 0.0)


def test_firehose_rounds_each_record_up_to_5_kb_and_partitions_cost_per_gb_and_object() -> None:
    rule = {"name": "all", "pattern": {"source": ["ecommerce.orders"]}, "targets": [{"target": "s3-archive"}]}
    # 6,000-byte records bill as 10 KB each: 730,000 x 10,240 B = 6.96 GiB at $0.03.
    report = run(config(rule), profile({"all": 24_000}, event=6000))

    assert line(report, "ingestion (5 KB increments)").quantity == pytest.approx(
        MONTH_EVENTS * 10_240 / 2**30
    )
    assert line(report, "dynamic partitioning").quantity == pytest.approx(MONTH_EVENTS * 6000 / 2**30)
    # One source, 0.278 records/s: nearly every 300 s buffer interval (8,760 a month) holds records.
    objects = 8760 * (1 - math.exp(-MONTH_EVENTS / SECONDS * 300))
    assert line(report, "partitioned objects delivered").quantity == pytest.approx(objects)
    assert line(report, "PUT (archive objects)").monthly_usd == pytest.approx(objects * 0.005 / 1000)


def test_small_archive_objects_stay_in_standard_and_large_ones_transition() -> None:
    rule = {"name": "all", "pattern": {"source": ["ecommerce.orders"]}, "targets": [{"target": "s3-archive"}]}
    small = run(config(rule), profile({"all": 24_000}, event=1000))
    # 6,000 events of 1 MB-ish every 300 s: gzip objects far above 128 KB move to GLACIER_IR.
    large = run(config(rule), profile({"all": 24_000}, event=200_000))

    assert not [x for x in small.lines if x.item.startswith(("lifecycle", "storage GLACIER"))]
    assert line(large, "lifecycle transitions to GLACIER_IR").quantity == pytest.approx(
        line(large, "partitioned objects delivered").quantity
    )
    # 30 days in STANDARD, then 335 days (kept a year when nothing expires) in GLACIER_IR, 25 % after gzip.
    per_day = 24_000 * 200_000 * 0.25 / 2**30
    assert line(large, "storage STANDARD").quantity == pytest.approx(per_day * 30)
    assert line(large, "storage GLACIER_IR").quantity == pytest.approx(per_day * 335)


def test_batch_queue_requests_are_sends_receives_deletes_and_idle_polls() -> None:
    rule = {
        "name": "all",
        "pattern": {"source": ["ecommerce.orders"]},
        "targets": [{"target": "batch-queue"}],
    }
    # 0.2778 messages/s with a 5 s window: 2.389 messages a batch; 5 pollers x 131,400 polls a month each.
    per_batch = 1 + MONTH_EVENTS / SECONDS * 5
    batches = MONTH_EVENTS / per_batch
    report = run(config(rule), profile({"all": 24_000}))

    sqs = line(report, "batch queue requests")

    assert sqs.quantity == pytest.approx(MONTH_EVENTS + 2 * batches + (657_000 - batches))
    assert line(report, "batch-processor requests").quantity == pytest.approx(batches)


def test_event_store_writes_the_table_and_its_index_per_1_kb_of_item() -> None:
    rule = {
        "name": "all",
        "pattern": {"source": ["ecommerce.orders"]},
        "targets": [{"target": "batch-queue"}],
    }
    # A 1,000-byte event plus 250 bytes of attributes is 2 write units, written twice (table and index).
    report = run(config(rule), profile({"all": 24_000}))

    writes = line(report, "event store writes")

    assert writes.quantity == pytest.approx(MONTH_EVENTS * 2 * 2)
    assert writes.monthly_usd == pytest.approx(2.92)
    # 90 days (ttl_days) x 24,000 items x 1,250 B, twice; PITR covers the table alone.
    stored = 90 * 24_000 * 1250 * 2 / 2**30
    assert line(report, "event store storage").quantity == pytest.approx(stored)
    assert line(report, "event store PITR").quantity == pytest.approx(stored / 2)


def test_archive_holds_retention_days_of_events() -> None:
    report = run(config(ORDERS, archive={"retention_days": 7}), profile({"orders": 24_000}))

    assert line(report, "archive processing").quantity == pytest.approx(MONTH_EVENTS * 1000 / 2**30)
    assert line(report, "archive storage").quantity == pytest.approx(7 * 24_000 * 1000 / 2**30)


def test_replication_bills_the_copies_and_the_transfer_and_the_secondary_does_the_same_work() -> None:
    cfg = config(ORDERS, failover={"secondary_region": "us-west-2"})
    report = run(cfg, profile({"orders": 24_000}))

    assert line(report, "replication to us-west-2").quantity == pytest.approx(MONTH_EVENTS)
    assert line(report, "inter-region to us-west-2").quantity == pytest.approx(MONTH_EVENTS * 1000 / 2**30)
    assert line(report, "health check").monthly_usd == 0.5
    assert line(report, "processor requests", "us-west-2").quantity == pytest.approx(MONTH_EVENTS)
    assert line(report, "archive processing", "us-west-2").quantity == pytest.approx(
        MONTH_EVENTS * 1000 / 2**30
    )


def test_without_replication_the_secondary_stands_idle_and_pays_its_fixed_costs() -> None:
    cfg = config(ORDERS, failover={"secondary_region": "us-west-2", "replication": False})
    report = run(cfg, profile({"orders": 24_000}))

    assert line(report, "processor requests", "us-west-2").quantity == 0
    assert line(report, "customer managed key", "us-west-2").monthly_usd == 1.0
    assert not [x for x in report.lines if x.item.startswith("replication")]


def test_xray_records_one_trace_a_second_and_five_percent_of_the_rest() -> None:
    # One request a second on average (Poisson): a second holds one with probability 1 - e^-1.
    reservoir = 1 - math.exp(-1)
    assert _traced(SECONDS) == pytest.approx(SECONDS * (reservoir + 0.05 * (1 - reservoir)))
    # A hundred a second: every second's first, and 5 % of the other 99.
    assert _traced(100 * SECONDS) == pytest.approx(SECONDS * (1 + 0.05 * 99), rel=1e-6)
    assert _traced(0) == 0


def test_quotas_warn_from_80_percent_and_report_over_the_limit() -> None:
    # 24,000 events a day x 10 (peak) / 86,400 s = 2.78 entries/s: 93 % of 3, over 2.
    warned = run(config(ORDERS), profile({"orders": 24_000}), quotas={"put_events_tps": 3})
    over = run(
        config(ORDERS), profile({"orders": 24_000}), quotas={"put_events_tps": 2, "invocations_tps": 2}
    )

    putevents = next(q for q in warned.quotas if q.quota.startswith("PutEvents"))
    assert putevents.value == pytest.approx(24_000 * 10 / 86_400)
    assert (putevents.status, round(putevents.percent)) == ("warn", 93)
    assert {q.quota.split()[0]: q.status for q in over.quotas if q.status != "ok"} == {
        "PutEvents": "over",
        "target": "over",
    }


def test_rules_per_bus_counts_the_archive_rule_and_targets_per_rule_the_widest() -> None:
    wide = {
        "name": "wide",
        "pattern": {"source": ["ecommerce.orders"]},
        "targets": [{"target": t} for t in ("processor", "analytics", "batch-queue", "notifications")],
    }
    report = run(
        config(ORDERS, wide), profile({"orders": 24_000, "wide": 24_000}), quotas={"rules_per_bus": 3}
    )

    checks = {q.quota: q for q in report.quotas}
    assert (checks["rules on the bus"].value, checks["rules on the bus"].status) == (3, "warn")
    assert (checks["targets per rule"].value, checks["targets per rule"].status) == (4, "warn")


def test_money_prints_prices_as_the_pages_do() -> None:
    assert [money(x) for x in (1.0, 0.023, 0.0000133334, 1234.5)] == [
        "$1.00",
        "$0.023",
        "$0.0000133334",
        "$1,234.50",
    ]


def test_assumed_profile_adds_the_workflow_events_and_with_mirrored_regions_their_copies() -> None:
    workflow = {
        "name": "fulfil",
        "pattern": {"source": ["ecommerce.orders"], "detail-type": ["Order Created"]},
        "targets": [{"target": "order-workflow"}],
    }
    single = config(ORDERS, workflow)
    mirrored = config(ORDERS, workflow, failover={"secondary_region": "us-west-2"})
    sample = take_sample(single)

    one = assumed_profile(single, sample, 10_000)
    two = assumed_profile(mirrored, take_sample(mirrored), 10_000)

    executions = 10_000 * sample.executions_per_event
    assert executions > 0
    assert one.bus_events_per_day == pytest.approx(10_000 + executions)
    assert two.bus_events_per_day == pytest.approx(10_000 + 2 * executions)
    # Every workflow event is an order event the "orders" rule matches too.
    assert one.rules["orders"].matched_per_day == pytest.approx(
        10_000 * sample.published.sources["ecommerce.orders"] + executions
    )


def test_avg_size_replaces_the_entry_size_and_its_chunks() -> None:
    cfg = config(ORDERS)
    sample = take_sample(cfg)

    sized = assumed_profile(cfg, sample, 1000, avg_size=200_000)

    assert (sized.entry_bytes, sized.chunks_per_event) == (200_000, 4)
    assert sized.event_bytes == pytest.approx(
        sample.published.event_bytes + 200_000 - sample.published.entry_bytes
    )


def test_a_measured_window_is_scaled_to_a_day() -> None:
    cfg = config(ORDERS)
    window = Window.last(__import__("datetime").timedelta(minutes=10))
    measured = MeasuredTraffic(
        window=window,
        bus_scope="bus",
        bus_events=50,
        entry_bytes=400.0,
        event_bytes=600.0,
        matched={"orders": 20},
        invocations={"processor": 20},
        duration_ms={"processor": 42.0},
        log_bytes={"processor": 20_000},
    )

    prof = measured_profile(cfg, take_sample(cfg), measured)

    assert prof.bus_events_per_day == pytest.approx(50 * 144)
    assert prof.rules["orders"].matched_per_day == pytest.approx(20 * 144)
    assert (prof.duration_ms["processor"], prof.duration_basis["processor"]) == (42.0, "measured")
    assert (prof.log_bytes_per_invocation["processor"], prof.log_basis["processor"]) == (1000.0, "measured")
    assert (prof.entry_bytes, prof.event_bytes) == (400.0, 600.0)
