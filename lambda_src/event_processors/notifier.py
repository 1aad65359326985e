"""Notifier: high-value order alerts from the notifications SNS topic.

Entry point ``event_processors.notifier.handler``. For each SNS record: build the alert (``alerts``), deliver
it at most once per order (``idempotency``) to the webhook when ``WEBHOOK_PARAMETER`` names one (``webhook``;
the URL is a secret read at run time, ``webhook_secret``), else as a structured alert log line, and return
what was delivered. Failures raise, so SNS's asynchronous invocation
retries and then the function's dead-letter queue (`dead_letter_config`) keep the notification.
"""

from __future__ import annotations

import time
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from event_processors import webhook, webhook_secret
from event_processors.alerts import Alert, parse_alert, parse_sns_event
from event_processors.canary import LOG_MESSAGE
from event_processors.errors import InvalidNotificationError, WebhookDeliveryError, WebhookSecretError
from event_processors.idempotency import IdempotencyStore, run_once
from event_processors.idempotency_stores import build_idempotency_store
from event_processors.observability import instrumented, logger, metrics
from event_processors.settings import NotifierSettings, notifier_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@cache
def idempotency_store() -> IdempotencyStore:
    """Built on first use and kept for the container's life (one boto3 client or SQLite connection)."""
    return build_idempotency_store(notifier_settings())


def deliver(alert: Alert, settings: NotifierSettings) -> dict[str, Any]:
    payload = alert.payload()
    if alert.canary_id is not None:
        # A `tooling smoke` canary: the webhook is not read nor posted to, and no alert line is logged (a team
        # may page on it); the idempotency claim around this call is still made, as for any alert.
        return {**payload, "deliveredVia": "none (canary)", "canary": True}
    try:
        url = webhook_secret.webhook_url(settings)
    except WebhookSecretError as error:
        # Raised (after the claim is released): Lambda's retries may find the parameter readable again.
        logger.error("Webhook URL unavailable", extra={"reason": str(error), "order_id": alert.order_id})
        metrics.add_metric(name="WebhookSecretFailures", unit=MetricUnit.Count, value=1)
        raise
    if url is None:
        logger.warning("High-value order alert", extra={"alert": payload})
        return {**payload, "deliveredVia": "log"}
    try:
        status = webhook.post_json(url, payload, idempotency_key=alert.idempotency_key)
    except WebhookDeliveryError as error:
        logger.error("Webhook delivery failed", extra={"reason": str(error), "order_id": alert.order_id})
        metrics.add_metric(name="WebhookDeliveryFailures", unit=MetricUnit.Count, value=1)
        raise
    return {**payload, "deliveredVia": "webhook", "webhookStatus": status}


def _record_unsaved(error: Exception) -> None:
    logger.error("Alert delivered but its idempotency record was not saved", extra={"reason": repr(error)})


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = notifier_settings()
    try:
        notifications = parse_sns_event(event)
    except InvalidNotificationError as error:
        logger.error("Rejected invalid SNS event", extra={"reason": error.reason})
        metrics.add_metric(name="InvalidNotifications", unit=MetricUnit.Count, value=1)
        raise

    delivered: list[dict[str, Any]] = []
    duplicates: list[str] = []
    for notification in notifications:
        logger.set_correlation_id(notification.message_id)
        try:
            alert = parse_alert(notification)
        except InvalidNotificationError as error:
            logger.error("Rejected invalid notification", extra={"reason": error.reason})
            metrics.add_metric(name="InvalidNotifications", unit=MetricUnit.Count, value=1)
            raise
        # The originating event id when the message carries it, so the alert correlates with the order event.
        logger.set_correlation_id(alert.event_id or notification.message_id)
        logger.append_keys(sns_message_id=notification.message_id, order_id=alert.order_id)
        outcome = run_once(
            idempotency_store(),
            alert.idempotency_key,
            partial(deliver, alert, settings),
            now=time.time(),
            in_progress_seconds=context.get_remaining_time_in_millis() / 1000,
            on_complete_failure=_record_unsaved,
        )
        if outcome.duplicate:
            logger.info(
                "Duplicate notification: alert already delivered", extra={"key": alert.idempotency_key}
            )
            metrics.add_metric(name="DuplicateAlertsSuppressed", unit=MetricUnit.Count, value=1)
            duplicates.append(alert.idempotency_key)
        elif alert.canary_id is not None:
            logger.info(LOG_MESSAGE, extra={"canary_id": alert.canary_id, "side_effects": "skipped"})
            metrics.add_metric(name="CanaryAlertsSkipped", unit=MetricUnit.Count, value=1)
            delivered.append(outcome.result)
        else:
            logger.info("Alert delivered", extra={"via": outcome.result.get("deliveredVia")})
            metrics.add_metric(name="AlertsDelivered", unit=MetricUnit.Count, value=1)
            delivered.append(outcome.result)
    return {"delivered": delivered, "duplicates": duplicates}
