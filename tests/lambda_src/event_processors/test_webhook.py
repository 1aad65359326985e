from __future__ import annotations

import socket
from typing import Any

import pytest

from event_processors import webhook
from event_processors.errors import WebhookDeliveryError

FAST = webhook.RetryPolicy(max_attempts=3, timeout_seconds=1.0, backoff_seconds=0.01)


def test_the_alert_is_posted_as_json_with_an_idempotency_key(webhook_server: Any) -> None:
    status = webhook.post_json(
        webhook_server.url, {"orderId": "ord-1"}, idempotency_key="order#ord-1", policy=FAST
    )

    assert status == 204
    [request] = webhook_server.requests
    assert request["json"] == {"orderId": "ord-1"}
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["idempotency-key"] == "order#ord-1"


def test_a_transient_failure_is_retried_with_backoff(webhook_server: Any) -> None:
    webhook_server.statuses = [503, 429]
    sleeps: list[float] = []

    status = webhook.post_json(webhook_server.url, {}, idempotency_key="k", policy=FAST, sleep=sleeps.append)

    assert status == 204
    assert len(webhook_server.requests) == 3
    assert sleeps == [0.01, 0.02]


def test_retries_are_bounded_then_the_failure_is_raised(webhook_server: Any) -> None:
    webhook_server.statuses = [500, 502, 503, 500]

    with pytest.raises(WebhookDeliveryError, match=r"after 3 attempts \(last: HTTP 503\)"):
        webhook.post_json(webhook_server.url, {}, idempotency_key="k", policy=FAST, sleep=lambda _: None)
    assert len(webhook_server.requests) == 3


def test_a_client_error_is_not_retried(webhook_server: Any) -> None:
    webhook_server.statuses = [400]

    with pytest.raises(WebhookDeliveryError, match="refused the alert with HTTP 400"):
        webhook.post_json(webhook_server.url, {}, idempotency_key="k", policy=FAST, sleep=lambda _: None)
    assert len(webhook_server.requests) == 1


def test_an_unreachable_webhook_is_retried_then_raised_without_leaking_the_url() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/secret-token-path"
    sleeps: list[float] = []

    with pytest.raises(WebhookDeliveryError) as raised:
        webhook.post_json(url, {}, idempotency_key="k", policy=FAST, sleep=sleeps.append)

    assert len(sleeps) == FAST.max_attempts - 1
    assert "secret-token-path" not in str(raised.value)


def test_a_hanging_webhook_times_out_per_attempt() -> None:
    with socket.socket() as server:  # accepts connections (backlog) but never answers
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"
        policy = webhook.RetryPolicy(max_attempts=2, timeout_seconds=0.2, backoff_seconds=0.0)

        with pytest.raises(WebhookDeliveryError, match="after 2 attempts"):
            webhook.post_json(url, {}, idempotency_key="k", policy=policy, sleep=lambda _: None)


def test_the_backoff_doubles_up_to_its_cap() -> None:
    policy = webhook.RetryPolicy(backoff_seconds=1.0, max_backoff_seconds=3.0)

    assert [policy.delay_after(attempt) for attempt in (1, 2, 3, 4)] == [1.0, 2.0, 3.0, 3.0]
