"""Build `build/lambda.zip`: the code under lambda_src/ plus its runtime dependencies, installed for the
Lambda platform (manylinux, arm64, the runtime's Python).

The zip is deterministic: entries sorted, fixed timestamps and permissions, no bytecode, so the same
inputs always give the same bytes and Terraform's source_code_hash only changes when the code does.
A fingerprint of the inputs lets an unchanged tree skip the rebuild entirely.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tooling.errors import PackageError
from tooling.workspace import FILE_MODE as FILE_MODE_OF_ZIP
from tooling.workspace import make_dir, write_file

LAMBDA_RUNTIME_PYTHON = "3.13"
LAMBDA_PLATFORM = "manylinux2014_aarch64"
# Zip's epoch (1980-01-01) keeps timestamps out of the bytes.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
# Bumped whenever what goes into the zip changes, so an unchanged tree still rebuilds under the new rules.
PACKAGE_FORMAT = 2
FILE_MODE = 0o644 << 16
EXCLUDED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", "tests"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}
EXCLUDED_NAMES = {"requirements.txt", "README.md", ".DS_Store"}


@dataclass(frozen=True)
class PackageResult:
    path: Path
    size: int
    sha256: str  # hex
    rebuilt: bool

    @property
    def sha256_b64(self) -> str:
        """The form Terraform's source_code_hash compares against (filebase64sha256)."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode()

    def as_json(self) -> dict[str, object]:
        return {"path": str(self.path), "size": self.size, "sha256": self.sha256}


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_DIRS and not d.endswith(".egg-info"))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.suffix in EXCLUDED_SUFFIXES or name in EXCLUDED_NAMES:
                continue
            yield path


def _source_files(lambda_src: Path) -> list[tuple[str, Path]]:
    return [(p.relative_to(lambda_src).as_posix(), p) for p in _walk(lambda_src)]


def _fingerprint(lambda_src: Path, requirements: Path) -> str:
    digest = hashlib.sha256()
    digest.update(f"{LAMBDA_PLATFORM}|{LAMBDA_RUNTIME_PYTHON}|{PACKAGE_FORMAT}\n".encode())
    if requirements.is_file():
        digest.update(requirements.read_bytes())
    for rel, path in _source_files(lambda_src):
        digest.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _install_dependencies(requirements: Path, cache_root: Path) -> Path | None:
    """pip-install requirements for the Lambda platform into a cache folder keyed by their content."""
    if not requirements.is_file() or not any(
        line.strip() and not line.strip().startswith("#") for line in requirements.read_text().splitlines()
    ):
        return None
    key = hashlib.sha256(requirements.read_bytes() + LAMBDA_PLATFORM.encode()).hexdigest()[:16]
    target = cache_root / f"deps-{key}"
    if (target / ".complete").is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    cmd = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--target", str(target), "--platform", LAMBDA_PLATFORM, "--implementation", "cp",
        "--python-version", LAMBDA_RUNTIME_PYTHON, "--only-binary=:all:", "-r", str(requirements),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise PackageError(
            f"installing {requirements} for {LAMBDA_PLATFORM} failed: {detail[-1] if detail else 'pip failed'}",
            hint="check the pins in lambda_src/requirements.txt (each needs a wheel for the Lambda platform) "
            "and that the package index is reachable",
        )
    (target / ".complete").write_text("")
    return target


# What pip writes about one particular install, not about the package: RECORD hashes the console scripts,
# whose shebang names the building machine's Python, so keeping it would make the zip differ per machine.
INSTALL_RECORDS = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def _install_record(rel: str) -> bool:
    folder, _, name = rel.rpartition("/")
    return folder.endswith(".dist-info") and "/" not in folder and name in INSTALL_RECORDS


def _write_zip(dest: Path, files: list[tuple[str, Path]]) -> None:
    tmp = dest.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for arcname, path in sorted(files, key=lambda item: item[0]):
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE)
            info.external_attr = FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the mode bits are honoured the same everywhere
            zf.writestr(info, path.read_bytes(), compresslevel=9)
    os.chmod(tmp, FILE_MODE_OF_ZIP)
    tmp.replace(dest)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_package(lambda_src: Path, dest: Path, *, force: bool = False) -> PackageResult:
    if not lambda_src.is_dir():
        raise PackageError(f"{lambda_src} does not exist", hint="run from the project checkout")
    requirements = lambda_src / "requirements.txt"
    make_dir(dest.parent)
    stamp = dest.with_suffix(".inputs")
    fingerprint = _fingerprint(lambda_src, requirements)
    if not force and dest.is_file() and stamp.is_file():
        recorded = json.loads(stamp.read_text())
        if recorded.get("inputs") == fingerprint and recorded.get("sha256") == _sha256(dest):
            return PackageResult(dest, dest.stat().st_size, recorded["sha256"], rebuilt=False)
    files = _source_files(lambda_src)
    deps = _install_dependencies(requirements, dest.parent / "cache")
    if deps is not None:
        own = {rel for rel, _ in files}
        for path in _walk(deps):
            rel = path.relative_to(deps).as_posix()
            if rel == ".complete" or rel.startswith("bin/") or rel in own or _install_record(rel):
                continue
            files.append((rel, path))
    _write_zip(dest, files)
    digest = _sha256(dest)
    write_file(stamp, json.dumps({"inputs": fingerprint, "sha256": digest}) + "\n")
    return PackageResult(dest, dest.stat().st_size, digest, rebuilt=True)
