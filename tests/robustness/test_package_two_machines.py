"""The zip CI builds is the zip a laptop builds: `tooling package` run in two checkouts that differ in
everything but the sources and the interpreters (path, umask, HOME, TMPDIR, hash seed, locale, file
times, a fresh dependency install against a cached one) gives the same bytes, bytecode included."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tooling.deploy.package import LAMBDA_RUNTIME_PYTHON, find_runtime_python

REPO = Path(__file__).resolve().parents[2]
RUNTIME = find_runtime_python()
needs_runtime = pytest.mark.skipif(
    RUNTIME is None,
    reason=f"no Python {LAMBDA_RUNTIME_PYTHON} (the Lambda runtime's version) on this machine",
)


def _checkout(root: Path, *, cached_dependencies: bool) -> Path:
    for name in ("environments", "lambda_src", "terraform", "schemas"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", ".terraform"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    if cached_dependencies:
        shutil.copytree(REPO / "build" / "cache", root / "build" / "cache")
    return root


def _package(root: Path, umask: int, **env: str) -> dict[str, object]:
    home = root.parent / f"{root.name}-home"
    home.mkdir()
    (root.parent / f"{root.name}-tmp").mkdir()
    environ = {
        **os.environ,
        "TOOLING_ROOT": str(root),
        "HOME": str(home),  # no ~/.pyenv here: the runtime's Python comes from TOOLING_LAMBDA_PYTHON
        "TMPDIR": str(root.parent / f"{root.name}-tmp"),
        "TOOLING_LAMBDA_PYTHON": RUNTIME[0] if RUNTIME else "",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-m", "tooling", "package", "--json"],
        capture_output=True, text=True, check=False, cwd=root, env=environ, timeout=300,
        preexec_fn=lambda: os.umask(umask),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@needs_runtime
def test_a_ci_checkout_and_a_laptop_checkout_build_the_same_zip(tmp_path: Path, lambda_zip: Path) -> None:
    """`lambda_zip` (the session's build) fills build/cache, which the laptop checkout reuses."""
    laptop = _checkout(tmp_path / "home" / "dev" / "src" / "eventbridge", cached_dependencies=True)
    ci = _checkout(tmp_path / "runner" / "work" / "repo" / "repo", cached_dependencies=False)
    for path in (ci / "lambda_src").rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))  # a fresh clone: every file has the clone's time

    built_on_laptop = _package(laptop, 0o022, PYTHONHASHSEED="1", LC_ALL="C.UTF-8")
    built_in_ci = _package(ci, 0o077, PYTHONHASHSEED="4242", LC_ALL="C")

    assert built_in_ci["bytecode"] == built_on_laptop["bytecode"]
    assert str(built_in_ci["bytecode"]).startswith(f"{LAMBDA_RUNTIME_PYTHON}.")
    assert built_in_ci["sha256"] == built_on_laptop["sha256"]
    assert (ci / "build" / "lambda.zip").read_bytes() == (laptop / "build" / "lambda.zip").read_bytes()
    with zipfile.ZipFile(ci / "build" / "lambda.zip") as zf:
        tag = f"cpython-{LAMBDA_RUNTIME_PYTHON.replace('.', '')}"
        assert f"event_processors/__pycache__/processor.{tag}.pyc" in zf.namelist()
