"""Run `terraform test` for every module that has tests/*.tftest.hcl, on a throwaway copy of terraform/modules.

The copy keeps the checkout clean (init writes .terraform/ and a lock file next to the module) and lets the
v6-only arguments that the installed hashicorp/aws lacks be dropped, exactly as `make e2e` does: the
provider comes from wherever Terraform's own rules find it, else from a filesystem mirror on the machine
(tooling_testing.harness.provider), and the installed provider's schema decides what is removed
(tooling_testing.harness.compat).

The render providers of the test files get fake credentials; AWS_ENDPOINT_URL points every AWS call at a
closed local port, so a resource a test forgot to override fails at once instead of reaching out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import hcl2
import pytest

from tooling.deploy.terraform import find_binary
from tooling.errors import TerraformError, UnavailableError
from tooling_testing.harness import compat, provider

MODULES = Path(__file__).resolve().parents[2] / "terraform" / "modules"
MIN_VERSION = (1, 7, 0)  # mock_provider, override_resource/override_data and run-level providers
WORKERS = 2  # modules tested at once: each `terraform test` is mostly one CPU-bound process
CLOSED_ENDPOINT = "http://127.0.0.1:9"
SUMMARY = pytest.StashKey[str]()


def modules_with_tests() -> list[str]:
    return sorted(p.parent.parent.name for p in MODULES.glob("*/tests/*.tftest.hcl"))


@dataclass(frozen=True)
class Declared:
    """What a module's test files declare: run blocks, assert blocks, expected failures."""

    runs: int
    asserts: int
    expected_failures: int


def declared(module: str) -> Declared:
    runs = asserts = expected = 0
    for path in sorted((MODULES / module / "tests").glob("*.tftest.hcl")):
        for block in hcl2.loads(path.read_text()).get("run", []):
            for body in block.values():
                runs += 1
                asserts += len(body.get("assert", []))
                expected += len(body.get("expect_failures", []) or [])
    return Declared(runs, asserts, expected)


@dataclass
class ModuleResult:
    module: str
    passed: int = 0
    failed: int = 0
    errored: int = 0
    skipped: int = 0
    status: str = "?"
    failed_runs: list[str] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def problem(self) -> str:
        lines = [f"terraform test in modules/{self.module}: {self.status}"]
        lines += [f"  run {name}" for name in self.failed_runs]
        lines += self.diagnostics
        return "\n".join(lines)


@dataclass
class Session:
    """One preparation (copy, provider, schema) shared by every module's run."""

    terraform: str
    root: Path
    env: dict[str, str]
    provider_source: str
    removed: list[str]


def _version(binary: str, probed: tuple[int, int, int] | None) -> tuple[int, int, int]:
    if probed is not None:
        return probed
    done = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, check=False)
    text = json.loads(done.stdout)["terraform_version"]
    parts = [int(p) for p in text.split("-")[0].split(".")[:3]]
    return parts[0], parts[1], parts[2]


def _clean_env(tf_env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_VAR_", "TF_LOG"))}
    env.update(tf_env)
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_ENDPOINT_URL=CLOSED_ENDPOINT,
        AWS_EC2_METADATA_DISABLED="true",
        CHECKPOINT_DISABLE="1",
        TF_IN_AUTOMATION="1",
    )
    env.pop("TF_DATA_DIR", None)
    return env


def _run(terraform: str, args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [terraform, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def _init(session: Session, module: str) -> str | None:
    """None, or why `terraform init` failed."""
    args = ["init", "-backend=false", "-input=false", "-no-color"]
    done = _run(session.terraform, args, session.root / module, session.env)
    return None if done.returncode == 0 else (done.stderr.strip() or done.stdout.strip())


def prepare(workdir: Path) -> Session:
    """Copy the modules, find terraform and the provider, init one module, drop what its schema lacks.
    Skips (pytest.skip) with the reason when terraform is too old or no provider can be installed."""
    try:
        terraform, probed = find_binary()
        tf_env, source = provider.cli_config_env(workdir)
    except (TerraformError, UnavailableError) as exc:
        pytest.skip(f"terraform test: {exc.message}")
    version = _version(terraform, probed)
    if version < MIN_VERSION:
        pytest.skip(
            f"terraform test: {terraform} is {'.'.join(map(str, version))}; the module tests need >= 1.7 "
            "(mock_provider, override_resource)"
        )
    root = workdir / "modules"
    shutil.copytree(MODULES, root, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl"))
    if source == provider.REGISTRY_HOST:
        # Downloaded once and linked into every module (no cache is needed for a filesystem mirror).
        tf_env = {**tf_env, "TF_PLUGIN_CACHE_DIR": str(workdir / "plugin-cache")}
        (workdir / "plugin-cache").mkdir()
    session = Session(terraform, root, _clean_env(tf_env), source, [])
    first = modules_with_tests()[0]
    if failure := _init(session, first):
        raise TerraformError(f"terraform init in modules/{first} failed: {failure}")
    schema = _run(terraform, ["providers", "schema", "-json"], root / first, session.env)
    if schema.returncode != 0:
        raise TerraformError(f"terraform providers schema failed: {schema.stderr.strip()}")
    removals = compat.unknown_arguments(root, json.loads(schema.stdout))
    compat.remove_arguments(root, removals)
    installed = _run(terraform, ["version", "-json"], root / first, session.env)
    caps = compat.narrow_values(root, compat.selected_version(installed.stdout))
    session.removed = [r.line() for r in removals] + [c.line() for c in caps]
    return session


def parse(module: str, stdout: str) -> ModuleResult:
    result = ModuleResult(module)
    for line in stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        kind = message.get("type")
        if kind == "test_summary":
            summary = message["test_summary"]
            result.status = summary["status"]
            result.passed, result.failed = summary["passed"], summary["failed"]
            result.errored, result.skipped = summary["errored"], summary["skipped"]
        elif kind == "test_run" and message["test_run"].get("progress") == "complete":
            if message["test_run"].get("status") != "pass":
                result.failed_runs.append(
                    f"{message['test_run']['run']}: {message['test_run'].get('status')}"
                )
        elif kind == "diagnostic":
            diagnostic = message["diagnostic"]
            where = message.get("@testrun") or message.get("@testfile") or ""
            detail = " ".join(str(diagnostic.get("detail", "")).split())
            result.diagnostics.append(f"  {where}: {diagnostic.get('summary')}: {detail}"[:2000])
    return result


def run_module(session: Session, module: str) -> ModuleResult:
    started = time.monotonic()
    if module != modules_with_tests()[0] and (failure := _init(session, module)):
        return ModuleResult(module, status="init failed", diagnostics=[f"  {failure}"])
    done = _run(session.terraform, ["test", "-json", "-no-color"], session.root / module, session.env)
    result = parse(module, done.stdout)
    if result.status == "?":
        result.diagnostics.append(f"  no summary from terraform test: {done.stderr.strip()[:2000]}")
    result.seconds = time.monotonic() - started
    return result


def run_all(session: Session) -> dict[str, ModuleResult]:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = pool.map(lambda m: run_module(session, m), modules_with_tests())
        return {r.module: r for r in results}
