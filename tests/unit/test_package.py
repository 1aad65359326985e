"""The Lambda zip is deterministic, tracks its sources, and holds only handlers and dependencies."""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from tooling.deploy import package
from tooling.deploy.package import build_package, find_runtime_python
from tooling.errors import PackageError

REPO = Path(__file__).resolve().parents[2]
needs_runtime = pytest.mark.skipif(
    find_runtime_python() is None, reason="no Python 3.13 (the Lambda runtime's version) on this machine"
)


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


def test_stray_bytecode_and_requirements_stay_out_and_without_a_runtime_python_it_says_so(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(package, "find_runtime_python", lambda: None)

    result = build_package(src, tmp_path / "lambda.zip")

    with zipfile.ZipFile(result.path) as zf:
        names = zf.namelist()
        infos = zf.infolist()
    assert names == ["event_processors/__init__.py", "event_processors/processor.py"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o644}
    assert result.bytecode is None
    assert result.bytecode_note() == (
        "no Python 3.13 found: the zip ships sources only, which Lambda compiles at each cold start; "
        "install Python 3.13 or set TOOLING_LAMBDA_PYTHON"
    )


@needs_runtime
def test_bytecode_is_compiled_for_the_runtime_unchecked_and_reproducible(src: Path, tmp_path: Path) -> None:
    first = build_package(src, tmp_path / "a" / "lambda.zip")
    (src / "event_processors" / "processor.py").touch()  # a new mtime changes nothing in the bytes
    second = build_package(src, tmp_path / "b" / "lambda.zip", force=True)

    with zipfile.ZipFile(first.path) as zf:
        names = zf.namelist()
        header = zf.read("event_processors/__pycache__/processor.cpython-313.pyc")[:16]
    assert names == [
        "event_processors/__init__.py",
        "event_processors/__pycache__/__init__.cpython-313.pyc",
        "event_processors/__pycache__/processor.cpython-313.pyc",
        "event_processors/processor.py",
    ]
    # PEP 552: flags 0b01 = hash-based, not checked against the source (the zip is immutable).
    assert int.from_bytes(header[4:8], "little") == 0b01
    assert first.bytecode is not None and first.bytecode.startswith("3.13.")
    assert first.path.read_bytes() == second.path.read_bytes()


def test_an_explicit_runtime_python_of_another_version_is_refused(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLING_LAMBDA_PYTHON", sys.executable)  # the venv's 3.11

    with pytest.raises(PackageError, match=r"TOOLING_LAMBDA_PYTHON=.* is not a Python 3\.13 interpreter"):
        build_package(src, tmp_path / "lambda.zip")


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
    # Bytecode only of the runtime's version, and only next to a source of the zip.
    sources = {n for n in names if n.endswith(".py")}
    for name in (n for n in names if n.endswith(".pyc")):
        folder, _, file = f"/{name}".rpartition("/__pycache__/")
        assert file.endswith(".cpython-313.pyc"), name
        assert f"{folder}/{file.removesuffix('.cpython-313.pyc')}.py".lstrip("/") in sources, name
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
