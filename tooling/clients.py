"""The one AWS client factory: region from outputs/config, endpoint from AWS_ENDPOINT_URL (botocore reads it
itself), standard retry mode so throttling is retried with backoff before it reaches the user.

One botocore session per process carries credentials and config variables. boto3 (~0.1 s to import, most of
it s3transfer) is imported only when a boto3 client is asked for: `tooling publish`'s HTTP engine needs the
botocore session, a botocore client for the endpoint and the signer, nothing of boto3's.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3.session
    import botocore.session

_RETRIES = {"mode": "standard", "max_attempts": 5}
# Creating a session loads botocore's data files (50-150 ms); one per process is enough. Sessions are not
# thread-safe for creating clients, hence the lock; the clients themselves are.
_botocore: botocore.session.Session | None = None
_boto3: boto3.session.Session | None = None
_lock = threading.RLock()


def _config(region: str, max_pool_connections: int, retries: dict[str, Any] | None) -> Any:
    from botocore.config import Config

    return Config(region_name=region, retries=retries or _RETRIES, max_pool_connections=max_pool_connections)


def client(
    service: str, region: str, *, max_pool_connections: int = 10, retries: dict[str, Any] | None = None
) -> Any:
    """A boto3 client (boto3's customisations included: S3 transfers, resource-style helpers)."""
    config = _config(region, max_pool_connections, retries)
    with _lock:
        return session().client(service, config=config)


def botocore_client(service: str, region: str) -> Any:
    """A plain botocore client on the same session, for code that needs what it resolves (endpoint, region)
    without boto3."""
    config = _config(region, 10, None)
    with _lock:
        return botocore_session().create_client(service, config=config)


def botocore_session() -> botocore.session.Session:
    """The process's botocore session: the credential chain and config variables."""
    global _botocore
    with _lock:
        if _botocore is None:
            import botocore.session

            _botocore = botocore.session.get_session()
        return _botocore


def session() -> boto3.session.Session:
    """The process's boto3 session, on the same botocore session."""
    global _boto3
    with _lock:
        if _boto3 is None:
            import boto3.session

            _boto3 = boto3.session.Session(botocore_session=botocore_session())
        return _boto3


def reset() -> None:
    """Forget the cached sessions (tests that change credentials or endpoints between cases call this)."""
    global _botocore, _boto3
    with _lock:
        _botocore = _boto3 = None
