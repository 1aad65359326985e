"""Which lock each command holds on its environment (tooling/envlock.py), declared where the command is.

    @shares_environment("publish order")   the whole command holds the lock SHARED (readers and writers)

`apply`, `destroy` and `demo` hold it EXCLUSIVE in their core function (tooling/targets.py, tooling/local/
demo.py), with --wait-timeout; `monitor --watch` and `logs --follow` take it SHARED per refresh
(tooling/observe/watch.py), and without those flags hold it for the command as any reader does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from tooling.envlock import Mode, env_lock
from tooling.workspace import Workspace

P = ParamSpec("P")
R = TypeVar("R")


def shares_environment(command: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The decorated command runs holding its environment's lock SHARED: an apply, destroy or demo waits
    for it to finish, and it waits (saying for whom) while one of those runs. The environment is the
    command's `env` parameter (typer passes every parameter by name)."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)  # typer reads the parameters through __wrapped__
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            env = kwargs.get("env", "dev")
            with env_lock(Workspace.for_env(str(env)), Mode.SHARED, command=command):
                return func(*args, **kwargs)

        return run

    return decorate
