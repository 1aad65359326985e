"""High-value order alerts: from the SNS records the notifier receives to one typed ``Alert`` per message.

The high-value-orders rule publishes to the notifications topic, and the SNS ``Message`` takes one of the
shapes below depending on the rule target's input transformer; all are accepted:

1. the full EventBridge envelope (no transformer): a JSON object with ``detail``;
2. a flat JSON object (a transformer with a JSON template): ``{"orderId": .., "customerId": ..,
   "amount": .., "currency": .., "eventId": ..}`` (``totalAmount`` is accepted for ``amount``, ``eventId`` is
   optional and becomes the log correlation id, an optional ``idempotencyKey`` keys an alert without an
   order id);
3. the text of the shipped string template ``"High-value order <orderId> from customer <customerId>:
   <amount> <currency>"``, either raw or still JSON-quoted, matched by ``ALERT_TEXT`` below.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from event_processors.business_key import IDEMPOTENCY_KEY, business_key
from event_processors.canary import canary_id
from event_processors.envelope import is_json_number, parse_envelope
from event_processors.errors import InvalidEventError, InvalidNotificationError

# Every alert is high priority: the rule only sends orders above the threshold to the topic.
PRIORITY: Final = "high"

# The shipped template, "High-value order <orderId> from customer <customerId>: <amount> <currency>".
# Ids are single tokens; the amount is a JSON number; the currency is optional because EventBridge
# substitutes an empty string when the order has none.
ALERT_TEXT: Final = re.compile(
    r"^High-value order (?P<order_id>\S+) from customer (?P<customer_id>\S+): "
    r"(?P<amount>-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)(?: (?P<currency>[A-Za-z]{3}))?\s*$"
)


class SnsNotification(NamedTuple):
    message_id: str
    topic_arn: str | None
    message: str


class Alert(NamedTuple):
    message_id: str
    amount: int | float
    order_id: str | None = None
    customer_id: str | None = None
    currency: str | None = None
    event_id: str | None = None
    priority: str = PRIORITY
    # The originating event's business key (business_key.py) when the message carries the event or its
    # idempotencyKey: what an alert without an order id is deduplicated on.
    event_key: str | None = None
    # Set when the alert comes from a `tooling smoke` canary (canary.py): delivered nowhere.
    canary_id: str | None = None

    @property
    def idempotency_key(self) -> str:
        """One alert per order, whichever region's copy of the event or SNS message brings it: the order id
        is the same in both, while SNS MessageIds and event ids are not. Without an order id, the event's
        business key; only a message carrying neither falls back to its SNS MessageId (which a replicated
        event's second notification does not share: see the README on the receiver's Idempotency-Key)."""
        if self.order_id:
            return f"order#{self.order_id}"
        if self.event_key:
            return f"event#{self.event_key}"
        return f"sns-message#{self.message_id}"

    def payload(self) -> dict[str, Any]:
        return {
            "type": "high_value_order",
            "orderId": self.order_id,
            "customerId": self.customer_id,
            "amount": self.amount,
            "currency": self.currency,
            "priority": self.priority,
            "eventId": self.event_id,
            "idempotencyKey": self.idempotency_key,
        }


def parse_sns_event(event: object) -> list[SnsNotification]:
    """The SNS records of a Lambda invocation, validated; raise ``InvalidNotificationError`` otherwise."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list) or not records:
        raise InvalidNotificationError("the event has no SNS 'Records'")
    notifications = []
    for index, record in enumerate(records):
        sns = record.get("Sns") if isinstance(record, Mapping) else None
        if not isinstance(sns, Mapping):
            raise InvalidNotificationError(f"Records[{index}] has no 'Sns' object")
        message_id = sns.get("MessageId")
        if not isinstance(message_id, str) or not message_id:
            raise InvalidNotificationError(f"Records[{index}].Sns.MessageId is missing")
        message = sns.get("Message")
        if not isinstance(message, str):
            raise InvalidNotificationError("'Message' must be a string", message_id=message_id)
        topic_arn = sns.get("TopicArn")
        notifications.append(
            SnsNotification(
                message_id=message_id,
                topic_arn=topic_arn if isinstance(topic_arn, str) else None,
                message=message,
            )
        )
    return notifications


def _text_or_none(fields: Mapping[str, Any], key: str, message_id: str) -> str | None:
    value = fields.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if is_json_number(value):  # a numeric id survives the transformer unquoted
        return str(value)
    raise InvalidNotificationError(
        f"'{key}' must be a string, got {type(value).__name__}", message_id=message_id
    )


def _from_fields(
    fields: Mapping[str, Any], message_id: str, event_id: str | None, event_key: str | None
) -> Alert:
    if event_id is None:  # a JSON template can carry it: "eventId": <eventId> with eventId = "$.id"
        event_id = _text_or_none(fields, "eventId", message_id)
    # And the producer's key: "idempotencyKey": <key> with key = "$.detail.idempotencyKey".
    if event_key is None:
        event_key = _text_or_none(fields, IDEMPOTENCY_KEY, message_id)
    amount = fields.get("amount", fields.get("totalAmount"))
    if not is_json_number(amount):
        got = "missing" if amount is None else type(amount).__name__
        raise InvalidNotificationError(f"the order amount must be a number, got {got}", message_id=message_id)
    assert isinstance(amount, int | float)  # narrowed by is_json_number, for mypy
    return Alert(
        message_id=message_id,
        amount=amount,
        order_id=_text_or_none(fields, "orderId", message_id),
        customer_id=_text_or_none(fields, "customerId", message_id),
        currency=_text_or_none(fields, "currency", message_id),
        event_id=event_id,
        event_key=event_key,
        canary_id=canary_id(fields),
    )


def _from_text(text: str, message_id: str) -> Alert:
    match = ALERT_TEXT.match(text.strip())
    if match is None:
        raise InvalidNotificationError(
            "the message is neither an EventBridge event, a JSON alert, nor the text "
            "'High-value order <orderId> from customer <customerId>: <amount> <currency>'",
            message_id=message_id,
        )
    amount: int | float = json.loads(match["amount"])
    return Alert(
        message_id=message_id,
        amount=amount,
        order_id=match["order_id"],
        customer_id=match["customer_id"],
        currency=match["currency"],
        # The template's text keeps only the ids: a canary is known by its order id's prefix.
        canary_id=canary_id({"orderId": match["order_id"]}),
    )


def parse_alert(notification: SnsNotification) -> Alert:
    """Build the alert from whichever message shape arrived (see the module docstring)."""
    message_id = notification.message_id
    try:
        decoded: object = json.loads(notification.message)
    except ValueError:
        return _from_text(notification.message, message_id)
    if isinstance(decoded, str):  # a string template arrives JSON-quoted
        return _from_text(decoded, message_id)
    if isinstance(decoded, Mapping) and "detail" in decoded:
        try:
            envelope = parse_envelope(decoded)
        except InvalidEventError as error:
            raise InvalidNotificationError(f"embedded event: {error.reason}", message_id=message_id) from None
        return _from_fields(envelope.detail, message_id, envelope.id, business_key(envelope))
    if isinstance(decoded, Mapping):
        return _from_fields(decoded, message_id, None, None)
    raise InvalidNotificationError(
        f"the message is JSON but a {type(decoded).__name__}, not an object or text", message_id=message_id
    )
