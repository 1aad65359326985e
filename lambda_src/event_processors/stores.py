"""The idempotency store the settings name: ``DynamoDBStore`` (``IDEMPOTENCY_TABLE``, in AWS) or
``SQLiteStore`` (``IDEMPOTENCY_SQLITE_PATH``, on the local target). Above both adapters and the protocol they
implement (idempotency.py), so neither imports the other's side."""

from __future__ import annotations

from event_processors.idempotency import IdempotencyStore
from event_processors.settings import NotifierSettings


def build_store(settings: NotifierSettings) -> IdempotencyStore:
    """The store the settings name. Adapters are imported here so that only the one in use is loaded
    (boto3 is imported only for DynamoDB)."""
    if settings.idempotency_table is not None:
        from event_processors.dynamodb_store import DynamoDBStore

        return DynamoDBStore(settings.idempotency_table)
    assert settings.idempotency_sqlite_path is not None  # settings guarantee exactly one of the two
    from event_processors.sqlite_store import SQLiteStore

    return SQLiteStore(settings.idempotency_sqlite_path)
