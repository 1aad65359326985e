"""Run an action at most once per key: the notifier's guard against alerting twice for the same order.

EventBridge and SNS both deliver at least once, and Lambda retries asynchronous invocations, so the same
notification can arrive twice. The mechanism is a conditional write keyed on the order id (not Powertools
idempotency, whose package imports boto3 even when the store is SQLite, and which hashes whole payloads):

1. ``claim``: atomically create an IN_PROGRESS record unless a live one exists (DynamoDB conditional put;
   SQLite ``BEGIN IMMEDIATE``). The claim lives only as long as this invocation may run, so a crash or timeout
   frees it for the retry.
2. the action runs (the webhook POST or the alert log line);
3. ``complete`` stores the result as COMPLETED until ``expiration`` (the table's TTL attribute).
A failed action ``release``s the claim so the retry can deliver. A live COMPLETED record means a duplicate:
its stored result is returned and the action is skipped. A live IN_PROGRESS record means another invocation is
delivering right now: ``AlertInProgressError`` is raised so Lambda retries later.

Stores: ``DynamoDBIdempotencyStore`` (``IDEMPOTENCY_TABLE``, in AWS) and ``SQLiteIdempotencyStore``
(``IDEMPOTENCY_SQLITE_PATH``, on the local target), both with partition key ``id`` and expiry ``expiration`` in
epoch seconds. They implement ``IdempotencyStore`` below; ``idempotency_stores.build_idempotency_store`` picks
the one the settings name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final, Literal, NamedTuple, Protocol

from event_processors.errors import AlertInProgressError

Status = Literal["IN_PROGRESS", "COMPLETED"]
IN_PROGRESS: Final = "IN_PROGRESS"
COMPLETED: Final = "COMPLETED"

# How long a completed alert suppresses repeats: longer than any redelivery window (EventBridge retries for
# at most 24 h, SNS -> Lambda async retries for at most 6 h).
RECORD_TTL_SECONDS: Final = 24 * 60 * 60


class StoredRecord(NamedTuple):
    status: Status
    result: dict[str, Any] | None


class IdempotencyStore(Protocol):
    def claim(
        self, key: str, *, now: float, expires_at: int, in_progress_until: float
    ) -> StoredRecord | None:
        """Create an IN_PROGRESS record unless a live one exists; return the live one instead."""

    def complete(self, key: str, result: dict[str, Any], *, expires_at: int) -> None: ...

    def release(self, key: str) -> None: ...


class Outcome(NamedTuple):
    result: dict[str, Any]
    duplicate: bool


def run_once(
    store: IdempotencyStore,
    key: str,
    action: Callable[[], dict[str, Any]],
    *,
    now: float,
    in_progress_seconds: float,
    ttl_seconds: int = RECORD_TTL_SECONDS,
    on_complete_failure: Callable[[Exception], None] | None = None,
) -> Outcome:
    """Run ``action`` unless ``key`` already completed; see the module docstring for the protocol."""
    prior = store.claim(
        key, now=now, expires_at=math.ceil(now + ttl_seconds), in_progress_until=now + in_progress_seconds
    )
    if prior is not None:
        if prior.status == COMPLETED and prior.result is not None:
            return Outcome(result=prior.result, duplicate=True)
        raise AlertInProgressError(f"{key} is being delivered by another invocation")
    try:
        result = action()
    except BaseException:
        store.release(key)
        raise
    try:
        store.complete(key, result, expires_at=math.ceil(now + ttl_seconds))
    except Exception as error:
        # The alert went out. Raising would make Lambda retry and, once the claim lapses, alert a second time;
        # reporting it and returning success is the smaller harm.
        if on_complete_failure is not None:
            on_complete_failure(error)
    return Outcome(result=result, duplicate=False)
