"""The Lambda zip is deterministic, tracks its sources, and holds only handlers and dependencies."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest

from tooling.deploy.package import build_package
from tooling.errors import PackageError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "lambda_src"
    (root / "event_processors").mkdir(parents=True)
    (root / "event_processors" / "__init__.py").write_text("")
    (root / "event_processors" / "processor.py").write_text(
        "def handler(event, context):\n    return event\n"
    )
    (root / "event_processors" / "__pycache__").mkdir()
    (root / "event_processors" / "__pycache__" / "processor.cpython-311.pyc").write_bytes(b"junk")
    (root / "requirements.txt").write_text("# no runtime dependencies in this fixture\n")
    return root


def test_two_builds_are_byte_identical(src: Path, tmp_path: Path) -> None:
    first = build_package(src, tmp_path / "a" / "lambda.zip")
    os.utime(src / "event_processors" / "processor.py", (1_000_000_000, 1_000_000_000))
    second = build_package(src, tmp_path / "b" / "lambda.zip")

    assert first.sha256 == second.sha256
    assert first.path.read_bytes() == second.path.read_bytes()


def test_a_changed_source_changes_the_hash(src: Path, tmp_path: Path) -> None:
    before = build_package(src, tmp_path / "lambda.zip")
    (src / "event_processors" / "processor.py").write_text("def handler(event, context):\n    return 1\n")

    after = build_package(src, tmp_path / "lambda.zip")

    assert after.rebuilt
    assert after.sha256 != before.sha256


def test_unchanged_inputs_skip_the_rebuild(src: Path, tmp_path: Path) -> None:
    build_package(src, tmp_path / "lambda.zip")

    again = build_package(src, tmp_path / "lambda.zip")

    assert not again.rebuilt


def test_bytecode_and_requirements_stay_out(src: Path, tmp_path: Path) -> None:
    result = build_package(src, tmp_path / "lambda.zip")

    with zipfile.ZipFile(result.path) as zf:
        names = zf.namelist()
        infos = zf.infolist()
    assert names == ["event_processors/__init__.py", "event_processors/processor.py"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o644}


def test_missing_source_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="does not exist"):
        build_package(tmp_path / "nope", tmp_path / "lambda.zip")


def test_base64_hash_is_what_terraform_compares(src: Path, tmp_path: Path) -> None:
    import base64
    import hashlib

    result = build_package(src, tmp_path / "lambda.zip")

    assert result.sha256_b64 == base64.b64encode(hashlib.sha256(result.path.read_bytes()).digest()).decode()


def test_real_zip_holds_handlers_and_pure_python_dependencies_only(lambda_zip: Path) -> None:
    with zipfile.ZipFile(lambda_zip) as zf:
        names = zf.namelist()

    assert not [n for n in names if n.endswith((".so", ".pyd", ".dylib"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    for handler in ("processor", "notifier", "analytics"):
        assert f"event_processors/{handler}.py" in names
    assert any(n.startswith("aws_lambda_powertools/") for n in names)
    assert "requirements.txt" not in names
    # Per-install files (RECORD hashes scripts whose shebang names the build machine's Python) stay out.
    assert not [n for n in names if n.endswith((".dist-info/RECORD", ".dist-info/INSTALLER"))]
    assert any(n.endswith(".dist-info/METADATA") for n in names)
    assert not [n for n in names if n.startswith(("tests/", "boto3/", "botocore/"))]


def test_real_zip_is_reproducible(lambda_zip: Path, tmp_path: Path) -> None:
    copy = tmp_path / "lambda_src"
    shutil.copytree(REPO / "lambda_src", copy, ignore=shutil.ignore_patterns("__pycache__"))
    dest = tmp_path / "build" / "lambda.zip"
    # Reuse the dependency cache so this test does not download twice.
    shutil.copytree(REPO / "build" / "cache", tmp_path / "build" / "cache")

    rebuilt = build_package(copy, dest)

    assert rebuilt.path.read_bytes() == lambda_zip.read_bytes()
