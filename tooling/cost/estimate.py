"""The arithmetic: a traffic profile, the stack each region runs and the region's prices -> one line per
billed item. A month is 730 hours (AWS's convention). Every quantity is derived in the open: each line's
`detail` says from what, and the report's assumptions list every figure that is not the environment
file's, the profile's or a price file's.

How one primary-bus event becomes costs: it is ingested (PutEvents, per 64 KB chunk) and archived; every
rule it matches delivers it to the rule's targets (free for same-account targets), where it becomes a Lambda
invocation, an SQS message (then a batch for the batch processor, then an event-store item), an SNS
publish (then the notifier's invocation and, in the primary, an email), a Firehose record (then S3 objects)
or an order-workflow execution (which publishes one more event). With [failover] and replication, the
secondary's bus receives a copy of every custom event and, with consumers, does the same work.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tooling.config import BATCH_PROCESSOR, S3_ARCHIVE_TARGET, Config, Rule
from tooling.cost.prices import PriceFile, load_prices
from tooling.cost.profile import TrafficProfile
from tooling.cost.quotas import RegionLoad, check_quotas
from tooling.cost.report import CostLine, CostReport, PriceSource
from tooling.cost.stack import NOTIFIER, RegionStack, region_stacks
from tooling.order_workflow import WORKFLOW_TARGET

HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
GB = 1024**3
MB = 1024**2
CHUNK_64K = 64 * 1024  # EventBridge, SQS and SNS bill each 64 KB of a payload as one event/request
FIREHOSE_INCREMENT = 5 * 1024  # Firehose rounds each Direct PUT record up to the next 5 KB
WRITE_UNIT_BYTES = 1024  # a DynamoDB write request unit covers 1 KB of item
# Assumptions (each listed in the report):
SQS_POLLERS = 5  # Lambda's SQS event source mapping polls with five long-polling connections when idle
LONG_POLL_SECONDS = 20
XRAY_RESERVOIR_PER_SECOND = 1.0  # X-Ray's default sampling: the first request each second ...
XRAY_RATE = 0.05  # ... and 5 % of the others
KMS_CACHE_SECONDS = 300  # data keys are reused for 5 minutes (SQS's default reuse period)
KMS_CALLS_PER_PERIOD = 2  # one GenerateDataKey (writer) and one Decrypt (reader) each period
WORKFLOW_MS = 200  # an EXPRESS execution: a Choice and one putEvents task
WORKFLOW_MEMORY_GB = 64 / 1024  # EXPRESS bills 64 MB
WORKFLOW_LOG_BYTES = 2000.0  # level ALL without execution data: a few small records per execution
FOREVER_DAYS = 365  # what "kept forever" is priced as: the storage a year of traffic holds
ITEM_OVERHEAD_BYTES = 250  # an event-store item besides the event body: keys, time, ids, TTL, regions
IDEMPOTENCY_WRITES = 2  # the notifier's claim (PutItem) and completion (UpdateItem), each under 1 KB
MIN_TRANSITION_BYTES = 128 * 1024  # S3 lifecycle's default: smaller objects are not transitioned

ASSUMPTIONS = [
    f"a month is {HOURS_PER_MONTH} hours; prices are the price files' on-demand rates, the Free Tier not applied",
    "no failures: no retries, no DLQ traffic, no alarm notifications (failures add invocations and messages)",
    f"Lambda's SQS poller: {SQS_POLLERS} long-polling connections, one ReceiveMessage each "
    f"{LONG_POLL_SECONDS} s while the batch queue is empty",
    "batch processor: a batch holds min(batch_size, 1 + rate x batching window) messages",
    f"X-Ray: default sampling, {XRAY_RESERVOIR_PER_SECOND:g} trace a second per function plus "
    f"{XRAY_RATE:.0%} of the rest (each invocation starts its own trace: producers send no trace header)",
    f"KMS requests: data keys cached {KMS_CACHE_SECONDS} s, {KMS_CALLS_PER_PERIOD} requests per period "
    "per encrypting resource that carries traffic (queue, topic, tables, stream, bucket key, log groups)",
    f"order workflow (EXPRESS): {WORKFLOW_MS} ms at 64 MB per execution, {WORKFLOW_LOG_BYTES:,.0f} B of logs",
    "S3 archive: Firehose writes one object per source partition per buffer interval that has records "
    "(Poisson arrivals), more when the buffer size fills first; objects are gzip JSON lines compressed as "
    "the sample compresses",
    f"kept forever (archive retention 0, no S3 expiration) is priced as {FOREVER_DAYS} days of traffic stored",
    "event store: one conditional put per message, the item's body and ~250 B of attributes, written to "
    "the table and its source-time index (projection ALL); with global tables each region's consumer "
    "writes and each item is replicated once",
    "CloudWatch Logs storage: the ingested bytes compressed as the sample compresses, kept the retention",
    "custom metrics: every metric a function emits on its normal path receives data every hour",
]
LEFT_OUT = [
    "EventBridge's own KMS requests for the bus key (not documented for rule-based buses)",
    "Firehose JQ processing hours for the source= partition key (billed per hour of JQ time, not estimated)",
    "requests and storage of the Lambda code, the Terraform state and the schema registry (free or cents)",
    "data transfer out to the Internet (the notifier's webhook) and GetMetricData/Logs Insights of "
    "`tooling monitor` and `tooling logs`",
    "taxes, Savings Plans and negotiated discounts",
]


@dataclass
class _Flow:
    """One region's traffic per day."""

    own: float = 0.0  # events billed as custom events here (published, the workflow's, forwarded)
    copies_in: float = 0.0  # copies from the other region's bus (billed there, as replication)
    forwarded: float = 0.0
    workflow: float = 0.0  # events the order workflow publishes here
    matched: dict[str, float] = field(default_factory=dict)

    @property
    def bus(self) -> float:
        return self.own + self.copies_in


class _Lines:
    def __init__(self) -> None:
        self.lines: list[CostLine] = []

    def add(
        self,
        region: str,
        service: str,
        item: str,
        quantity: float,
        unit: str,
        unit_price: float,
        price: str,
        detail: str = "",
    ) -> None:
        self.lines.append(
            CostLine(
                region=region,
                service=service,
                item=item,
                quantity=quantity,
                unit=unit,
                unit_price=unit_price,
                price=price,
                monthly_usd=quantity * unit_price,
                detail=detail,
            )
        )


def stack_regions(config: Config) -> list[str]:
    return [config.region] + ([config.failover.secondary_region] if config.failover else [])


def load_region_prices(config: Config, directory: Path | None = None) -> dict[str, PriceFile]:
    """The price file of every region the environment deploys to (the secondary's too); exit 2 when one
    is missing or not valid."""
    return {region: load_prices(region, directory) for region in stack_regions(config)}


def estimate(
    config: Config,
    profile: TrafficProfile,
    prices: dict[str, PriceFile],
    root: Path,
    *,
    peak_factor: float = 10.0,
    replay_days: float = 0.0,
) -> CostReport:
    """The monthly cost of the environment for the profile; `prices` by region (every region of the stack)."""
    stacks = region_stacks(config, root)
    flows = _flows(profile, stacks)
    out = _Lines()
    for stack in stacks:
        other = next((s.region for s in stacks if s.region != stack.region), None)
        _Region(config, profile, stack, flows[stack.region], prices[stack.region], out, other).price(
            replay_days if stack.primary else 0.0
        )
    by_service: dict[str, float] = defaultdict(float)
    for line in out.lines:
        by_service[line.service] += line.monthly_usd
    primary = prices[config.region]
    return CostReport(
        environment=config.environment,
        regions=[s.region for s in stacks],
        hours_per_month=HOURS_PER_MONTH,
        peak_factor=peak_factor,
        profile=profile,
        prices=[
            PriceSource(
                region=s.region,
                as_of=prices[s.region].as_of,
                quotas_as_of=prices[s.region].quotas.as_of,
                sources=dict(prices[s.region].sources),
                quotas_source=prices[s.region].quotas.source,
                note=prices[s.region].note,
            )
            for s in stacks
        ],
        free_tier=primary.free_tier,
        lines=out.lines,
        total_usd=sum(line.monthly_usd for line in out.lines),
        by_service=dict(sorted(by_service.items(), key=lambda kv: -kv[1])),
        quotas=check_quotas(
            stacks,
            {s.region: _load(config, s, flows[s.region]) for s in stacks},
            prices,
            peak_factor,
            replication=bool(config.failover and config.failover.replication),
        ),
        assumptions=[*ASSUMPTIONS, *_profile_assumptions(profile)],
        left_out=LEFT_OUT,
    )


def _profile_assumptions(profile: TrafficProfile) -> list[str]:
    assumed = sorted(key for key, basis in profile.duration_basis.items() if basis == "assumed")
    found = []
    if assumed:
        found.append(
            "durations assumed, not measured: "
            + ", ".join(f"{key} {profile.duration_ms[key]:g} ms" for key in assumed)
            + " (--measured uses the functions' own)"
        )
    logs = sorted(key for key, basis in profile.log_basis.items() if basis == "assumed")
    if logs:
        found.append(
            f"log bytes per invocation assumed ({', '.join(logs)}): "
            f"{max(profile.log_bytes_per_invocation[k] for k in logs):,.0f} B"
        )
    return found + list(profile.notes)


def _load(config: Config, stack: RegionStack, flow: _Flow) -> RegionLoad:
    """Per day: entries PutEvents brings (all but the forwarded events), deliveries to targets."""
    deliveries = sum(flow.matched.get(rule.name, 0.0) * len(rule.targets) for rule in stack.rules)
    replicated = flow.own - flow.forwarded if config.failover and config.failover.replication else 0.0
    return RegionLoad(
        put_events=flow.own - flow.forwarded + flow.copies_in,
        invocations=deliveries + replicated + flow.forwarded,
    )


def _aws_only(rule: Rule) -> bool:
    """A rule only AWS service events match (by its pattern's sources): the secondary forwards none."""
    sources = rule.pattern.get("source")
    return (
        isinstance(sources, list)
        and bool(sources)
        and all(isinstance(s, str) and s.startswith("aws.") for s in sources)
    )


def _flows(profile: TrafficProfile, stacks: list[RegionStack]) -> dict[str, _Flow]:
    primary = stacks[0]
    flows = {
        primary.region: _Flow(
            own=profile.bus_events_per_day - profile.copies_in_per_day,
            copies_in=profile.copies_in_per_day,
            forwarded=profile.forwarded_per_day,
            workflow=profile.workflow_events_per_day,
            matched={name: rule.matched_per_day for name, rule in profile.rules.items()},
        )
    }
    for stack in stacks[1:]:
        if stack.receives == "none":
            flows[stack.region] = _Flow()
            continue
        first = flows[primary.region]
        workflow = profile.workflow_events_per_day if stack.workflow else 0.0
        flows[stack.region] = _Flow(
            own=workflow,
            copies_in=first.own - first.forwarded,
            workflow=workflow,
            matched={
                rule.name: 0.0 if _aws_only(rule) else first.matched.get(rule.name, 0.0)
                for rule in stack.rules
            },
        )
    return flows


class _Region:
    """The lines of one region's stack."""

    def __init__(
        self,
        config: Config,
        profile: TrafficProfile,
        stack: RegionStack,
        flow: _Flow,
        prices: PriceFile,
        out: _Lines,
        other_region: str | None,
    ) -> None:
        self.config, self.profile, self.stack, self.flow, self.p = config, profile, stack, flow, prices
        self.out, self.other = out, other_region
        self.region = stack.region
        self.invocations: dict[str, float] = defaultdict(float)  # per month
        self.encrypting = 0  # resources carrying traffic under the stack's key (KMS requests)
        self.batch_messages = 0.0  # per month
        self.message_bytes = profile.event_bytes
        self.executions = 0.0  # order-workflow executions per month

    def add(
        self, service: str, item: str, quantity: float, unit: str, price: float, label: str, detail: str = ""
    ) -> None:
        self.out.add(self.region, service, item, quantity, unit, price, label, detail)

    # -- traffic helpers ----------------------------------------------------------------------------------
    def monthly(self, per_day: float) -> float:
        return per_day * DAYS_PER_MONTH

    def delivered(self, target: str) -> tuple[float, float]:
        """(messages a month, mean bytes) the rules deliver to a logical target in this region."""
        count = 0.0
        weighted = 0.0
        for rule, target_id in self.stack.targets(target):
            matched = self.monthly(self.flow.matched.get(rule.name, 0.0))
            traffic = self.profile.rules.get(rule.name)
            size = traffic.payload_bytes.get(target_id, self.profile.event_bytes) if traffic else 0.0
            count += matched
            weighted += matched * size
        return count, (weighted / count if count else self.profile.event_bytes)

    def price(self, replay_days: float) -> None:
        self.eventbridge(replay_days)
        self.lambda_targets()
        self.sns()
        self.sqs_and_batch()
        self.firehose_and_s3()
        self.workflow()
        self.dynamodb()
        self.lambda_costs()
        self.cloudwatch()
        self.xray()
        self.kms()

    # -- EventBridge ---------------------------------------------------------------------------------------
    def eventbridge(self, replay_days: float) -> None:
        eb, p, flow = self.p.eventbridge, self.profile, self.flow
        chunks = p.chunks_per_event
        own = self.monthly(flow.own)
        parts = []
        if self.stack.primary:
            parts.append(f"{self.monthly(p.published_per_day):,.0f} published")
        if flow.workflow:
            parts.append(f"{self.monthly(flow.workflow):,.0f} by the order workflow")
        if flow.forwarded:
            parts.append(f"{self.monthly(flow.forwarded):,.0f} AWS service events forwarded")
        if own or self.stack.primary:
            self.add(
                "EventBridge", "custom events (PutEvents)", own * chunks, "events", eb.custom_events_per_million / 1e6,
                f"{money(eb.custom_events_per_million)} per 1M", f"{' + '.join(parts) or 'none'}; {chunks:g} x 64 KB chunk each",
            )  # fmt: skip
        for kind, count in self._deliveries().items():
            if count:
                self.add(
                    "EventBridge", f"deliveries to {kind}", count, "deliveries", 0.0, "free",
                    "same-account, same-region targets: no delivery charge",
                )  # fmt: skip
        bus = self.monthly(flow.bus)
        if bus or self.stack.primary:
            gb = bus * p.event_bytes / GB
            days = self.config.archive.retention_days or FOREVER_DAYS
            stored = flow.bus * p.event_bytes * days / GB
            self.add(
                "EventBridge", "archive processing", gb, "GB", eb.archive_processing_per_gb,
                f"{money(eb.archive_processing_per_gb)} per GB", f"{bus:,.0f} events x {p.event_bytes:,.0f} B",
            )  # fmt: skip
            retention = (
                f"{self.config.archive.retention_days} days"
                if self.config.archive.retention_days
                else "forever"
            )
            self.add(
                "EventBridge", "archive storage", stored, "GB-month", eb.archive_storage_per_gb_month,
                f"{money(eb.archive_storage_per_gb_month)} per GB-month", f"{days} days of events held (retention {retention})",
            )  # fmt: skip
        if replay_days:
            replayed = replay_days * flow.bus * chunks
            self.add(
                "EventBridge", "replay", replayed, "events", eb.replayed_events_per_million / 1e6,
                f"{money(eb.replayed_events_per_million)} per 1M", f"{replay_days:g} days of events replayed a month (--replay-days)",
            )  # fmt: skip
        replicated = self.monthly(flow.own - flow.forwarded)
        failover = self.config.failover
        if failover is not None and failover.replication and self.other is not None and replicated:
            self.add(
                "EventBridge", f"replication to {self.other}", replicated * chunks, "events",
                eb.custom_events_per_million / 1e6, f"{money(eb.custom_events_per_million)} per 1M",
                "the global endpoint copies every custom event to the other region's bus (a custom event there)",
            )  # fmt: skip
            dt = self.p.data_transfer
            self.add(
                "Data transfer", f"inter-region to {self.other}", replicated * p.event_bytes / GB, "GB",
                dt.inter_region_per_gb, f"{money(dt.inter_region_per_gb)} per GB", "the replicated events",
            )  # fmt: skip
        if self.stack.health_check:
            r53 = self.p.route53
            self.add(
                "Route 53", "health check", 1, "health checks", r53.health_check_per_month,
                f"{money(r53.health_check_per_month)} per month", "the global endpoint's, on the health alarm",
            )  # fmt: skip
        if bus:
            self.encrypting += 1  # the archive

    def _deliveries(self) -> dict[str, float]:
        kinds = {
            "batch-queue": "SQS", "notifications": "SNS", S3_ARCHIVE_TARGET: "Firehose",
            WORKFLOW_TARGET: "Step Functions",
        }  # fmt: skip
        out: dict[str, float] = defaultdict(float)
        for rule in self.stack.rules:
            matched = self.monthly(self.flow.matched.get(rule.name, 0.0))
            for target in rule.targets:
                out[kinds.get(target.target, "Lambda")] += matched
        return dict(out)

    # -- targets -------------------------------------------------------------------------------------------
    def lambda_targets(self) -> None:
        """Functions rules name as targets (EventBridge invokes them asynchronously, one event each)."""
        for key, _ in self.stack.functions:
            if key != BATCH_PROCESSOR:
                self.invocations[key] += self.delivered(key)[0]

    def sns(self) -> None:
        publishes, size = self.delivered("notifications")
        if not publishes:
            return
        sns = self.p.sns
        chunks = max(1, math.ceil(size / CHUNK_64K))
        self.add(
            "SNS", "notifications publishes", publishes * chunks, "requests", sns.publishes_per_million / 1e6,
            f"{money(sns.publishes_per_million)} per 1M", f"the high-value rule's matches, {size:,.0f} B messages",
        )  # fmt: skip
        if self.stack.function(NOTIFIER):
            self.invocations[NOTIFIER] += publishes
            self.add("SNS", "deliveries to the notifier (Lambda)", publishes, "deliveries", 0.0, "free")
        if self.stack.email:
            self.add(
                "SNS", "email notifications", publishes, "emails", sns.email_per_100k / 1e5,
                f"{money(sns.email_per_100k)} per 100k", "[notifications] email subscribes to the topic",
            )  # fmt: skip
        self.encrypting += 1

    def sqs_and_batch(self) -> None:
        messages, size = self.delivered("batch-queue")
        self.batch_messages = messages
        self.message_bytes = size
        consumer = self.stack.function(BATCH_PROCESSOR)
        if not self.stack.rules and not consumer:
            return
        per_second = messages / SECONDS_PER_MONTH
        batch = self.config.batch_processor
        per_batch = min(float(batch.batch_size), 1.0 + per_second * batch.batching_window_seconds)
        batches = messages / per_batch if consumer and messages else 0.0
        self.invocations[BATCH_PROCESSOR] += batches
        chunks = max(1, math.ceil(size / CHUNK_64K))
        receive_chunks = max(1, math.ceil(size * per_batch / CHUNK_64K))
        idle = max(0.0, SQS_POLLERS * SECONDS_PER_MONTH / LONG_POLL_SECONDS - batches) if consumer else 0.0
        requests = messages * chunks + batches * receive_chunks + batches + idle
        sqs = self.p.sqs
        self.add(
            "SQS", "batch queue requests", requests, "requests", sqs.requests_per_million / 1e6,
            f"{money(sqs.requests_per_million)} per 1M",
            f"{messages:,.0f} sends + {batches:,.0f} receives and deletes ({per_batch:.1f} messages a batch) "
            f"+ {idle:,.0f} empty long polls",
        )  # fmt: skip
        if messages:
            self.encrypting += 1

    def firehose_and_s3(self) -> None:
        records, size = self.delivered(S3_ARCHIVE_TARGET)
        if not self.stack.s3_archive or not records:
            return
        fh = self.p.firehose
        billed = records * math.ceil(size / FIREHOSE_INCREMENT) * FIREHOSE_INCREMENT / GB
        raw = records * size / GB
        self.add(
            "Firehose", "ingestion (5 KB increments)", billed, "GB", fh.ingestion_per_gb,
            f"{money(fh.ingestion_per_gb)} per GB", f"{records:,.0f} records of {size:,.0f} B, each billed as 5 KB steps",
        )  # fmt: skip
        self.add(
            "Firehose", "dynamic partitioning", raw, "GB", fh.dynamic_partitioning_per_gb,
            f"{money(fh.dynamic_partitioning_per_gb)} per GB", "by source= (MetadataExtraction)",
        )  # fmt: skip
        partitions = self._partitions(records, size)
        objects = sum(count for count, _ in partitions)
        archive = self.config.s3_archive
        self.add(
            "Firehose", "partitioned objects delivered", objects, "objects", fh.dynamic_partitioning_objects_per_1000 / 1000,
            f"{money(fh.dynamic_partitioning_objects_per_1000)} per 1,000",
            f"{len(partitions)} source partitions, buffer {archive.buffer_interval_seconds} s / {archive.buffer_size_mb} MB",
        )  # fmt: skip
        s3 = self.p.s3
        self.add(
            "S3", "PUT (archive objects)", objects, "requests", s3.put_per_1000 / 1000, f"{money(s3.put_per_1000)} per 1,000",
        )  # fmt: skip
        end = archive.expiration_days or FOREVER_DAYS
        kept = "until expiration" if archive.expiration_days else f"{FOREVER_DAYS} days (kept forever)"
        # S3 lifecycle leaves objects under 128 KB where they are (its default since September 2024, and the
        # bucket sets no other): a partition whose objects are that small stays in STANDARD.
        moving = [
            (n, gb) for n, gb in partitions if n and gb * DAYS_PER_MONTH * GB / n >= MIN_TRANSITION_BYTES
        ]
        staying = [(n, gb) for n, gb in partitions if (n, gb) not in moving]
        transition = min(archive.transition_days, end)
        standard = sum(gb for _, gb in staying) * end + sum(gb for _, gb in moving) * transition
        small = (
            f"; {len(staying)} of {len(partitions)} partitions' objects under 128 KB stay (lifecycle)"
            if staying
            else ""
        )
        self.add(
            "S3", "storage STANDARD", standard, "GB-month", s3.storage_per_gb_month["STANDARD"],
            f"{money(s3.storage_per_gb_month['STANDARD'])} per GB-month",
            f"gzip objects ({self.profile.gzip_ratio:.0%} of the raw bytes), {transition} days{small}",
        )  # fmt: skip
        if moving and end > archive.transition_days:
            cls = archive.storage_class
            self.add(
                "S3", f"storage {cls}", sum(gb for _, gb in moving) * (end - archive.transition_days), "GB-month",
                s3.storage_per_gb_month[cls], f"{money(s3.storage_per_gb_month[cls])} per GB-month",
                f"after {archive.transition_days} days, {kept}",
            )  # fmt: skip
            self.add(
                "S3", f"lifecycle transitions to {cls}", sum(n for n, _ in moving), "requests",
                s3.transition_per_1000[cls] / 1000, f"{money(s3.transition_per_1000[cls])} per 1,000",
                "each object of 128 KB or more moves once",
            )  # fmt: skip
        self.encrypting += 2  # the stream and the bucket key

    def _partitions(self, records: float, size: float) -> list[tuple[float, float]]:
        """Per source partition: (S3 objects a month, GB written a day after gzip). An object per buffer
        interval that holds at least one record (Poisson arrivals), or per full buffer when the size fills
        first."""
        archive = self.config.s3_archive
        interval = max(archive.buffer_interval_seconds, 60)  # dynamic partitioning buffers at least 60 s
        intervals = SECONDS_PER_MONTH / interval
        out = []
        for share in self.profile.source_shares.values():
            rate = records * share / SECONDS_PER_MONTH
            by_time = intervals * (1 - math.exp(-rate * interval))
            by_size = records * share * size / (archive.buffer_size_mb * MB)
            per_day = records * share / DAYS_PER_MONTH * size * self.profile.gzip_ratio / GB
            out.append((max(by_time, by_size), per_day))
        return out

    def workflow(self) -> None:
        executions, _ = self.delivered(WORKFLOW_TARGET)
        self.executions = executions
        if not self.stack.workflow or not executions:
            return
        sf = self.p.stepfunctions
        self.add(
            "Step Functions", "express requests", executions, "executions", sf.express_requests_per_million / 1e6,
            f"{money(sf.express_requests_per_million)} per 1M", "one execution per matched order",
        )  # fmt: skip
        gb_seconds = executions * math.ceil(WORKFLOW_MS / 100) * 0.1 * WORKFLOW_MEMORY_GB
        self.add(
            "Step Functions", "express duration", gb_seconds, "GB-s", sf.express_gb_second,
            f"{money(sf.express_gb_second)} per GB-s", f"{WORKFLOW_MS} ms at 64 MB (assumed)",
        )  # fmt: skip

    # -- DynamoDB ------------------------------------------------------------------------------------------
    def dynamodb(self) -> None:
        ddb = self.p.dynamodb
        if self.stack.event_store and self.batch_messages:
            item = self.message_bytes + ITEM_OVERHEAD_BYTES
            units = math.ceil(item / WRITE_UNIT_BYTES)
            writes = self.batch_messages * units * 2
            self.add(
                "DynamoDB", "event store writes", writes, "write units", ddb.write_per_million / 1e6,
                f"{money(ddb.write_per_million)} per 1M WRU",
                f"{self.batch_messages:,.0f} items of {item:,.0f} B ({units} WRU) to the table and its index",
            )  # fmt: skip
            ttl = self.config.event_store.ttl_days
            gb = self.batch_messages / DAYS_PER_MONTH * ttl * item * 2 / GB
            self.add(
                "DynamoDB", "event store storage", gb, "GB-month", ddb.storage_per_gb_month,
                f"{money(ddb.storage_per_gb_month)} per GB-month", f"{ttl} days of items (TTL) and the index's copy",
            )  # fmt: skip
            if self.config.event_store.point_in_time_recovery:
                self.add(
                    "DynamoDB", "event store PITR", gb / 2, "GB-month", ddb.pitr_per_gb_month,
                    f"{money(ddb.pitr_per_gb_month)} per GB-month", "continuous backups of the table",
                )  # fmt: skip
            if self.stack.global_tables and not self.stack.primary:
                self.add(
                    "DynamoDB", "event store replicated writes", self.batch_messages * units, "replicated write units",
                    ddb.replicated_write_per_million / 1e6, f"{money(ddb.replicated_write_per_million)} per 1M rWRU",
                    "global table: each item replicated once between the regions",
                )  # fmt: skip
                self._replication_transfer(self.batch_messages * item)
            self.encrypting += 1
        notified = self.invocations.get(NOTIFIER, 0.0)
        if self.stack.idempotency_table and notified:
            self.add(
                "DynamoDB", "idempotency writes", notified * IDEMPOTENCY_WRITES, "write units",
                ddb.write_per_million / 1e6, f"{money(ddb.write_per_million)} per 1M WRU",
                "the notifier's claim and completion per alert",
            )  # fmt: skip
            if self.stack.global_tables:
                self.add(
                    "DynamoDB", "idempotency replicated writes", notified * IDEMPOTENCY_WRITES,
                    "replicated write units", ddb.replicated_write_per_million / 1e6,
                    f"{money(ddb.replicated_write_per_million)} per 1M rWRU", "the other region's records, replicated here",
                )  # fmt: skip
            self.encrypting += 1

    def _replication_transfer(self, total_bytes: float) -> None:
        dt = self.p.data_transfer
        self.add(
            "Data transfer", "global table replication", total_bytes / GB, "GB", dt.inter_region_per_gb,
            f"{money(dt.inter_region_per_gb)} per GB", "event-store items between the regions",
        )  # fmt: skip

    # -- Lambda --------------------------------------------------------------------------------------------
    def lambda_costs(self) -> None:
        lam = self.p.lambda_
        for key, settings in self.stack.functions:
            count = self.invocations.get(key, 0.0)
            basis = self.profile.duration_basis.get(key, "assumed")
            ms = self.profile.duration_ms.get(key, 100.0)
            self.add(
                "Lambda", f"{key} requests", count, "requests", lam.requests_per_million / 1e6,
                f"{money(lam.requests_per_million)} per 1M",
            )  # fmt: skip
            gb_seconds = count * ms / 1000 * settings.memory_mb / 1024
            self.add(
                "Lambda", f"{key} duration", gb_seconds, "GB-s", lam.arm_gb_second, f"{money(lam.arm_gb_second)} per GB-s (arm64)",
                f"{settings.memory_mb} MB x {ms:,.0f} ms ({basis})",
            )  # fmt: skip

    # -- CloudWatch, X-Ray, KMS ----------------------------------------------------------------------------
    def cloudwatch(self) -> None:
        cw = self.p.cloudwatch
        if self.stack.alarm_metrics:
            self.add(
                "CloudWatch", "alarms", self.stack.alarm_metrics, "alarm metrics", cw.alarm_metric_per_month,
                f"{money(cw.alarm_metric_per_month)} per alarm metric-month",
                f"{self.stack.alarms} alarms of the catalogue (metric-math alarms count each metric)",
            )  # fmt: skip
        if self.stack.dashboards:
            self.add(
                "CloudWatch", "dashboard", self.stack.dashboards, "dashboards", cw.dashboard_per_month,
                f"{money(cw.dashboard_per_month)} per dashboard-month",
            )  # fmt: skip
        if self.stack.custom_metrics:
            self.add(
                "CloudWatch", "custom metrics (EMF)", self.stack.custom_metrics, "metrics", cw.custom_metric_per_month,
                f"{money(cw.custom_metric_per_month)} per metric-month", "the functions' Powertools metrics",
            )  # fmt: skip
        ingested = (
            sum(
                count * self.profile.log_bytes_per_invocation.get(key, 0.0)
                for key, count in self.invocations.items()
            )
            + self.executions * WORKFLOW_LOG_BYTES
        )
        if not ingested:
            return
        self.add(
            "CloudWatch", "logs ingestion", ingested / GB, "GB", cw.logs_ingestion_per_gb,
            f"{money(cw.logs_ingestion_per_gb)} per GB", "function and workflow logs",
        )  # fmt: skip
        days = self.config.logs.retention_days
        stored = ingested / DAYS_PER_MONTH * days * self.profile.gzip_ratio / GB
        self.add(
            "CloudWatch", "logs storage", stored, "GB-month", cw.logs_storage_per_gb_month,
            f"{money(cw.logs_storage_per_gb_month)} per GB-month", f"{days} days retention, compressed",
        )  # fmt: skip
        self.encrypting += sum(1 for count in self.invocations.values() if count) + int(bool(self.executions))

    def xray(self) -> None:
        traced = sum(_traced(count) for count in self.invocations.values()) + _traced(self.executions)
        if not traced:
            return
        xr = self.p.xray
        self.add(
            "X-Ray", "traces recorded", traced, "traces", xr.traces_recorded_per_million / 1e6,
            f"{money(xr.traces_recorded_per_million)} per 1M", "active tracing on every function and the workflow",
        )  # fmt: skip

    def kms(self) -> None:
        km = self.p.kms
        self.add(
            "KMS",
            "customer managed key",
            1,
            "keys",
            km.key_per_month,
            f"{money(km.key_per_month)} per key-month",
        )
        requests = self.encrypting * KMS_CALLS_PER_PERIOD * SECONDS_PER_MONTH / KMS_CACHE_SECONDS
        if requests:
            self.add(
                "KMS", "requests", requests, "requests", km.requests_per_10k / 1e4, f"{money(km.requests_per_10k)} per 10,000",
                f"{self.encrypting} encrypting resources with traffic, data keys cached",
            )  # fmt: skip


def money(amount: float) -> str:
    """A unit price as the pages print it: $1.00, $0.023, $0.0000133334."""
    digits = f"{amount:.10f}".rstrip("0")
    whole, _, fraction = digits.partition(".")
    return f"${int(whole):,}.{fraction.ljust(2, '0')}"


def _traced(count: float) -> float:
    """Traces X-Ray records a month for `count` requests spread over the month (default sampling)."""
    if count <= 0:
        return 0.0
    rate = count / SECONDS_PER_MONTH
    reservoir = 1 - math.exp(-rate * XRAY_RESERVOIR_PER_SECOND)  # seconds holding at least one request
    return SECONDS_PER_MONTH * (reservoir + XRAY_RATE * max(0.0, rate - reservoir))
