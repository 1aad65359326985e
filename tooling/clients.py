"""The one boto3 client factory: region from outputs/config, endpoint from AWS_ENDPOINT_URL (boto3 reads it
itself), standard retry mode so throttling is retried with backoff before it reaches the user."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config as BotoConfig

_RETRIES = {"mode": "standard", "max_attempts": 5}


def client(
    service: str, region: str, *, max_pool_connections: int = 10, retries: dict[str, Any] | None = None
) -> Any:
    config = BotoConfig(
        region_name=region,
        retries=retries or _RETRIES,
        max_pool_connections=max_pool_connections,
    )
    return boto3.session.Session().client(service, config=config)
