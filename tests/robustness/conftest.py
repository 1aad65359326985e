"""Shared by the robustness tests: a throwaway project copy that a module-scoped fixture can build once
(tests/conftest.py's `project_copy` is per test, and an apply takes seconds)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _copy_project(root: Path) -> Path:
    root.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".terraform", "*.tfstate*")
    for name in ("environments", "lambda_src", "terraform", "schemas"):
        shutil.copytree(REPO / name, root / name, ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(REPO / "build" / "cache", root / "build" / "cache")
    return root


@pytest.fixture(scope="session")
def copy_project(lambda_zip: Path) -> Callable[[Path], Path]:
    """copy_project(root): the files a command needs (environments, lambda_src, terraform, schemas, the
    dependency cache) laid out as tests/conftest.py's `project_copy` does; use `root` as TOOLING_ROOT."""
    return _copy_project
