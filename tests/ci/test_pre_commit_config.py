"""The pre-commit config: the hooks the issue names are there, every tool is pinned to the version the
project pins elsewhere, and every hook's command exists in that pinned version (checked offline: the dev
extra installs the same distributions, so their console scripts are visible here)."""

from __future__ import annotations

import re
import shutil
import tomllib
from importlib import metadata
from typing import Any

import pytest
import yaml
from workflow_yaml import REPO

CONFIG = REPO / ".pre-commit-config.yaml"
EXPECTED_HOOKS = {
    "trailing-whitespace", "end-of-file-fixer", "ruff-check", "ruff-format", "mypy", "terraform-fmt",
    "tf-offline-validate", "checkov",
}  # fmt: skip
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+-]+)$")


def _hooks(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def _project_pins() -> dict[str, str]:
    """Exact pins of pyproject.toml's dev extra, and checkov's from the Makefile."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    pins = dict(
        PIN.match(dep).groups()
        for dep in pyproject["project"]["optional-dependencies"]["dev"]
        if PIN.match(dep)
    )  # type: ignore[union-attr]
    makefile = (REPO / "Makefile").read_text()
    pins["checkov"] = re.search(r"^CHECKOV_VERSION := (\S+)$", makefile, re.M).group(1)  # type: ignore[union-attr]
    return {name.lower(): version for name, version in pins.items()}


def pin_findings(config: dict[str, Any], pins: dict[str, str]) -> list[str]:
    """Hooks that are not pinned, or pinned to another version than the project's."""
    findings = []
    for repo in config["repos"]:
        if repo["repo"] not in ("local", "meta") and not re.fullmatch(
            r"[0-9a-f]{40}", str(repo.get("rev", ""))
        ):
            findings.append(f"{repo['repo']}: rev {repo.get('rev')} is not a commit SHA")
    for hook in _hooks(config):
        if hook.get("language") != "python":
            continue
        deps = hook.get("additional_dependencies", [])
        if not deps:
            findings.append(f"{hook['id']}: installs no pinned tool")
        for dep in deps:
            match = PIN.match(dep)
            if match is None:
                findings.append(f"{hook['id']}: {dep} is not pinned with ==")
            elif pins.get(match.group(1).lower()) != match.group(2):
                findings.append(f"{hook['id']}: {dep}, the project pins {pins.get(match.group(1).lower())}")
    return findings


def _commands(distribution: str) -> set[str]:
    """The commands a distribution installs: its console scripts and the executables it ships (ruff's)."""
    dist = metadata.distribution(distribution)
    scripts = {ep.name for ep in dist.entry_points if ep.group == "console_scripts"}
    return scripts | {f.name for f in dist.files or [] if f.parent.name == "bin"}


def test_the_config_names_every_hook_the_project_runs() -> None:
    config = yaml.safe_load(CONFIG.read_text())

    assert {hook["id"] for hook in _hooks(config)} == EXPECTED_HOOKS


def test_every_hook_is_pinned_to_the_projects_version() -> None:
    assert pin_findings(yaml.safe_load(CONFIG.read_text()), _project_pins()) == []


def test_pin_findings_report_an_unpinned_or_drifted_hook() -> None:
    config = {
        "repos": [
            {"repo": "https://github.com/astral-sh/ruff-pre-commit", "rev": "v0.6.0", "hooks": []},
            {
                "repo": "local",
                "hooks": [
                    {"id": "a", "language": "python", "additional_dependencies": ["ruff"]},
                    {"id": "b", "language": "python", "additional_dependencies": ["ruff==0.1.0"]},
                    {"id": "c", "language": "python"},
                ],
            },
        ]
    }

    assert pin_findings(config, {"ruff": "0.17.6"}) == [
        "https://github.com/astral-sh/ruff-pre-commit: rev v0.6.0 is not a commit SHA",
        "a: ruff is not pinned with ==",
        "b: ruff==0.1.0, the project pins 0.17.6",
        "c: installs no pinned tool",
    ]


@pytest.mark.parametrize(
    "hook_id",
    sorted(h["id"] for h in _hooks(yaml.safe_load(CONFIG.read_text())) if h["language"] == "python"),
)
def test_python_hook_command_exists_in_its_pinned_distribution(hook_id: str) -> None:
    hook = next(h for h in _hooks(yaml.safe_load(CONFIG.read_text())) if h["id"] == hook_id)
    name, version = PIN.match(hook["additional_dependencies"][0]).groups()  # type: ignore[union-attr]
    command = hook["entry"].split()[0]
    if command == "bash":  # a wrapper: the tool is the one the script execs
        command = name
    if name == "checkov":
        pytest.skip(
            "checkov lives in its own virtualenv (make scan); its pin is checked against the Makefile"
        )

    assert metadata.version(name) == version
    assert command in _commands(name)


def test_system_hooks_run_what_make_lint_runs() -> None:
    hooks = {h["id"]: h for h in _hooks(yaml.safe_load(CONFIG.read_text())) if h["language"] == "system"}
    makefile = (REPO / "Makefile").read_text()

    assert hooks["mypy"]["entry"] == ".venv/bin/mypy tooling tooling_testing lambda_src .github/scripts"
    assert "$(BIN)/mypy tooling tooling_testing lambda_src .github/scripts" in makefile
    assert hooks["terraform-fmt"]["entry"] == "terraform fmt"
    assert "tf-offline-validate terraform" in hooks["tf-offline-validate"]["entry"]


@pytest.mark.skipif(shutil.which("pre-commit") is None and not (REPO / ".venv/bin/pre-commit").is_file(),
                    reason="pre-commit is not installed")  # fmt: skip
def test_pre_commit_accepts_the_config() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(CONFIG)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
