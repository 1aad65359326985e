"""Build `build/lambda.zip`: the code under lambda_src/ plus its runtime dependencies, installed for the
Lambda platform (manylinux, arm64, the runtime's Python).

The zip is deterministic: entries sorted, fixed timestamps and permissions, so the same inputs always give
the same bytes and Terraform's source_code_hash only changes when the code does. A fingerprint of the inputs
lets an unchanged tree skip the rebuild entirely.

It ships bytecode next to the sources, because /var/task is read-only and Lambda would otherwise compile
every imported module at each cold start. The bytecode is compiled by an interpreter of the runtime's
version (Python ignores bytecode of another version), found on this machine (find_runtime_python); as
unchecked-hash .pyc (no timestamp inside, never re-validated against the immutable sources) with
/var/task as the recorded path, it is the same bytes for the same sources and interpreter version.
Without such an interpreter the zip holds sources only, and `tooling package` says so.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
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
PACKAGE_FORMAT = 3
# An interpreter of the runtime's version to compile with, when it is not on PATH or in a pyenv/uv install.
RUNTIME_PYTHON_ENV = "TOOLING_LAMBDA_PYTHON"
LAMBDA_TASK_ROOT = "/var/task"  # where Lambda unpacks the zip: the path tracebacks show
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
    # The interpreter version the bytecode was compiled with; None: sources only (none was found).
    bytecode: str | None = None

    @property
    def sha256_b64(self) -> str:
        """The form Terraform's source_code_hash compares against (filebase64sha256)."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode()

    def as_json(self) -> dict[str, object]:
        return {"path": str(self.path), "size": self.size, "sha256": self.sha256, "bytecode": self.bytecode}

    def bytecode_note(self) -> str | None:
        """One line when the zip carries no bytecode, saying why and what to do."""
        if self.bytecode is not None:
            return None
        return (
            f"no Python {LAMBDA_RUNTIME_PYTHON} found: the zip ships sources only, which Lambda compiles at "
            f"each cold start; install Python {LAMBDA_RUNTIME_PYTHON} or set {RUNTIME_PYTHON_ENV}"
        )


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


def _python_version(python: str) -> str | None:
    """The full version (3.13.0) of an interpreter, or None when it does not run."""
    try:
        done = subprocess.run(
            [python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def find_runtime_python(version: str = LAMBDA_RUNTIME_PYTHON) -> tuple[str, str] | None:
    """(path, full version) of an interpreter of the Lambda runtime's minor version: $TOOLING_LAMBDA_PYTHON,
    else python<version> or python3 on PATH, else a pyenv or uv install. None when there is none."""
    explicit = os.environ.get(RUNTIME_PYTHON_ENV)
    if explicit:
        found = _python_version(explicit)
        if found is None or not found.startswith(f"{version}."):
            raise PackageError(
                f"{RUNTIME_PYTHON_ENV}={explicit} is not a Python {version} interpreter (it is {found or 'not runnable'})",
                hint=f"point it at a python{version}, or unset it to let the tooling look for one",
            )
        return explicit, found
    home = Path.home()
    candidates = [shutil.which(f"python{version}"), shutil.which("python3")]
    for root in (os.environ.get("PYENV_ROOT"), str(home / ".pyenv")):
        if root:
            candidates += sorted(
                map(str, Path(root).glob(f"versions/{version}*/bin/python{version}")), reverse=True
            )
    uv = home / ".local" / "share" / "uv" / "python"
    candidates += sorted(map(str, uv.glob(f"cpython-{version}*/bin/python{version}")), reverse=True)
    for candidate in dict.fromkeys(c for c in candidates if c):
        found = _python_version(candidate)
        if found is not None and found.startswith(f"{version}."):
            return candidate, found
    return None


_COMPILE = """
import compileall, py_compile, sys
compileall.compile_dir(sys.argv[1], ddir=sys.argv[2], quiet=2, workers=1,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
"""


def _compile(files: list[tuple[str, Path]], python: str, staging: Path) -> list[tuple[str, Path]]:
    """Bytecode of every .py in `files`, compiled by `python` in `staging`: (zip name, .pyc path) pairs.
    A module that does not compile (a dependency's py2-only file, say) simply gets none, as on Lambda."""
    for rel, path in files:
        if rel.endswith(".py"):
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, staging / rel)
    done = subprocess.run(
        [python, "-c", _COMPILE, str(staging), LAMBDA_TASK_ROOT], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise PackageError(
            f"compiling bytecode with {python} failed: {detail[-1] if detail else 'no output'}"
        )
    return [(p.relative_to(staging).as_posix(), p) for p in sorted(staging.rglob("__pycache__/*.pyc"))]


def _fingerprint(lambda_src: Path, requirements: Path, bytecode: str | None) -> str:
    digest = hashlib.sha256()
    digest.update(f"{LAMBDA_PLATFORM}|{LAMBDA_RUNTIME_PYTHON}|{PACKAGE_FORMAT}|{bytecode}\n".encode())
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
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")  # per process: concurrent builds never share it
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for arcname, path in sorted(files, key=lambda item: item[0]):
                info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE)
                info.external_attr = FILE_MODE
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # unix, so the mode bits are honoured the same everywhere
                zf.writestr(info, path.read_bytes(), compresslevel=9)
        os.chmod(tmp, FILE_MODE_OF_ZIP)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _recorded(stamp: Path) -> dict[str, object]:
    """What the last build recorded; a damaged record only means the zip is built again."""
    try:
        recorded = json.loads(stamp.read_bytes())
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def build_package(lambda_src: Path, dest: Path, *, force: bool = False) -> PackageResult:
    if not lambda_src.is_dir():
        raise PackageError(f"{lambda_src} does not exist", hint="run from the project checkout")
    requirements = lambda_src / "requirements.txt"
    make_dir(dest.parent)
    stamp = dest.with_suffix(".inputs")
    runtime = find_runtime_python()
    bytecode = runtime[1] if runtime else None
    fingerprint = _fingerprint(lambda_src, requirements, bytecode)
    if not force and dest.is_file() and stamp.is_file():
        recorded = _recorded(stamp)
        if recorded.get("inputs") == fingerprint and recorded.get("sha256") == _sha256(dest):
            return PackageResult(
                dest, dest.stat().st_size, str(recorded["sha256"]), rebuilt=False, bytecode=bytecode
            )
    files = _source_files(lambda_src)
    deps = _install_dependencies(requirements, dest.parent / "cache")
    if deps is not None:
        own = {rel for rel, _ in files}
        for path in _walk(deps):
            rel = path.relative_to(deps).as_posix()
            if rel == ".complete" or rel.startswith("bin/") or rel in own or _install_record(rel):
                continue
            files.append((rel, path))
    with tempfile.TemporaryDirectory(prefix="lambda-bytecode-") as staging:
        if runtime is not None:
            files += _compile(files, runtime[0], Path(staging))
        _write_zip(dest, files)
    digest = _sha256(dest)
    write_file(stamp, json.dumps({"inputs": fingerprint, "sha256": digest}) + "\n")
    return PackageResult(dest, dest.stat().st_size, digest, rebuilt=True, bytecode=bytecode)
