"""The routing tables a diff compares: an environment file, or the same file as a git ref holds it.

The file at a ref is read with `git show <ref>:<path>`, never by checking anything out: the working tree,
the index and HEAD stay as they are. It is validated by this checkout's config rules, so a base that the
current code would refuse is reported as such (exit 2) rather than diffed half-read.
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from tooling.config import Config, load_config, parse_config
from tooling.errors import ConfigError, UsageError

GIT_TIMEOUT_SECONDS = 60


def config_file(path: Path) -> Config:
    return load_config(path)


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT_SECONDS, check=False
        )
    except FileNotFoundError:
        raise UsageError(
            "--base needs git, which is not on PATH", hint="install git, or pass --before FILE"
        ) from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"git {' '.join(args)} did not answer within {GIT_TIMEOUT_SECONDS} s") from None


def _first_line(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "(no message)"


def config_at_ref(path: Path, ref: str) -> tuple[Config, str]:
    """The environment file `path` as it is at git `ref`, validated; and its name for the report."""
    if not ref or ref.startswith("-"):
        raise UsageError(f"--base {ref!r} is not a git revision", hint="e.g. --base main or --base HEAD~1")
    folder = path.resolve().parent
    if not folder.is_dir():
        raise UsageError(f"{path}: its folder does not exist", hint="pass --config with an existing file")
    top = _git(["rev-parse", "--show-toplevel"], folder)
    if top.returncode != 0:
        raise UsageError(
            f"{path} is not inside a git repository, so --base {ref} has nothing to read",
            hint="compare two files instead: --before OLD.toml (and --after NEW.toml)",
        )
    root = Path(top.stdout.decode().strip())
    relative = path.resolve().relative_to(root.resolve()).as_posix()
    commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if commit.returncode != 0:
        raise UsageError(
            f"--base {ref}: no such commit, branch or tag in {root}",
            hint="fetch it first (git fetch origin main) or name an existing one (git branch -a)",
        )
    shown = _git(["show", f"{ref}:{relative}"], root)
    if shown.returncode != 0:
        raise UsageError(
            f"{relative} does not exist at {ref} ({_first_line(shown.stderr)})",
            hint="a new environment file has no base to compare with; use --before FILE to name one",
        )
    origin = f"{relative} at {ref}"
    try:
        text = shown.stdout.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise UsageError(f"{origin} is not UTF-8 text", hint="compare against another ref") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(origin, [f"(toml): {exc}"]) from None
    return parse_config(data, source=origin), origin
