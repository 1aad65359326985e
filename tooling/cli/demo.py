"""`tooling demo`: the whole architecture on this machine (what `make demo` runs)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from tooling.cli.options import EnvOption


def demo(
    env: EnvOption = "dev",
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="Mixed events to publish.")] = 200,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the generated traffic (same seed, same figures).")
    ] = 7,
) -> None:
    """Apply to the local target from a clean state, publish seeded traffic plus one high-value order,
    process it and print the monitor; exit 1 when the run is not healthy.

    Example: tooling demo --count 500 --seed 42
    """
    from tooling.local.demo import run  # the emulator loads only for this command

    # Piped or in CI the terminal width is unknown; 120 columns keep the tables readable there.
    console = Console() if sys.stdout.isatty() else Console(width=120)
    code = run(env, count, seed, console)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
