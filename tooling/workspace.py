"""Where per-environment state lives: `.tooling/<env>/` (git-ignored) and `build/`.

The random resource-name suffix is generated once per environment and kept here, so repeated applies never
rename anything.
"""

from __future__ import annotations

import os
import re
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from tooling.errors import UsageError

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


def make_dir(path: Path, mode: int = DIR_MODE) -> Path:
    """mkdir -p, each folder it creates (and `path` itself) given `mode`."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
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

    def name_suffix(self) -> str:
        """The environment's stable 6-character suffix, created on first use."""
        path = self.state_dir / "suffix"
        if path.is_file():
            value = path.read_text().strip()
            if len(value) == SUFFIX_LENGTH and all(c in SUFFIX_ALPHABET for c in value):
                return value
        self.ensure()
        value = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
        write_file(path, value + "\n")
        return value
