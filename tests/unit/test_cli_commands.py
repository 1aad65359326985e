"""The root group imports a command's module only when that command runs (tooling/cli/commands.py): its list of
names must be exactly what the modules register, and a run of `publish` must not load the other seams."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import typer
import typer.main
from typer.testing import CliRunner

from tooling.cli import commands
from tooling.cli.app import app

REPO = Path(__file__).resolve().parents[2]


def test_the_command_list_is_what_the_modules_register() -> None:
    every = typer.Typer()
    modules = dict.fromkeys(module for group in commands.COMMANDS.values() for module in group)
    for name in modules:
        __import__(f"tooling.cli.{name}", fromlist=["register"]).register(every)

    registered = list(typer.main.get_group(every).commands)

    assert sorted(registered) == sorted(commands.COMMANDS)
    for name, group in commands.COMMANDS.items():
        assert name in commands.load(group), f"{name}: {group} does not register it"


def test_help_lists_every_command_and_a_typo_gets_a_suggestion() -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["--help"]).output
    assert all(name in shown for name in commands.COMMANDS)

    typo = runner.invoke(app, ["publsh"])
    assert typo.exit_code == 2
    assert "Did you mean 'publish'?" in typo.output


def test_publishing_loads_neither_boto3_nor_the_other_commands_seams(tmp_path: Path) -> None:
    seen = tmp_path / "modules.json"
    script = (
        "import atexit, json, sys\n"
        f"atexit.register(lambda: open({str(seen)!r}, 'w').write(json.dumps(sorted(sys.modules))))\n"
        "sys.argv = ['tooling', 'publish', 'batch', '--help']\n"
        "from tooling.cli.app import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(seen.read_text()))

    assert "tooling.cli.publish" in loaded
    for module in (
        "boto3",
        "s3transfer",
        "jinja2",
        "tooling.deploy.pipeline",
        "tooling.local",
        "tooling.cli.monitor",
    ):
        assert module not in loaded, f"{module} is imported by `tooling publish`"


def test_the_cli_uses_no_private_typer_or_click_api() -> None:
    # typer vendors click as typer._click; importing it (or a separately installed click whose classes typer's
    # are not) ties the CLI to one typer release. Public names only: typer, typer.core, typer.main.
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in (REPO / "tooling").rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.lstrip().startswith(("from click", "import click", "from typer._", "import typer._"))
        or "from typer import _" in line
    ]

    assert offenders == []
