"""The idempotency store the settings name: ``DynamoDBIdempotencyStore`` (``IDEMPOTENCY_TABLE``, in AWS) or
``SQLiteIdempotencyStore`` (``IDEMPOTENCY_SQLITE_PATH``, on the local target). Above both adapters and the
protocol they implement (idempotency.py), so neither imports the other's side."""

from __future__ import annotations

from event_processors.idempotency import IdempotencyStore
from event_processors.settings import NotifierSettings


def build_idempotency_store(settings: NotifierSettings) -> IdempotencyStore:
    """The store the settings name. Adapters are imported here so that only the one in use is loaded
    (boto3 is imported only for DynamoDB)."""
    if settings.idempotency_table is not None:
        from event_processors.dynamodb_idempotency import DynamoDBIdempotencyStore

        return DynamoDBIdempotencyStore(settings.idempotency_table)
    assert settings.idempotency_sqlite_path is not None  # settings guarantee exactly one of the two
    from event_processors.sqlite_idempotency import SQLiteIdempotencyStore

    return SQLiteIdempotencyStore(settings.idempotency_sqlite_path)
