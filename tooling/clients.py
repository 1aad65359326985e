"""The one boto3 client factory: region from outputs/config, endpoint from AWS_ENDPOINT_URL (boto3 reads it
itself), standard retry mode so throttling is retried with backoff before it reaches the user."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

_RETRIES = {"mode": "standard", "max_attempts": 5}
# Creating a Session loads botocore's data files (50-150 ms); one per process is enough. Sessions are not
# thread-safe for creating clients, hence the lock; the clients themselves are.
_session: boto3.session.Session | None = None
_lock = threading.Lock()


def client(
    service: str, region: str, *, max_pool_connections: int = 10, retries: dict[str, Any] | None = None
) -> Any:
    global _session
    config = BotoConfig(
        region_name=region, retries=retries or _RETRIES, max_pool_connections=max_pool_connections
    )
    with _lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session.client(service, config=config)


def reset() -> None:
    """Forget the cached session (tests that change credentials or endpoints between cases call this)."""
    global _session
    with _lock:
        _session = None


def session() -> boto3.session.Session:
    """The process's boto3 session (credentials and config variables for code that signs its own requests)."""
    global _session
    with _lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session
