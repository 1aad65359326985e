"""The S3 event archive's section of `tooling monitor`: the Firehose stream's records in and delivered,
its successful and failed deliveries to S3 over the window, and the bucket's object count.

Kept apart from monitor.py (which imports it): the stats model, the problems it raises and its rendering.
The sources fill it: observe/aws_sources.py (Firehose DescribeDeliveryStream, CloudWatch AWS/Firehose
metrics, S3 ListObjectsV2) and tooling/local/monitor_source.py (the local stream's counters and folder).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from rich import box
from rich.table import Table
from rich.text import Text

# AWS/Firehose metrics (dimension DeliveryStreamName) the section reads: (field, metric, statistic).
# DeliveryToS3.Success is 1 per successful S3 put and 0 per failed one: its Sum counts successes and its
# SampleCount all attempts.
FIREHOSE_METRICS: tuple[tuple[str, str, str], ...] = (
    ("incoming_records", "IncomingRecords", "Sum"),
    ("delivered_records", "DeliveryToS3.Records", "Sum"),
    ("successful_deliveries", "DeliveryToS3.Success", "Sum"),
    ("delivery_attempts", "DeliveryToS3.Success", "SampleCount"),
)
# Listing a bucket is paged by 1000 keys; past this many objects the count is shown as a lower bound.
MAX_COUNTED_OBJECTS = 10_000


class S3ArchiveStats(BaseModel):
    model_config = ConfigDict(frozen=True)

    stream_name: str
    bucket_name: str
    stream_exists: bool
    stream_status: str = ""
    bucket_exists: bool
    incoming_records: int = 0
    delivered_records: int = 0
    successful_deliveries: int = 0
    failed_deliveries: int = 0
    objects: int = 0
    objects_capped: bool = False  # more than MAX_COUNTED_OBJECTS: `objects` is a lower bound
    # Records buffered, not yet written (the local target knows; None on AWS, which does not say).
    buffered_records: int | None = None


def problems(stats: S3ArchiveStats) -> list[tuple[str, str, str]]:
    """(severity, subject, message) for the health verdict."""
    subject = "s3-archive"
    out: list[tuple[str, str, str]] = []
    if not stats.stream_exists:
        out.append(("critical", subject, f"Firehose stream {stats.stream_name} not found"))
    if not stats.bucket_exists:
        out.append(("critical", subject, f"bucket {stats.bucket_name} not found"))
    if stats.failed_deliveries:
        out.append(("critical", subject, f"{stats.failed_deliveries} failed delivery(ies) to S3"))
    return out


def render_s3_archive(stats: S3ArchiveStats, prefix: str = "") -> Table:
    """Two-column key/value table, like the bus section: fits 80 columns."""
    table = Table(
        title="S3 archive",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_header=False,
        padding=(0, 1),
        show_edge=False,
        min_width=0,
    )
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")

    def shortened(name: str) -> str:
        return name[len(prefix) :] if prefix and name.startswith(prefix) else name

    stream = shortened(stats.stream_name)
    if stats.stream_exists:
        table.add_row("stream", f"{stream}  {stats.stream_status}".rstrip())
    else:
        table.add_row("stream", Text(f"{stream}  missing", style="bold red"))
    if stats.bucket_exists:
        count = f"{stats.objects:,}{'+' if stats.objects_capped else ''}"
        table.add_row("bucket", f"{shortened(stats.bucket_name)}  {count} objects")
    else:
        table.add_row("bucket", Text(f"{shortened(stats.bucket_name)}  missing", style="bold red"))
    records = f"{stats.incoming_records:,} in, {stats.delivered_records:,} written"
    if stats.buffered_records is not None:
        records += f", {stats.buffered_records:,} buffered"
    table.add_row("records", records)
    failed = Text(str(stats.failed_deliveries), style="bold red" if stats.failed_deliveries else "")
    deliveries = Text(f"{stats.successful_deliveries:,} ok, ")
    deliveries.append_text(failed)
    deliveries.append(" failed")
    table.add_row("deliveries", deliveries)
    return table
