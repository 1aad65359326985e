"""Error classes. Handlers raise them (never return an error body) so that Lambda's asynchronous retries and
the function's dead-letter queue (Terraform's `dead_letter_config`) see the failure instead of counting it as a success."""

from __future__ import annotations


class ProcessingError(Exception):
    """Base class of every error the processors raise on purpose."""


class ConfigurationError(ProcessingError):
    """An environment variable is missing, malformed or contradicts another one."""


class InvalidEventError(ProcessingError):
    """The EventBridge envelope or its ``detail`` is malformed.

    ``event_id`` is kept so the log line and the dead-lettered event can be correlated with the published event.
    """

    def __init__(self, reason: str, *, event_id: str | None = None) -> None:
        self.reason = reason
        self.event_id = event_id
        where = f"event {event_id}" if event_id else "event without a usable id"
        super().__init__(f"invalid {where}: {reason}")


class InvalidNotificationError(ProcessingError):
    """The SNS record, or the message it carries, cannot be turned into an alert."""

    def __init__(self, reason: str, *, message_id: str | None = None) -> None:
        self.reason = reason
        self.message_id = message_id
        where = f"SNS message {message_id}" if message_id else "SNS record without a MessageId"
        super().__init__(f"invalid {where}: {reason}")


class WebhookDeliveryError(ProcessingError):
    """The webhook refused the alert or stayed unreachable after the bounded retries."""


class AlertInProgressError(ProcessingError):
    """Another invocation holds the claim on this alert; raising lets Lambda retry once it has finished."""


class WebhookSecretError(ProcessingError):
    """The webhook URL could not be read from its parameter (missing, access denied, throttled, ...)."""
