"""One error family for the whole tooling layer.

Core modules raise these; the CLI turns each into one stderr line plus a hint and a non-zero exit code.
"""

from __future__ import annotations


class ToolingError(Exception):
    """An error the user can act on. `hint` says what to do about it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(ToolingError):
    """The environment file is invalid; `problems` lists every one of them with its path."""

    exit_code = 2

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(
            f"{source}: {len(problems)} problem(s)\n{lines}",
            hint="fix the entries above and run `tooling config validate` again",
        )


class UsageError(ToolingError):
    """Bad command-line input (malformed JSON, unreadable file, ...)."""

    exit_code = 2


class OutputsMissingError(ToolingError):
    """Nothing has been applied yet for this environment: a usage error (apply first, or pass --outputs)."""

    exit_code = 2


class DamagedStateError(ToolingError):
    """A file the tooling keeps for itself (`.tooling/<env>/`, `build/`) is not what it wrote: truncated,
    not UTF-8, a folder where a file belongs, a database SQLite cannot read. The message names the file and
    the hint the way back; nothing is rewritten behind the user's back. `reason` is what is wrong with it."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, reason: str = "") -> None:
        super().__init__(message, hint)
        self.reason = reason or message


class TerraformError(ToolingError):
    """terraform is missing or one of its commands failed."""


class PackageError(ToolingError):
    """The Lambda zip could not be built."""


class AwsError(ToolingError):
    """An AWS API call failed in a way the user can fix (credentials, region, throttling, missing resource)."""


class UnavailableError(ToolingError):
    """Something the command needs is absent from this machine (terraform, a provider, moto): not a failure
    of the project, so callers such as CI may report it as a skip."""

    exit_code = 3
