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
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return self.state_dir

    def name_suffix(self) -> str:
        """The environment's stable 6-character suffix, created on first use."""
        path = self.state_dir / "suffix"
        if path.is_file():
            value = path.read_text().strip()
            if len(value) == SUFFIX_LENGTH and all(c in SUFFIX_ALPHABET for c in value):
                return value
        self.ensure()
        value = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
        path.write_text(value + "\n")
        return value
