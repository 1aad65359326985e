"""`tooling smoke`: publish the plan's canaries, then look for each route's evidence until all are seen or
the timeout passes, and report route -> seen / silent / failed / pending / skipped with its latency.

    seen     the evidence was found (latency: see probes.py)
    silent   nothing arrived before the timeout: the route is broken, or slower than the timeout
    failed   PutEvents refused the canary, or the target reported an error for it
    pending  the S3 archive's Firehose buffer had not been written yet when the timeout passed, and the
             configured buffer interval says it may still be (rerun with a longer --timeout)
    skipped  nothing was sent down the route, or its arrival cannot be observed (the reason says which)

The run is ok when no route is silent or failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from tooling.config import Config
from tooling.errors import OutputsMissingError, UsageError
from tooling.publish.bus import Bus
from tooling.smoke.canary import entry_of, new_run_id
from tooling.smoke.plan import BusKind, Canary, Plan, PlannedRoute, plan_routes
from tooling.smoke.probes import ObservationSources, Probes, Sent, Sighting, Unobservable

Status = Literal["seen", "silent", "failed", "pending", "skipped"]
DEFAULT_TIMEOUT_SECONDS = 120.0
MAX_TIMEOUT_SECONDS = 3600.0
# Firehose writes a partition's buffer at most this long after its interval (its own scheduling).
ARCHIVE_GRACE_SECONDS = 60.0
PUT_EVENTS_BATCH = 10  # PutEvents takes at most 10 entries
PUT_ATTEMPTS = 3
RETRYABLE = frozenset({"ThrottlingException", "InternalException", "InternalFailure", "ServiceUnavailable"})
Progress = Callable[[str], None]


class RouteResult(BaseModel):
    route: str
    rule: str
    target: str
    target_id: str
    where: str
    status: Status
    canary_id: str | None = None
    event_id: str | None = None
    latency_seconds: float | None = None
    evidence: str | None = None
    reason: str | None = None
    also_via: list[str] = []


class SmokeReport(BaseModel):
    environment: str
    target: str
    run_id: str
    started_at: datetime
    timeout_seconds: float
    seconds: float
    routes: list[RouteResult]

    def count(self, status: Status) -> int:
        return sum(r.status == status for r in self.routes)

    @property
    def ok(self) -> bool:
        return self.count("silent") == 0 and self.count("failed") == 0

    def summary_line(self) -> str:
        """`smoke: 6/6 routes seen, 1 skipped` (the routes a canary was sent down, then the others)."""
        sent = len(self.routes) - self.count("skipped")
        parts = [f"smoke: {self.count('seen')}/{sent} routes seen"]
        for status in ("silent", "failed", "pending", "skipped"):
            if self.count(status):
                parts.append(f"{self.count(status)} {status}")
        return ", ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {**self.model_dump(mode="json"), "ok": self.ok, "summary": self.summary_line()}


@dataclass(frozen=True)
class Settings:
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    interval: float = 2.0  # seconds between looks
    allow_email: bool = False


def check_timeout(seconds: float) -> float:
    if not 1 <= seconds <= MAX_TIMEOUT_SECONDS:
        raise UsageError(
            f"--timeout must be from 1s to {MAX_TIMEOUT_SECONDS / 60:.0f}m, not {seconds:g} s",
            hint="e.g. --timeout 120s, or --timeout 6m to wait out a 300 s Firehose buffer",
        )
    return seconds


def _utc_now() -> datetime:
    return datetime.now(UTC)


def publish_canaries(
    plan: Plan, buses: Callable[[BusKind], Bus], clock: Callable[[], datetime], sleep: Callable[[float], None]
) -> tuple[dict[str, Sent], dict[str, str]]:
    """PutEvents of every canary on its bus (retrying throttled entries): (sent by canary id, refusal by id)."""
    sent: dict[str, Sent] = {}
    refused: dict[str, str] = {}
    for kind in ("custom", "default"):
        canaries = [c for c in plan.canaries if c.bus == kind]
        if not canaries:
            continue
        bus = buses(kind)
        try:
            for start in range(0, len(canaries), PUT_EVENTS_BATCH):
                _put(bus, canaries[start : start + PUT_EVENTS_BATCH], sent, refused, clock, sleep)
        finally:
            close = getattr(bus, "close", None)
            if callable(close):
                close()
    return sent, refused


def _put(
    bus: Bus,
    canaries: list[Canary],
    sent: dict[str, Sent],
    refused: dict[str, str],
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> None:
    waiting = list(canaries)
    for attempt in range(1, PUT_ATTEMPTS + 1):
        try:
            results = bus.put_events([entry_of(c.event) for c in waiting])
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code == "ResourceNotFoundException":
                raise OutputsMissingError(
                    f"the bus is not deployed: {getattr(exc, 'response', {}).get('Error', {}).get('Message', exc)}",
                    hint="apply the environment first (make apply, or tooling apply --target local)",
                ) from None
            raise
        at = clock()
        retry: list[Canary] = []
        for canary, result in zip(waiting, results, strict=True):
            if "EventId" in result:
                sent[canary.id] = Sent(canary, str(result["EventId"]), at)
            elif result.get("ErrorCode") in RETRYABLE and attempt < PUT_ATTEMPTS:
                retry.append(canary)
            else:
                refused[canary.id] = (
                    f"PutEvents refused it: {result.get('ErrorCode')}: {result.get('ErrorMessage')}"
                )
        if not retry:
            return
        waiting = retry
        sleep(0.5 * attempt)


def _archive_pending(interval: int, sent: Sent, now: datetime, buffered: int | None) -> str | None:
    """Why an archive route not seen yet may still be written (Firehose's buffer of `interval` seconds), or
    None. `buffered`: the records the local stream still holds (None on AWS, which does not tell)."""
    waited = (now - sent.at).total_seconds()
    if buffered:
        return (
            f"the stream's buffer still holds {buffered} record(s), written {interval} s after the first "
            f"(buffer_interval_seconds): rerun with --timeout {int(interval + ARCHIVE_GRACE_SECONDS)}s or more"
        )
    if waited < interval + ARCHIVE_GRACE_SECONDS and buffered is None:
        return (
            f"Firehose writes its buffer up to {interval} s after the record (buffer_interval_seconds), "
            f"only {waited:.0f} s have passed: rerun with --timeout {int(interval + ARCHIVE_GRACE_SECONDS)}s"
        )
    return None


def run_smoke(
    config: Config,
    sources: ObservationSources,
    buses: Callable[[BusKind], Bus],
    *,
    environment: str,
    settings: Settings,
    clock: Callable[[], datetime] = _utc_now,
    sleep: Callable[[float], None] = time.sleep,
    progress: Progress | None = None,
    run_id: str | None = None,
) -> SmokeReport:
    """Plan, publish, wait and report (see the module docstring). `buses` opens the stack's bus ("custom")
    or the account's default bus ("default"); `sources` are the target's observation sources."""
    check_timeout(settings.timeout)
    outputs = sources.outputs
    started = clock()
    plan = plan_routes(
        config, outputs, run_id or new_run_id(started), started, allow_email=settings.allow_email
    )
    sent, refused = publish_canaries(plan, buses, clock, sleep)
    waiting = [i for i, p in enumerate(plan.routes) if p.canary is not None and p.canary.id in sent]
    if progress is not None:
        progress(
            f"smoke: {len(sent)} canaries published (run {plan.run_id}); waiting up to "
            f"{settings.timeout:.0f} s for {len(waiting)} routes"
        )
    found: dict[int, Sighting | Unobservable] = {}
    probes = Probes(sources)
    deadline = started + timedelta(seconds=settings.timeout)
    try:
        while True:
            now = clock()
            for index in waiting:
                planned = plan.routes[index]
                if index in found:
                    continue
                assert planned.observation is not None and planned.canary is not None
                look = probes.look(planned.observation, sent[planned.canary.id], now)
                if look is not None:
                    found[index] = look
                    if progress is not None and isinstance(look, Sighting):
                        progress(f"  {planned.route.name}: {'failed' if look.failure else 'seen'}")
            if all(i in found for i in waiting) or clock() >= deadline:
                break
            sleep(max(0.0, min(settings.interval, (deadline - clock()).total_seconds())))
        ended = clock()
        interval = config.s3_archive.buffer_interval_seconds
        results = [
            _result(
                p, sent, refused, found.get(i), settings.timeout, interval, ended, probes.buffered_records
            )
            for i, p in enumerate(plan.routes)
        ]
    finally:
        probes.close()
    return SmokeReport(
        environment=environment,
        target=outputs.target,
        run_id=plan.run_id,
        started_at=started,
        timeout_seconds=settings.timeout,
        seconds=round((ended - started).total_seconds(), 3),
        routes=results,
    )


def _result(
    planned: PlannedRoute,
    sent: dict[str, Sent],
    refused: dict[str, str],
    look: Sighting | Unobservable | None,
    timeout: float,
    archive_interval: int,
    now: datetime,
    buffered: int | None,
) -> RouteResult:
    route, canary = planned.route, planned.canary
    base = RouteResult(
        route=route.name,
        rule=route.rule,
        target=route.target,
        target_id=route.target_id,
        where=planned.observation.where if planned.observation else "-",
        status="skipped",
        canary_id=canary.id if canary else None,
        also_via=list(planned.also_via),
    )
    if canary is None:
        return base.model_copy(update={"reason": planned.skipped})
    if canary.id in refused:
        return base.model_copy(update={"status": "failed", "reason": refused[canary.id]})
    delivered = sent[canary.id]
    base = base.model_copy(update={"event_id": delivered.event_id})
    if isinstance(look, Unobservable):
        return base.model_copy(update={"reason": look.reason})
    if isinstance(look, Sighting):
        latency = max(0.0, (look.at - delivered.at).total_seconds())
        status: Status = "failed" if look.failure else "seen"
        return base.model_copy(
            update={
                "status": status,
                "latency_seconds": round(latency, 3),
                "evidence": look.evidence,
                "reason": look.failure,
            }
        )
    if planned.observation is not None and planned.observation.kind == "s3-archive":
        pending = _archive_pending(archive_interval, delivered, now, buffered)
        if pending is not None:
            return base.model_copy(update={"status": "pending", "reason": pending})
    where = planned.observation.where if planned.observation else "?"
    return base.model_copy(
        update={"status": "silent", "reason": f"not seen in the {where} within {timeout:.0f} s"}
    )
