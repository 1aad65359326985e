"""The Python supply chain is locked: requirements/*.txt pin every package with hashes, cover exactly what
pyproject.toml pins, and `make install` / `make install-runtime` install from them with --require-hashes."""

from __future__ import annotations

import re

from dependency_locks import (
    BOOTSTRAP,
    DEV,
    REPO,
    RUNTIME,
    load_lock,
    parse_lock,
    pyproject_pins,
    runtime_drift,
    uncovered,
    unhashed,
)

MAKEFILE = REPO / "Makefile"
DRIFTED = """\
# a lock that fell behind pyproject.toml
boto3==1.44.7 \\
    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000
typer==0.29.2
pytest==9.2.0 \\
    --hash=sha256:1111111111111111111111111111111111111111111111111111111111111111
requests>=2
"""


def test_every_locked_package_has_an_exact_pin_and_a_hash() -> None:
    for path in (BOOTSTRAP, RUNTIME, DEV):
        lock = load_lock(path)

        assert len(lock) >= 2, path
        assert unhashed(lock, path.name) == []


def test_the_locks_cover_every_pin_of_pyproject_at_the_same_version() -> None:
    runtime_pins, dev_pins, build_pins = pyproject_pins()

    assert "boto3" in runtime_pins and "pytest" in dev_pins and "setuptools" in build_pins
    assert uncovered(runtime_pins, load_lock(RUNTIME), "runtime.txt") == []
    assert uncovered({**runtime_pins, **dev_pins}, load_lock(DEV), "dev.txt") == []
    assert uncovered(build_pins, load_lock(BOOTSTRAP), "bootstrap.txt") == []


def test_the_runtime_lock_is_the_runtime_part_of_the_dev_lock() -> None:
    _, dev_pins, _ = pyproject_pins()

    assert runtime_drift(load_lock(RUNTIME), load_lock(DEV), set(dev_pins)) == []


def test_the_checks_report_a_drifted_lock() -> None:
    lock = parse_lock(DRIFTED)
    runtime_pins = {"boto3": "1.44.8", "typer": "0.29.2", "rich": "15.0.0"}

    assert unhashed(lock, "runtime.txt") == [
        "runtime.txt: 'requests>=2' is not an exact pin",
        "runtime.txt: typer==0.29.2 has no sha256 hash",
    ]
    assert uncovered(runtime_pins, lock, "runtime.txt") == [
        "runtime.txt: boto3 is 1.44.7, pyproject.toml pins 1.44.8 (run `make lock`)",
        "runtime.txt: rich==15.0.0 is missing (run `make lock`)",
    ]
    assert uncovered({"moto": ""}, lock, "dev.txt") == ["pyproject.toml: 'moto' is not an exact pin (==)"]
    assert runtime_drift(lock, parse_lock("boto3==1.44.8 --hash=sha256:" + "2" * 64), {"pytest"}) == [
        "runtime.txt: boto3 is 1.44.7, dev.txt has 1.44.8",
        "runtime.txt: typer is 0.29.2, dev.txt has none",
        "runtime.txt: pytest is 9.2.0, dev.txt has none",
        "runtime.txt: holds the dev tool pytest",
    ]


def _recipe(target: str) -> str:
    """The recipe of a Makefile target, with `$(call install_locked,X)` expanded."""
    text = MAKEFILE.read_text()
    body = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, re.M)
    assert body is not None, target
    recipe = body.group(1)
    macro = re.search(r"^define install_locked\n(.*?)^endef", text, re.M | re.S)
    assert macro is not None
    for lock in re.findall(r"\$\(call install_locked,(\$\([A-Z_]+\))\)", recipe):
        recipe = recipe.replace(f"$(call install_locked,{lock})", macro.group(1).replace("$(1)", lock))
    return recipe


def test_make_install_installs_the_dev_lock_with_hashes_then_the_project_without_dependencies() -> None:
    recipe = _recipe("$(VENV)/.installed")
    lines = [line.strip() for line in recipe.splitlines()]
    installs = [line for line in lines if "$(PIP_INSTALL)" in line]

    assert installs == [
        "$(PIP_INSTALL) --require-hashes -r $(LOCK_BOOTSTRAP)",
        "$(PIP_INSTALL) --require-hashes -r $(LOCK_DEV)",
        "$(PIP_INSTALL) --no-deps --no-build-isolation -e .",
    ]
    assert "pip check" in recipe
    assert "LOCK_DEV := requirements/dev.txt" in MAKEFILE.read_text()


def test_make_install_runtime_installs_the_runtime_lock_only() -> None:
    recipe = _recipe("$(VENV)/.installed-runtime")

    assert "--require-hashes -r $(LOCK_RUNTIME)" in recipe
    assert "LOCK_DEV" not in recipe and "[dev]" not in recipe
    assert "LOCK_RUNTIME := requirements/runtime.txt" in MAKEFILE.read_text()


def test_no_install_path_bypasses_the_locks() -> None:
    """Nothing but checkov's and uv's own throwaway venvs installs by name (outside the locks)."""
    by_name = {
        line.strip()
        for line in MAKEFILE.read_text().splitlines()
        if "pip install" in line and not line.startswith("PIP_INSTALL =")
    }

    assert by_name == {
        "$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)",
        "$(LOCK_VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)",
    }


def test_the_lock_files_say_how_they_are_made() -> None:
    for path in (BOOTSTRAP, RUNTIME, DEV):
        assert "#    make lock" in path.read_text().splitlines()[1], path


def test_the_lambda_zips_dependencies_are_hashed_and_match_the_tested_versions() -> None:
    """lambda_src/requirements.txt goes into the zip: pip installs it in hash-checking mode, at the
    Powertools version the tests import (the dev pin)."""
    lambda_lock = load_lock(REPO / "lambda_src" / "requirements.txt")
    _, dev_pins, _ = pyproject_pins()

    assert unhashed(lambda_lock, "lambda_src/requirements.txt") == []
    assert lambda_lock["aws-lambda-powertools"].version == dev_pins["aws-lambda-powertools"]
