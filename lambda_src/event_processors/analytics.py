"""Analytics: every e-commerce event counted per source and per (source, detail-type).

Entry point ``event_processors.analytics.handler``. Metrics leave as CloudWatch Embedded Metric Format lines
on stdout, which CloudWatch turns into metrics asynchronously: no PutMetricData call (and no latency, no
throttling, no IAM permission) per event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from event_processors.canary import LOG_MESSAGE, canary_id
from event_processors.envelope import EventEnvelope, event_id_of, parse_envelope
from event_processors.errors import InvalidEventError
from event_processors.observability import instrumented, logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

EVENTS_RECEIVED = "EventsReceived"
EVENT_AGE = "EventAgeMilliseconds"
# CloudWatch accepts dimension values up to 1024 characters; detail-type is caller-chosen, so bound it.
MAX_DIMENSION_CHARS = 255


def _dimension(value: str) -> str:
    return value[:MAX_DIMENSION_CHARS]


def event_age_ms(envelope: EventEnvelope, now: datetime) -> float | None:
    """Milliseconds from the event's ``time`` to ``now``: the delivery lag the bus and retries added."""
    if envelope.time is None:
        return None
    return max(0.0, (now - envelope.time).total_seconds() * 1000)


def record_event(envelope: EventEnvelope, now: datetime) -> dict[str, Any]:
    """Emit the per-event metrics (one EMF document per dimension set) and return the event summary."""
    source, detail_type = _dimension(envelope.source), _dimension(envelope.detail_type)
    by_type = {"source": source, "detailType": detail_type}
    with single_metric(name=EVENTS_RECEIVED, unit=MetricUnit.Count, value=1, default_dimensions=by_type):
        pass
    with single_metric(
        name=EVENTS_RECEIVED, unit=MetricUnit.Count, value=1, default_dimensions={"source": source}
    ):
        pass
    age_ms = event_age_ms(envelope, now)
    if age_ms is not None:
        with single_metric(
            name=EVENT_AGE, unit=MetricUnit.Milliseconds, value=age_ms, default_dimensions={"source": source}
        ):
            pass
    return {
        "eventId": envelope.id,
        "source": envelope.source,
        "eventType": envelope.detail_type,
        "ageMs": age_ms,
    }


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id(event_id_of(event))
    try:
        envelope = parse_envelope(event)
    except InvalidEventError as error:
        logger.error("Rejected invalid event", extra={"reason": error.reason})
        metrics.add_metric(name="InvalidEvents", unit=MetricUnit.Count, value=1)
        raise
    canary = canary_id(envelope.detail)
    if canary is not None:
        # A `tooling smoke` canary proves the route, and is kept out of the business figures.
        logger.append_keys(canary_id=canary)
        age_ms = event_age_ms(envelope, datetime.now(UTC))
        summary: dict[str, Any] = {
            "eventId": envelope.id,
            "source": envelope.source,
            "eventType": envelope.detail_type,
            "ageMs": age_ms,
            "canary": True,
        }
        metrics.add_metric(name="CanaryEventsObserved", unit=MetricUnit.Count, value=1)
        logger.info(LOG_MESSAGE, extra={"age_ms": age_ms, "side_effects": "skipped"})
        return summary
    summary = record_event(envelope, datetime.now(UTC))
    metrics.add_metric(name="EventsAnalysed", unit=MetricUnit.Count, value=1)
    # Field names only, never values: details carry personal data (emails, names).
    logger.info(
        "Event observed",
        extra={
            "source": envelope.source,
            "detail_type": envelope.detail_type,
            "event_time": envelope.time.isoformat() if envelope.time else None,
            "age_ms": summary["ageMs"],
            "detail_fields": sorted(str(key) for key in envelope.detail),
        },
    )
    return summary
