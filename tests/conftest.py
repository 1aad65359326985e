"""Suite-wide safety: no test can reach a real AWS account or depend on the developer's environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _offline_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("TOOLING_ENV", raising=False)
    monkeypatch.delenv("TOOLING_WEBHOOK_URL", raising=False)  # the developer's webhook secret stays theirs
    from tooling import clients

    clients.reset()  # the cached boto3 session must see this test's credentials and endpoint
    yield
    clients.reset()


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def lambda_zip() -> Path:
    """The real build/lambda.zip, built once per session (dependencies come from the package index)."""
    from tooling.deploy.package import build_package

    return build_package(REPO / "lambda_src", REPO / "build" / "lambda.zip").path


@pytest.fixture
def project_copy(tmp_path: Path, lambda_zip: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway copy of the project (environments, lambda_src, terraform, dependency cache), used as
    TOOLING_ROOT so commands write their .tooling/ and build/ there instead of into the checkout."""
    import shutil

    root = tmp_path / "project"
    root.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", ".terraform", "*.tfstate*")
    for name in ("environments", "lambda_src", "terraform", "schemas"):
        shutil.copytree(REPO / name, root / name, ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(REPO / "build" / "cache", root / "build" / "cache")
    monkeypatch.setenv("TOOLING_ROOT", str(root))
    return root
