"""Shared by the robustness tests: a throwaway project copy that a module-scoped fixture can build once
(tests/conftest.py's `project_copy` is per test, and an apply takes seconds)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


@pytest.fixture(scope="session")
def applied_environments(
    tmp_path_factory: pytest.TempPathFactory, copy_project: Callable[[Path], Path]
) -> dict[str, Any]:
    """environments/dev.toml and prod.toml as they are, applied to the local target in project copies
    (planned_environments.Deployed per environment)."""
    from planned_environments import ENVIRONMENTS, apply

    return {
        env: apply(copy_project(tmp_path_factory.mktemp(f"applied-{env}") / "project"), env)
        for env in ENVIRONMENTS
    }


@pytest.fixture(scope="session")
def planned_environments(
    tmp_path_factory: pytest.TempPathFactory, applied_environments: dict[str, Any]
) -> dict[str, Any]:
    """Environment -> the plan JSON real Terraform makes of the tfvars the local apply wrote."""
    from planned_environments import plan

    return plan(tmp_path_factory.mktemp("planned"), applied_environments)
