"""Make hashicorp/aws installable for `terraform init` without the registry.

Terraform's own rules come first: a CLI config named by TF_CLI_CONFIG_FILE (or ~/.terraformrc) that exists
is used as it is, and so are the implied local mirror directories. Only when none of that can supply the
provider and the registry is unreachable does the harness write a CLI config of its own, pointing at a
filesystem mirror given by TOOLING_TF_PROVIDER_MIRROR or found in the usual places.
"""

from __future__ import annotations

import json
import os
import platform
import socket
from pathlib import Path

from tooling.errors import UnavailableError

MIRROR_ENV = "TOOLING_TF_PROVIDER_MIRROR"
PROVIDER = "registry.terraform.io/hashicorp/aws"
REGISTRY_HOST = "registry.terraform.io"


def platform_dir() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def mirror_versions(root: Path) -> list[str]:
    """Versions of hashicorp/aws unpacked under a filesystem-mirror root for this platform."""
    base = root / PROVIDER
    if not base.is_dir():
        return []
    return sorted(
        (v.name for v in base.iterdir() if any((v / platform_dir()).glob("terraform-provider-aws_*"))),
        key=lambda v: tuple(int(p) if p.isdigit() else 0 for p in v.split(".")),
    )


def _implied_mirrors() -> list[Path]:
    """Terraform's implied local mirror directories on Unix (it searches them without any config)."""
    home = Path.home()
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    dirs = [home / ".terraform.d" / "plugins", data / "terraform" / "plugins"]
    for entry in (os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":"):
        dirs.append(Path(entry) / "terraform" / "plugins")
    return dirs


def _candidate_mirrors() -> list[Path]:
    """Where machine images put provider mirrors that Terraform does not search by itself: a folder
    directly under /opt or /usr/local/share holding registry.terraform.io/."""
    found: list[Path] = []
    for parent in (Path("/opt"), Path("/usr/local/share")):
        try:
            found += sorted(d for d in parent.iterdir() if (d / PROVIDER).is_dir())
        except OSError:
            continue
    return found


def registry_reachable(timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((REGISTRY_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def cli_config_env(workdir: Path) -> tuple[dict[str, str], str]:
    """Environment additions for terraform, and one line saying where the provider comes from."""
    configured = os.environ.get("TF_CLI_CONFIG_FILE")
    if configured and Path(configured).is_file():
        return {}, f"the CLI config {configured} (TF_CLI_CONFIG_FILE)"
    if not configured and (Path.home() / ".terraformrc").is_file():
        return {}, "the CLI config ~/.terraformrc"
    explicit = os.environ.get(MIRROR_ENV)
    if explicit:
        if not mirror_versions(Path(explicit)):
            raise UnavailableError(
                f"{MIRROR_ENV}={explicit} holds no {PROVIDER} provider for {platform_dir()}",
                hint=f"point it at the directory that contains {PROVIDER}/<version>/{platform_dir()}/",
            )
        return _write_config(workdir, Path(explicit))
    for implied in _implied_mirrors():
        if mirror_versions(implied):
            return {}, f"Terraform's implied local mirror {implied}"
    if registry_reachable():
        return {}, REGISTRY_HOST
    for mirror in _candidate_mirrors():
        if mirror_versions(mirror):
            return _write_config(workdir, mirror)
    raise UnavailableError(
        f"no {PROVIDER} provider reachable: {REGISTRY_HOST} cannot be reached and no filesystem mirror "
        "was found",
        hint=f"set {MIRROR_ENV} to a filesystem mirror (terraform providers mirror DIR makes one), "
        "or TF_CLI_CONFIG_FILE to a CLI config with a provider_installation block",
    )


def _write_config(workdir: Path, mirror: Path) -> tuple[dict[str, str], str]:
    """A CLI config that installs hashicorp/aws from `mirror` only (a JSON string quotes the path)."""
    path = workdir / "terraform.rc"
    path.write_text(
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = {json.dumps(str(mirror))}\n"
        f'    include = ["{PROVIDER}"]\n  }}\n'
        f'  direct {{\n    exclude = ["{PROVIDER}"]\n  }}\n'
        "}\n"
    )
    versions = ", ".join(mirror_versions(mirror))
    return {"TF_CLI_CONFIG_FILE": str(path)}, f"the filesystem mirror {mirror} ({versions})"
