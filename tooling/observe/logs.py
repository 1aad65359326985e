"""The functions' log events: fetched per log group through a target's LogSource, merged in time order.

A target implements `LogSource` (AWS: FilterLogEvents, all pages, in `tooling/observe/aws_sources.py`; the
local target in `tooling/local/`). `collect_logs` merges the groups; `follow_logs` polls for new events
without repeating any.
"""

from __future__ import annotations

import heapq
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from tooling.errors import UsageError
from tooling.outputs import DeploymentOutputs


class LogRecord(BaseModel):
    """One raw event of one log group, as a LogSource returns it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timestamp: datetime  # timezone-aware UTC
    message: str
    log_stream: str = ""
    event_id: str = ""  # unique within the group; used to drop repeats when following


class LogEvent(BaseModel):
    """A record attributed to its function, its message parsed when it is JSON (structured logs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timestamp: datetime
    function: str  # processor | notifier | analytics
    log_group: str
    log_stream: str
    event_id: str
    message: str
    data: dict[str, Any] | None = None  # the message parsed, when it is a JSON object


class LogSource(Protocol):
    """What a target implements so `tooling logs` can read the functions' logs."""

    def events(
        self,
        log_group: str,
        start: datetime,
        end: datetime | None = None,
        text: str | None = None,
        *,
        newest: int | None = None,
        metrics: bool = True,
    ) -> Iterable[LogRecord]:
        """Every event of `log_group` with start <= timestamp (< end when given), all pages, ordered by
        timestamp. `text`, when given, keeps only events whose message contains it (case-sensitive);
        `metrics=False` leaves out EMF metric lines (`is_emf`); `newest=N` keeps only the newest N of what
        is left (still oldest first). A log group that does not exist yet (function never invoked) yields
        nothing."""
        ...


# Lambda's Embedded Metric Format: a JSON object whose `_aws` key carries `CloudWatchMetrics`. Powertools
# writes `_aws` first, which lets the local store skip these lines without parsing them.
EMF_PREFIX = '{"_aws"'


def is_emf(message: str) -> bool:
    """Is this log line an EMF metric record (read by CloudWatch as metrics, noise to a person)?"""
    text = message.lstrip()
    if not text.startswith("{") or '"_aws"' not in text:
        return False
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return False
    aws = parsed.get("_aws") if isinstance(parsed, dict) else None
    return isinstance(aws, dict) and "CloudWatchMetrics" in aws


def _event(function: str, log_group: str, record: LogRecord) -> LogEvent:
    data: dict[str, Any] | None = None
    text = record.message.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        data = parsed if isinstance(parsed, dict) else None
    return LogEvent(
        timestamp=record.timestamp,
        function=function,
        log_group=log_group,
        log_stream=record.log_stream,
        event_id=record.event_id,
        message=record.message.rstrip("\n"),
        data=data,
    )


def log_groups(outputs: DeploymentOutputs, functions: Sequence[str] = ()) -> dict[str, str]:
    """{function key: log group} for the chosen functions (all when none are chosen)."""
    known = outputs.log_group_names
    unknown = [f for f in functions if f not in known]
    if unknown:
        raise UsageError(
            f"unknown function {', '.join(unknown)}",
            hint=f"choose from: {', '.join(sorted(known)) or '(none)'}",
        )
    return {key: known[key] for key in (functions or list(known))}


def collect_logs(
    source: LogSource,
    groups: dict[str, str],
    start: datetime,
    end: datetime | None = None,
    text: str | None = None,
    *,
    limit: int | None = None,
    metrics: bool = True,
) -> list[LogEvent]:
    """Every event of the groups in the range, merged in time order (ties: function, then the order the
    source gave); with `limit`, only the newest `limit` of them (newest last); `metrics=False` drops EMF
    lines."""
    if limit is not None and limit < 1:
        raise UsageError("--limit must be 1 or more")
    streams = []
    for function, group in groups.items():
        found = source.events(group, start, end, text, newest=limit, metrics=metrics)
        # A stable sort by time only: lines of one instant stay in the order they were written (the source's
        # order); sorting by event id would put id "10" before "9".
        records = sorted(found, key=lambda r: r.timestamp)
        streams.append([_event(function, group, r) for r in records])
    merged = list(heapq.merge(*streams, key=lambda e: (e.timestamp, e.function)))
    return merged[-limit:] if limit is not None else merged


def _ident(event: LogEvent) -> tuple[str, str]:
    return (event.log_group, event.event_id or f"{event.timestamp.isoformat()}:{event.message}")


def follow_logs(
    source: LogSource,
    groups: dict[str, str],
    since: timedelta,
    text: str | None = None,
    interval: float = 2.0,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
    polls: int | None = None,
    limit: int | None = None,
    metrics: bool = True,
    settle: float | None = None,
) -> Iterator[LogEvent]:
    """The events of the last `since` (the newest `limit` of them), then new ones as they arrive, polling
    every `interval` seconds, each event once and never before an older one. Runs until interrupted (or
    `polls` polls, for tests).

    A line can be stored after newer ones (a longer invocation's lines, another function's, CloudWatch's
    ingestion delay). So each poll prints only the events older than `settle` seconds (default: the
    interval), merged in time order: a line that arrives up to that late still takes its place. The
    watermark is the newest timestamp printed; the next poll reads from it (inclusive, the ids printed at
    that instant remembered). A line stored later still, older than lines already printed, is left out
    rather than printed out of order (`tooling logs --since` shows it)."""
    hold = timedelta(seconds=interval if settle is None else settle)
    watermark = now() - since
    at_watermark: set[tuple[str, str]] = set()
    done = 0
    while polls is None or done < polls:
        cutoff = now() - hold
        batch = (
            collect_logs(
                source, groups, watermark, cutoff, text, limit=limit if done == 0 else None, metrics=metrics
            )
            if cutoff > watermark
            else []
        )
        for event in batch:
            ident = _ident(event)
            if event.timestamp < watermark or (event.timestamp == watermark and ident in at_watermark):
                continue
            if event.timestamp > watermark:
                watermark, at_watermark = event.timestamp, set()
            at_watermark.add(ident)
            yield event
        done += 1
        if polls is None or done < polls:
            sleep(interval)
