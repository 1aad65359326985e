"""Canary events: one per rule, built from the publisher's sample generators, marked, and adjusted until the
rule's own pattern matches it (checked with the pattern engine before anything is sent).

The marks (lambda_src/event_processors/canary.py recognises them; the two modules cannot import each other):
`detail.canary = true`, and the producer's id (`idempotencyKey`) and every business id the detail carries
(`orderId`, `userId`, `paymentId`, `productId`) set to the canary id `canary-<run>-<n>`. The customer id
becomes `canary-customer`, so a message that keeps only ids still reads as a canary. Production patterns are
never widened: a canary is an event the rule already matches.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tooling.patterns import compile_pattern
from tooling.publish.aws_samples import AWS_SAMPLES, aws_service_event
from tooling.publish.samples import EVENT_SAMPLES, eventbridge_event

CANARY_PREFIX = "canary-"
CANARY_FIELD = "canary"
CANARY_CUSTOMER = "canary-customer"
PRODUCER = "tooling-smoke"
# The business ids a detail may carry (lambda_src/event_processors/business_key.py BUSINESS_ID_KEYS).
BUSINESS_ID_KEYS = ("orderId", "userId", "paymentId", "productId")
IDEMPOTENCY_KEY = "idempotencyKey"
# Every sample the publisher can generate, business events first: the candidates a rule's canary comes from.
SAMPLE_KINDS = (*EVENT_SAMPLES, *AWS_SAMPLES)
# A value that satisfies "anything-but", "exists" and the like when the sample has none of its own.
FILLER = "canary"


def new_run_id(now: datetime | None = None) -> str:
    """`20261130t120000-3f9a`: sortable, unique enough for one environment's runs."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{at:%Y%m%dt%H%M%S}-{secrets.token_hex(2)}"


def canary_id(run_id: str, number: int) -> str:
    return f"{CANARY_PREFIX}{run_id}-{number}"


def sample(kind: str, *, region: str, account: str, now: datetime) -> dict[str, Any]:
    """The sample event of `kind` as the bus would deliver it."""
    if kind in AWS_SAMPLES:
        return aws_service_event(kind, region=region, account=account, now=now)
    event: dict[str, Any] = eventbridge_event(kind, region=region, now=now)
    event["account"] = account
    return event


def mark(event: dict[str, Any], identifier: str) -> dict[str, Any]:
    """The event with the canary marks (a copy)."""
    marked = copy.deepcopy(event)
    detail = marked.setdefault("detail", {})
    detail[CANARY_FIELD] = True
    detail[IDEMPOTENCY_KEY] = identifier
    detail["producer"] = PRODUCER
    for key in BUSINESS_ID_KEYS:
        if key in detail:
            detail[key] = identifier
    if "customerId" in detail:
        detail["customerId"] = CANARY_CUSTOMER
    return marked


# -- making a pattern match ---------------------------------------------------------------------------------


def _numeric_value(conditions: list[Any]) -> float | None:
    """A number inside the bounds of a numeric filter (`[">", 0, "<=", 5]`), or None when there is none."""
    low, low_open, high, high_open = float("-inf"), False, float("inf"), False
    for op, value in zip(conditions[::2], conditions[1::2], strict=False):
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        if op == "=":
            return float(value)
        if op in (">", ">="):
            low, low_open = float(value), op == ">"
        elif op in ("<", "<="):
            high, high_open = float(value), op == "<"

    def inside(x: float) -> bool:
        above = x > low if low_open else x >= low
        below = x < high if high_open else x <= high
        return above and below

    # A round number when one fits (the sample's amounts stay readable), else the middle of the range.
    candidates = [0.0, low + 1, low, high - 1, high, (low + high) / 2]
    return next((x for x in candidates if abs(x) != float("inf") and inside(x)), None)


def _value_for(condition: Any) -> tuple[bool, Any]:
    """(True, a value the condition matches), (True, _ABSENT) to leave the field out, or (False, None)."""
    if not isinstance(condition, Mapping):
        return True, condition  # an exact value (string, number, boolean, null)
    name, argument = next(iter(condition.items()), (None, None))
    if name == "prefix":
        text = argument.get("equals-ignore-case") if isinstance(argument, Mapping) else argument
        return isinstance(text, str), f"{text}{FILLER}"
    if name == "suffix":
        text = argument.get("equals-ignore-case") if isinstance(argument, Mapping) else argument
        return isinstance(text, str), f"{FILLER}{text}"
    if name == "equals-ignore-case":
        return isinstance(argument, str), argument
    if name == "wildcard":
        return isinstance(argument, str), str(argument).replace("*", FILLER)
    if name == "numeric" and isinstance(argument, list):
        number = _numeric_value(argument)
        return number is not None, int(number) if number is not None and number.is_integer() else number
    if name == "exists":
        return True, FILLER if argument is True else _ABSENT
    if name == "anything-but":
        return True, f"{FILLER}-other"
    if name == "cidr" and isinstance(argument, str):
        try:
            return True, str(ipaddress.ip_network(argument, strict=False).network_address)
        except ValueError:
            return False, None
    return False, None


_ABSENT = object()


def _satisfy(pattern: Mapping[str, Any], event: dict[str, Any]) -> None:
    """Set, in `event`, values each field of `pattern` matches (the first condition that can be met)."""
    for key, value in pattern.items():
        if key == "$or" and isinstance(value, list) and value:
            _satisfy(value[0], event)
        elif isinstance(value, Mapping):
            inner = event.get(key)
            if not isinstance(inner, dict):
                inner = event[key] = {}
            _satisfy(value, inner)
        elif isinstance(value, list):
            for condition in value:
                ok, chosen = _value_for(condition)
                if ok:
                    if chosen is _ABSENT:
                        event.pop(key, None)
                    else:
                        event[key] = chosen
                    break


def matching(pattern: Mapping[str, Any], event: dict[str, Any]) -> dict[str, Any] | None:
    """The event as is when the pattern matches it, else adjusted so it does; None when neither matches
    (the engine decides, as EventBridge would)."""
    compiled = compile_pattern(json.dumps(pattern))
    if compiled.matches(event):
        return event
    adjusted = copy.deepcopy(event)
    _satisfy(pattern, adjusted)
    return adjusted if compiled.matches(adjusted) and _publishable(adjusted) else None


def _publishable(event: Mapping[str, Any]) -> bool:
    """PutEvents needs a source, a detail-type and a JSON object detail (a pattern that wants no source
    matches no event EventBridge delivers)."""
    return all(isinstance(event.get(k), str) and event[k] for k in ("source", "detail-type")) and isinstance(
        event.get("detail"), dict
    )


def entry_of(event: Mapping[str, Any]) -> dict[str, Any]:
    """The PutEvents entry that puts `event` on a bus (EventBridge sets id, time, account and region)."""
    entry: dict[str, Any] = {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event.get("detail", {}), separators=(",", ":")),
    }
    if event.get("resources"):
        entry["Resources"] = list(event["resources"])
    return entry


def carries(payload: Any, identifier: str) -> bool:
    """Whether a target's payload (the event, or a transformer's output) still carries the canary's id or
    flag, so the handler on the other side can tell it is a canary."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return identifier in text or re.search(r'"canary"\s*:\s*true', text) is not None
