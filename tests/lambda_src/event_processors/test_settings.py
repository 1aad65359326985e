from __future__ import annotations

from decimal import Decimal

import pytest

from event_processors.errors import ConfigurationError
from event_processors.settings import notifier_settings, processor_settings


def test_the_threshold_defaults_to_1000() -> None:
    assert processor_settings().high_value_threshold == Decimal(1000)


@pytest.mark.parametrize(("raw", "expected"), [("2500", Decimal(2500)), (" 99.5 ", Decimal("99.5"))])
def test_the_threshold_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: Decimal
) -> None:
    monkeypatch.setenv("HIGH_VALUE_THRESHOLD", raw)

    assert processor_settings().high_value_threshold == expected


@pytest.mark.parametrize("raw", ["abc", "-1", "NaN", "Infinity"])
def test_a_threshold_that_is_not_a_finite_non_negative_number_is_rejected(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("HIGH_VALUE_THRESHOLD", raw)

    with pytest.raises(ConfigurationError, match="HIGH_VALUE_THRESHOLD"):
        processor_settings()


def test_the_environment_is_read_on_first_use_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDEMPOTENCY_SQLITE_PATH", "/tmp/idempotency.sqlite3")

    settings = notifier_settings()

    assert (settings.idempotency_table, settings.idempotency_sqlite_path) == (
        None,
        "/tmp/idempotency.sqlite3",
    )
    assert (settings.webhook_parameter, settings.local_parameters_path) == (None, None)


@pytest.mark.parametrize("raw", ["https://hooks.example.com/x", "hooks.example.com/T0/B0/x", "/a b"])
def test_the_webhook_setting_is_a_parameter_name_never_a_url(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("IDEMPOTENCY_SQLITE_PATH", "/tmp/idempotency.sqlite3")
    monkeypatch.setenv("WEBHOOK_PARAMETER", raw)

    with pytest.raises(ConfigurationError, match="WEBHOOK_PARAMETER must be an SSM parameter name") as raised:
        notifier_settings()
    assert raw not in str(raised.value)  # a URL put there by mistake is the secret: never echoed


def test_the_processor_does_not_need_the_notifier_settings() -> None:
    processor_settings()  # no IDEMPOTENCY_* set: must not raise
