"""The EventBridge event envelope: validation into a typed value, and typed readers for ``detail`` fields.

Powertools' ``EventBridgeEvent`` data class is a lazy view over the dict that raises ``KeyError`` on a missing
field and checks no types; the processors need the opposite (reject a malformed event up front with a reason
that names the field), so the envelope is validated here instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from event_processors.errors import InvalidEventError


class EventEnvelope(NamedTuple):
    id: str
    source: str
    detail_type: str
    detail: Mapping[str, Any]
    time: datetime | None = None
    account: str | None = None
    region: str | None = None
    resources: tuple[str, ...] = ()


def _required_text(event: Mapping[str, Any], key: str, event_id: str | None) -> str:
    value = event.get(key)
    if not isinstance(value, str) or not value.strip():
        problem = "is missing" if value is None else f"must be a non-empty string, got {type(value).__name__}"
        raise InvalidEventError(f"'{key}' {problem}", event_id=event_id)
    return value


def _optional_text(event: Mapping[str, Any], key: str, event_id: str) -> str | None:
    value = event.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidEventError(f"'{key}' must be a string, got {type(value).__name__}", event_id=event_id)
    return value


def _detail(raw: object, event_id: str) -> Mapping[str, Any]:
    # EventBridge hands Lambda the detail as an object; some producers and replays carry it as a JSON string.
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise InvalidEventError("'detail' is a string that is not JSON", event_id=event_id) from None
    if not isinstance(raw, Mapping):
        got = "missing" if raw is None else type(raw).__name__
        raise InvalidEventError(f"'detail' must be a JSON object, got {got}", event_id=event_id)
    return raw


def _time(raw: object, event_id: str) -> datetime | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidEventError(
            f"'time' must be an ISO-8601 string, got {type(raw).__name__}", event_id=event_id
        )
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidEventError(f"'time' is not ISO-8601: {raw!r}", event_id=event_id) from None
    # EventBridge writes UTC with a trailing Z; a naive time from a hand-made event is taken as UTC too.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def event_id_of(event: object) -> str | None:
    """The event id if the event has a usable one, for correlating a log line before validation."""
    if isinstance(event, Mapping):
        value = event.get("id")
        if isinstance(value, str) and value.strip():
            return value
    return None


def parse_envelope(event: object) -> EventEnvelope:
    """Validate an EventBridge event as Lambda receives it; raise ``InvalidEventError`` naming the field."""
    if not isinstance(event, Mapping):
        raise InvalidEventError(f"the event must be a JSON object, got {type(event).__name__}")
    event_id = _required_text(event, "id", None)
    resources = event.get("resources", [])
    if not isinstance(resources, list) or not all(isinstance(item, str) for item in resources):
        raise InvalidEventError("'resources' must be a list of strings", event_id=event_id)
    return EventEnvelope(
        id=event_id,
        source=_required_text(event, "source", event_id),
        detail_type=_required_text(event, "detail-type", event_id),
        detail=_detail(event.get("detail"), event_id),
        time=_time(event.get("time"), event_id),
        account=_optional_text(event, "account", event_id),
        region=_optional_text(event, "region", event_id),
        resources=tuple(resources),
    )


# Readers for detail fields. Each raises InvalidEventError naming the field, so the log line says what to fix.


def detail_text(envelope: EventEnvelope, key: str) -> str:
    value = envelope.detail.get(key)
    if not isinstance(value, str) or not value.strip():
        problem = "is missing" if value is None else f"must be a non-empty string, got {type(value).__name__}"
        raise InvalidEventError(f"'detail.{key}' {problem}", event_id=envelope.id)
    return value


def detail_optional_text(envelope: EventEnvelope, key: str) -> str | None:
    value = envelope.detail.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidEventError(
            f"'detail.{key}' must be a string, got {type(value).__name__}", event_id=envelope.id
        )
    return value


def is_json_number(value: object) -> bool:
    """A finite JSON number; ``bool`` is rejected although Python makes it an ``int``."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def detail_amount(envelope: EventEnvelope, key: str) -> int | float:
    value = envelope.detail.get(key)
    if not is_json_number(value):
        problem = "is missing" if value is None else f"must be a number, got {type(value).__name__}"
        raise InvalidEventError(f"'detail.{key}' {problem}", event_id=envelope.id)
    assert isinstance(value, int | float)  # narrowed by is_json_number, for mypy
    if value < 0:
        raise InvalidEventError(f"'detail.{key}' must not be negative", event_id=envelope.id)
    return value


def as_decimal(amount: int | float) -> Decimal:
    """Exact decimal of the amount as written in the JSON (1000.01 stays 1000.01, not a binary fraction)."""
    return Decimal(repr(amount)) if isinstance(amount, float) else Decimal(amount)
