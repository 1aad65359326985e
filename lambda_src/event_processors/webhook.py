"""Alert delivery to an HTTP webhook: JSON POST with a per-attempt timeout and bounded, backed-off retries.

Standard library only (urllib): one POST per alert does not justify bundling an HTTP client. The webhook URL
is never logged or put in an error message, because chat webhooks carry their secret in the path.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple

from event_processors.errors import WebhookDeliveryError

# Statuses worth another try: the receiver is overloaded, restarting or throttling us.
RETRYABLE_STATUSES: Final = frozenset({408, 425, 429, 500, 502, 503, 504})


class RetryPolicy(NamedTuple):
    """Worst case with the defaults: 3 x 3 s timeouts + 0.5 s + 1 s backoff = 10.5 s, within a 30 s Lambda."""

    max_attempts: int = 3
    timeout_seconds: float = 3.0
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 4.0

    def delay_after(self, attempt: int) -> float:
        return float(min(self.backoff_seconds * 2 ** (attempt - 1), self.max_backoff_seconds))


DEFAULT_POLICY = RetryPolicy()


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    idempotency_key: str,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] | None = None,
) -> int:
    """POST ``payload``; return the 2xx status or raise ``WebhookDeliveryError`` once retries are spent.

    ``Idempotency-Key`` lets the receiver drop a repeat if this Lambda dies between the POST and recording it.
    """
    # Imported here: urllib.request pulls in http.client and email (~20 ms), which only this path needs.
    from urllib.error import HTTPError, URLError
    from urllib.request import Request, urlopen

    policy = policy or DEFAULT_POLICY  # looked up per call, so a test can swap the module's policy
    sleep = sleep or time.sleep
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ecommerce-events-notifier/1",
        "Idempotency-Key": idempotency_key,
    }
    last_problem = "no attempt made"
    for attempt in range(1, policy.max_attempts + 1):
        request = Request(url, data=body, headers=headers, method="POST")
        try:
            with urlopen(request, timeout=policy.timeout_seconds) as response:
                status: int = response.status
                return status
        except HTTPError as error:
            if error.code not in RETRYABLE_STATUSES:
                raise WebhookDeliveryError(f"webhook refused the alert with HTTP {error.code}") from None
            last_problem = f"HTTP {error.code}"
        except (URLError, OSError) as error:  # refused, reset, DNS, timeout (TimeoutError is an OSError)
            last_problem = type(getattr(error, "reason", error)).__name__
        if attempt < policy.max_attempts:
            sleep(policy.delay_after(attempt))
    raise WebhookDeliveryError(
        f"webhook delivery failed after {policy.max_attempts} attempts (last: {last_problem})"
    )
