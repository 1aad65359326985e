"""Configuration from the environment, read and validated on first use (never at import time, which would
break tests and hide a missing setting until the first event). Each function reads only what it needs."""

from __future__ import annotations

import os
import re
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import NamedTuple

from event_processors.errors import ConfigurationError

DEFAULT_HIGH_VALUE_THRESHOLD = Decimal(1000)


class ProcessorSettings(NamedTuple):
    high_value_threshold: Decimal


class NotifierSettings(NamedTuple):
    # The name of the SSM parameter (SecureString) holding the webhook URL, never the URL itself: the URL
    # is a secret, read at run time (webhook_secret.py). None: alerts are structured log lines.
    webhook_parameter: str | None
    # The local target's stand-in for Parameter Store (an owner-only JSON file); None in AWS.
    local_parameters_path: str | None
    # Exactly one of the two is set: DynamoDB in AWS, a SQLite file on the local target.
    idempotency_table: str | None
    idempotency_sqlite_path: str | None


class BatchSettings(NamedTuple):
    # At most one is set: DynamoDB in AWS, a SQLite file on the local target; neither only with
    # EVENT_STORE_DISABLED=true (the consumer then validates and counts, and stores nothing).
    event_store_table: str | None
    event_store_sqlite_path: str | None
    ttl_days: int
    # The region this consumer runs in (AWS_REGION, which Lambda always sets; the local target sets it per
    # region too), recorded on each item as `processed_in`. None only in a hand-run without it: the item
    # then has no processed_in rather than a guessed one.
    region: str | None = None


def _optional(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _threshold() -> Decimal:
    raw = _optional("HIGH_VALUE_THRESHOLD")
    if raw is None:
        return DEFAULT_HIGH_VALUE_THRESHOLD
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ConfigurationError(f"HIGH_VALUE_THRESHOLD must be a number, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ConfigurationError(f"HIGH_VALUE_THRESHOLD must be a finite number >= 0, got {raw!r}")
    return value


# SSM's rules for a hierarchical parameter name (the only form the stack uses, so its ARN is
# `parameter<name>`): a leading '/', up to 15 levels of letters, digits and . _ - separated by '/', at most
# 1011 characters, no /aws or /ssm prefix (AWS reserves them).
_PARAMETER_NAME = re.compile(r"^(/[A-Za-z0-9_.-]+){1,15}$")
_RESERVED_PREFIX = re.compile(r"^/(aws|ssm)", re.IGNORECASE)
_PARAMETER_NAME_MAX = 1011


def is_parameter_name(value: str) -> bool:
    """The rule of the webhook parameter's name. tooling/config.py check_parameter_name applies the same one
    to the environment file (neither side may import the other): tests/robustness/test_webhook_rules_agree.py
    holds both to one table of cases."""
    return (
        len(value) <= _PARAMETER_NAME_MAX
        and _PARAMETER_NAME.match(value) is not None
        and _RESERVED_PREFIX.match(value) is None
    )


def _webhook_parameter() -> str | None:
    name = _optional("WEBHOOK_PARAMETER")
    if name is not None and not is_parameter_name(name):
        # Not echoed: a URL put here by mistake is the secret itself.
        raise ConfigurationError(
            "WEBHOOK_PARAMETER must be an SSM parameter name such as /ecommerce/dev/webhook-url"
        )
    return name


@cache
def processor_settings() -> ProcessorSettings:
    return ProcessorSettings(high_value_threshold=_threshold())


@cache
def notifier_settings() -> NotifierSettings:
    table = _optional("IDEMPOTENCY_TABLE")
    sqlite_path = _optional("IDEMPOTENCY_SQLITE_PATH")
    if (table is None) == (sqlite_path is None):
        raise ConfigurationError(
            "set exactly one of IDEMPOTENCY_TABLE (DynamoDB, in AWS) or IDEMPOTENCY_SQLITE_PATH "
            f"(local target); got {'both' if table else 'neither'}"
        )
    return NotifierSettings(
        webhook_parameter=_webhook_parameter(),
        local_parameters_path=_optional("LOCAL_PARAMETERS_FILE"),
        idempotency_table=table,
        idempotency_sqlite_path=sqlite_path,
    )


def _ttl_days() -> int:
    raw = _optional("EVENT_STORE_TTL_DAYS")
    if raw is None or not raw.isdigit() or not 1 <= int(raw) <= 3650:
        raise ConfigurationError(
            f"EVENT_STORE_TTL_DAYS must be a whole number of days from 1 to 3650, got {raw!r}"
        )
    return int(raw)


@cache
def batch_settings() -> BatchSettings:
    table = _optional("EVENT_STORE_TABLE")
    sqlite_path = _optional("EVENT_STORE_SQLITE_PATH")
    disabled = (_optional("EVENT_STORE_DISABLED") or "").lower() == "true"
    if table is not None and sqlite_path is not None:
        raise ConfigurationError(
            "set only one of EVENT_STORE_TABLE (DynamoDB) or EVENT_STORE_SQLITE_PATH (local)"
        )
    if disabled != (table is None and sqlite_path is None):
        raise ConfigurationError(
            "set EVENT_STORE_TABLE (DynamoDB, in AWS) or EVENT_STORE_SQLITE_PATH (local target), or "
            "EVENT_STORE_DISABLED=true without either"
        )
    return BatchSettings(
        event_store_table=table,
        event_store_sqlite_path=sqlite_path,
        ttl_days=30 if disabled else _ttl_days(),
        region=_optional("AWS_REGION"),
    )


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    processor_settings.cache_clear()
    notifier_settings.cache_clear()
    batch_settings.cache_clear()
