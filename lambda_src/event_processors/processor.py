"""Order processor: order, user and payment events from EventBridge.

Entry point ``event_processors.processor.handler``. Thin: validate, call ``event_actions``, log, count, return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from event_processors.canary import LOG_MESSAGE, canary_id, without_side_effects
from event_processors.envelope import event_id_of, parse_envelope
from event_processors.errors import InvalidEventError
from event_processors.event_actions import KNOWN_SOURCES, process_event
from event_processors.observability import instrumented, logger, metrics
from event_processors.settings import processor_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Business outcome -> metric name (count of events with that outcome).
OUTCOME_METRICS = {
    "order_processed": "OrdersProcessed",
    "order_updated": "OrdersUpdated",
    "order_cancelled": "OrdersCancelled",
    "user_registered": "UsersRegistered",
    "payment_processed": "PaymentsProcessed",
    "event_recorded": "OtherEventsRecorded",
}


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id(event_id_of(event))
    try:
        envelope = parse_envelope(event)
        logger.append_keys(source=envelope.source, detail_type=envelope.detail_type)
        result = process_event(envelope, high_value_threshold=processor_settings().high_value_threshold)
    except InvalidEventError as error:
        # Raised again so that the async retries and then the function's dead-letter queue keep the event.
        logger.error("Rejected invalid event", extra={"reason": error.reason})
        metrics.add_metric(name="InvalidEvents", unit=MetricUnit.Count, value=1)
        raise

    if envelope.source not in KNOWN_SOURCES:
        logger.warning("Event from an unknown source recorded generically")
        metrics.add_metric(name="UnknownSourceEvents", unit=MetricUnit.Count, value=1)
    canary = canary_id(envelope.detail)
    if canary is not None:
        # Processed as any event (the route is proven), but no side-effect intent and no business figure.
        result = without_side_effects(result)
        logger.append_keys(canary_id=canary)
        metrics.add_metric(name="CanaryEventsProcessed", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name=OUTCOME_METRICS[result["action"]], unit=MetricUnit.Count, value=1)
        if result.get("priority") == "high":
            metrics.add_metric(name="HighValueOrders", unit=MetricUnit.Count, value=1)
    logger.info(
        "Event processed",
        extra={
            "action": result["action"],
            "order_id": result.get("orderId"),
            "priority": result.get("priority"),
        },
    )
    if canary is not None:
        logger.info(LOG_MESSAGE, extra={"action": result["action"], "side_effects": "skipped"})
    return result
