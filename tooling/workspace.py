"""Where per-environment state lives: `.tooling/<env>/` (git-ignored) and `build/`.

The random resource-name suffix is generated once per environment and kept here, so repeated applies never
rename anything. Once it exists it is never generated again: a damaged one is an error (on AWS a new suffix
replaces every named resource), and only `tooling apply --new-suffix` writes a new one.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import string
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tooling.errors import DamagedStateError, UsageError

SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
SUFFIX_LENGTH = 6
# The same rule as `environment` in the environment file and in terraform/variables.tf.
ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{1,9}$")
# Modes of what the tooling writes, whatever the umask: folders and ordinary files readable by all, files
# that hold event data (the local target's databases, logs, dispatcher output, archive objects) and locks
# by their owner only. The local S3 buckets' folders are owner-only too: their keys (event sources, days)
# describe the event data, and a private folder also covers objects an older version wrote 0644.
DIR_MODE = 0o755
FILE_MODE = 0o644
PRIVATE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def shown(path: Path) -> str:
    """The path as messages show it: relative to the project when inside it."""
    try:
        return str(path.relative_to(project_root()))
    except ValueError:
        return str(path)


def damaged(path: Path, why: str, hint: str, what: str = "") -> DamagedStateError:
    """The one-line error for a state file that is not what the tooling wrote."""
    return DamagedStateError(
        f"{what + ' ' if what else ''}{shown(path)} is damaged ({why})", hint=hint, reason=why
    )


def make_dir(path: Path, mode: int = DIR_MODE) -> Path:
    """mkdir -p, each folder it creates (and `path` itself) given `mode`."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    if not current.is_dir():
        # `.tooling/<env>` or `build` being a file: mkdir would say only "File exists".
        raise DamagedStateError(
            f"{shown(current)} is a file where the tooling keeps a folder",
            hint=f"move it aside (mv {shown(current)} {shown(current)}.bak) and run the command again",
        )
    path.mkdir(parents=True, exist_ok=True)
    for folder in [*missing, path] if path not in missing else missing:
        os.chmod(folder, mode)
    return path


def write_file(path: Path, data: str | bytes, mode: int = FILE_MODE) -> Path:
    """Write the file with exactly `mode` (not the umask's idea of it), replacing what was there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data.encode("utf-8") if isinstance(data, str) else data)
    finally:
        os.close(fd)
    return path


def create_private(path: Path) -> Path:
    """Create the file (empty) owner-only if absent, and make sure an existing one is owner-only."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_MODE))
    os.chmod(path, PRIVATE_MODE)
    return path


def open_lock(path: Path) -> IO[str]:
    """Open (creating) a lock file for flock; a folder in its place is a damaged state file, not a crash."""
    try:
        return create_private(path).open("a+")  # owner-only, whatever the umask, as the files it guards
    except (IsADirectoryError, NotADirectoryError):
        raise _lock_damaged(path) from None


def check_lock(path: Path) -> None:
    """Refuse a lock path that holds something other than a file, before work that needs the lock starts."""
    if (path.exists() or path.is_symlink()) and not path.is_file():
        raise _lock_damaged(path)


def _lock_damaged(path: Path) -> DamagedStateError:
    return damaged(
        path,
        "not a file" if path.is_symlink() else "a folder, not a lock file",
        hint=f"remove it (rm -r {shown(path)}): nothing can hold a lock on it, so nothing is lost",
    )


def project_root() -> Path:
    """The project checkout: TOOLING_ROOT if set, else the nearest parent holding pyproject.toml + terraform/."""
    env = os.environ.get("TOOLING_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "terraform").is_dir() and (candidate / "pyproject.toml").is_file():
            return candidate
    # Installed elsewhere and run outside a checkout: fall back to the source tree this package came from.
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Workspace:
    root: Path
    env: str

    @classmethod
    def for_env(cls, env: str, root: Path | None = None) -> Workspace:
        # The name becomes a path (.tooling/<env>/, environments/<env>.toml): nothing path-like gets through.
        if not ENV_NAME.match(env):
            raise UsageError(
                f"environment name {env!r} is not valid: 2-10 characters, a lowercase letter, then lowercase "
                "letters, digits or '-'",
                hint="pass --env dev, or the name of a file in environments/ without .toml",
            )
        return cls(root=(root or project_root()), env=env)

    @property
    def state_dir(self) -> Path:
        return self.root / ".tooling" / self.env

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def zip_path(self) -> Path:
        return self.build_dir / "lambda.zip"

    @property
    def tfvars_path(self) -> Path:
        return self.state_dir / "terraform.tfvars.json"

    @property
    def outputs_path(self) -> Path:
        return self.state_dir / "outputs.json"

    @property
    def plan_path(self) -> Path:
        return self.state_dir / "plan.tfplan"

    @property
    def terraform_dir(self) -> Path:
        return self.root / "terraform"

    @property
    def lambda_src(self) -> Path:
        return self.root / "lambda_src"

    @property
    def default_config(self) -> Path:
        return self.root / "environments" / f"{self.env}.toml"

    def ensure(self) -> Path:
        return make_dir(self.state_dir)

    @property
    def suffix_path(self) -> Path:
        return self.state_dir / "suffix"

    def local_recovery(self) -> str:
        """The command line that rebuilds the local target's state from the environment file."""
        return f"tooling destroy --env {self.env} --target local -y && tooling apply --env {self.env} --target local"

    def name_suffix(self) -> str:
        """The environment's stable 6-character suffix, created on first use and never again."""
        recorded = self.recorded_suffix()
        if recorded is not None:
            return recorded
        self.ensure()
        value = _random_suffix()
        tmp = self.state_dir / f".suffix.{os.getpid()}.tmp"
        write_file(tmp, value + "\n")
        try:
            # A hard link never replaces: when another command created the suffix meanwhile, its one stands.
            os.link(tmp, self.suffix_path)
        except FileExistsError:
            return self.name_suffix()
        finally:
            tmp.unlink(missing_ok=True)
        return value

    def recorded_suffix(self) -> str | None:
        """The suffix in .tooling/<env>/suffix; None when there is none yet; a damaged one is an error."""
        path = self.suffix_path
        if not (path.exists() or path.is_symlink()):
            return None
        try:
            raw = path.read_bytes()
        except IsADirectoryError:
            raise self._suffix_damaged("a folder, not a file") from None
        except FileNotFoundError:
            raise self._suffix_damaged("a link to a file that does not exist") from None
        try:
            value = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise self._suffix_damaged("not UTF-8 text") from None
        if not value:
            raise self._suffix_damaged("empty")
        if len(value) != SUFFIX_LENGTH or any(c not in SUFFIX_ALPHABET for c in value):
            shown_value = value if len(value) <= 20 else value[:20] + "..."
            raise self._suffix_damaged(
                f"holds {shown_value!r}, not {SUFFIX_LENGTH} lowercase letters or digits"
            )
        return value

    def replace_suffix(self) -> tuple[str | None, str]:
        """Write a new random suffix in place of the current one (damaged or not): `apply --new-suffix`.
        Returns (the old suffix or None, the new one)."""
        try:
            old = self.recorded_suffix()
        except DamagedStateError:
            old = None
        self.ensure()
        new = _random_suffix()
        while new == old:
            new = _random_suffix()
        tmp = self.state_dir / f".suffix.{os.getpid()}.tmp"
        write_file(tmp, new + "\n")
        try:
            os.replace(tmp, self.suffix_path)  # whole or not at all: a crash never leaves it empty
        finally:
            tmp.unlink(missing_ok=True)
        return old, new

    def _suffix_damaged(self, why: str) -> DamagedStateError:
        path = shown(self.suffix_path)
        previous = self._suffix_in_tfvars()
        restore = (
            f"write back the suffix the last tfvars were written with: echo {previous} > {path}"
            if previous
            else f"write the old suffix back into {path} (the 6 characters after the environment in every "
            "deployed name)"
        )
        if self.suffix_path.is_dir():
            restore = f"rm -r {path}, then {restore}"
        return damaged(
            self.suffix_path,
            why,
            hint=f"{restore}, or choose a new one with `tooling apply --env {self.env} --new-suffix` (on AWS a "
            "new suffix replaces every named resource, tables and queues with their data)",
            what="the resource-name suffix",
        )

    def _suffix_in_tfvars(self) -> str | None:
        """The suffix the last tfvars were written with, if they are readable: the way back to it."""
        try:
            value = json.loads(self.tfvars_path.read_bytes()).get("name_suffix")
        except (OSError, ValueError, AttributeError):
            return None
        valid = isinstance(value, str) and len(value) == SUFFIX_LENGTH
        return value if valid and all(c in SUFFIX_ALPHABET for c in value) else None


def _random_suffix() -> str:
    return "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
