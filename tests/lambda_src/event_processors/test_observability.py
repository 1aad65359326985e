from __future__ import annotations

from importlib.util import find_spec

import pytest

from event_processors import observability


@pytest.fixture(autouse=True)
def fresh_tracer() -> None:
    observability.tracer.cache_clear()


def test_no_tracer_without_active_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_XRAY_DAEMON_ADDRESS", raising=False)

    assert observability.tracer() is None


@pytest.mark.skipif(find_spec("aws_xray_sdk") is None, reason="aws-xray-sdk is not installed")
def test_a_tracer_when_the_sdk_is_present_and_lambda_traces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129:2000")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")

    assert observability.tracer() is not None
    observability.tracer.cache_clear()


def test_log_records_are_masked_when_serialized() -> None:
    line = observability._serialize(
        {"message": "mail jane@example.com", "detail": {"email": "jane@example.com"}}
    )

    assert "@" not in line
