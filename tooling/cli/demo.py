"""`tooling demo`: the whole architecture on this machine (what `make demo` runs)."""

from __future__ import annotations

from typing import Annotated

import typer

from tooling.cli.console import make_console
from tooling.cli.options import EnvOption, WaitTimeoutOption
from tooling.envlock import DEFAULT_WAIT_TIMEOUT


def demo(
    env: EnvOption = "dev",
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="Mixed events to publish.")] = 200,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the generated traffic (same seed, same figures).")
    ] = 7,
    wait_timeout: WaitTimeoutOption = DEFAULT_WAIT_TIMEOUT,
) -> None:
    """Apply to the local target from a clean state, publish seeded traffic plus one high-value order,
    process it and print the monitor; exit 1 when the run is not healthy. It has the environment to
    itself: it waits for the commands using it (another demo too), and refuses after --wait-timeout.

    Example: tooling demo --count 500 --seed 42
    """
    from tooling.local.demo import run  # the emulator loads only for this command

    console = make_console()  # piped or in CI: plain columns, lines never wrapped
    code = run(env, count, seed, console, wait_timeout)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
