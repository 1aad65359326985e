"""`tooling doctor`: the environment's own files checked one by one, each OK or DAMAGED with its way back.

This module checks what the deployment pipeline writes (the suffix, terraform.tfvars.json, build/lambda.zip,
outputs.json) and the environment file they come from; tooling/local/doctor.py checks the local target's
state. Checking only reads. Repairing rebuilds what the environment file can rebuild (tfvars, the zip);
never the suffix, which names every deployed resource.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tooling.config import load_environment
from tooling.deploy.package import build_package
from tooling.errors import DamagedStateError, OutputsMissingError, ToolingError
from tooling.outputs import load_outputs
from tooling.workspace import Workspace, shown

Status = Literal["ok", "absent", "damaged"]


@dataclass(frozen=True)
class Finding:
    """One checked file: `absent` is no problem (not created yet), `damaged` comes with `fix`."""

    check: str
    path: Path
    status: Status
    detail: str = ""
    fix: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "check": self.check,
            "path": shown(self.path),
            "status": self.status,
            "detail": self.detail,
            "fix": self.fix,
        }


def _from_error(check: str, path: Path, error: ToolingError) -> Finding:
    reason = error.reason if isinstance(error, DamagedStateError) else error.message.split("\n")[0]
    return Finding(check, path, "damaged", reason, error.hint or "")


def check_folder(check: str, path: Path) -> Finding:
    """`.tooling/<env>` and `build` hold the tooling's files: a file in their place breaks every command."""
    if not (path.exists() or path.is_symlink()):
        return Finding(check, path, "absent", "nothing applied or built yet")
    if not path.is_dir():
        fix = f"move it aside (mv {shown(path)} {shown(path)}.bak)"
        return Finding(check, path, "damaged", "a file, not a folder", fix)
    return Finding(check, path, "ok")


def check_config(workspace: Workspace, config_path: Path | None) -> Finding:
    path = config_path or workspace.default_config
    try:
        config = load_environment(path, workspace.env)
    except ToolingError as exc:
        fix = f"fix it: `tooling config validate --env {workspace.env}` lists every problem"
        return Finding("environment file", path, "damaged", exc.message.split("\n")[0], fix)
    return Finding("environment file", path, "ok", f"{len(config.rules)} rules")


def check_suffix(workspace: Workspace) -> Finding:
    try:
        suffix = workspace.recorded_suffix()
    except DamagedStateError as exc:
        return _from_error("suffix", workspace.suffix_path, exc)
    if suffix is None:
        return Finding("suffix", workspace.suffix_path, "absent", "none yet: the first apply creates it")
    return Finding("suffix", workspace.suffix_path, "ok", suffix)


def check_tfvars(workspace: Workspace) -> Finding:
    path = workspace.tfvars_path
    fix = f"`tooling doctor --env {workspace.env} --repair` (or `tooling tfvars --env {workspace.env}`) writes it again"
    if not (path.exists() or path.is_symlink()):
        return Finding("tfvars", path, "absent", "not written yet")
    try:
        data = json.loads(path.read_bytes())
    except IsADirectoryError:
        return Finding(
            "tfvars", path, "damaged", "a folder, not a file", f"remove it (rm -r {shown(path)}), then {fix}"
        )
    except (OSError, ValueError) as exc:
        return Finding("tfvars", path, "damaged", f"not readable JSON ({exc})", fix)
    if not isinstance(data, dict) or not isinstance(data.get("name_suffix"), str):
        return Finding("tfvars", path, "damaged", "not the object `tooling tfvars` writes", fix)
    try:
        suffix = workspace.recorded_suffix()
    except DamagedStateError:
        suffix = None
    if suffix is not None and data["name_suffix"] != suffix:
        detail = f"written for suffix {data['name_suffix']}, the suffix file holds {suffix}"
        return Finding("tfvars", path, "damaged", detail, fix)
    return Finding("tfvars", path, "ok")


def check_zip(workspace: Workspace) -> Finding:
    path = workspace.zip_path
    fix = f"`tooling package --force` (or `tooling doctor --env {workspace.env} --repair`) builds it again"
    if not (path.exists() or path.is_symlink()):
        return Finding("lambda zip", path, "absent", "not built yet")
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
    except IsADirectoryError:
        return Finding(
            "lambda zip",
            path,
            "damaged",
            "a folder, not a file",
            f"remove it (rm -r {shown(path)}), then {fix}",
        )
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        return Finding("lambda zip", path, "damaged", f"not a readable zip ({exc})", fix)
    if broken is not None:
        return Finding("lambda zip", path, "damaged", f"{broken} fails its checksum", fix)
    return Finding("lambda zip", path, "ok")


def check_outputs(workspace: Workspace) -> Finding:
    path = workspace.outputs_path
    try:
        outputs = load_outputs(workspace)
    except OutputsMissingError:
        return Finding("outputs", path, "absent", "nothing applied yet")
    except ToolingError as exc:
        return _from_error("outputs", path, exc)
    return Finding("outputs", path, "ok", f"target {outputs.target}")


def check_deployment(workspace: Workspace, config_path: Path | None) -> list[Finding]:
    """The environment file and what the pipeline wrote from it, in the order they are made."""
    return [
        check_config(workspace, config_path),
        check_folder("state folder", workspace.state_dir),
        check_folder("build folder", workspace.build_dir),
        check_suffix(workspace),
        check_zip(workspace),
        check_tfvars(workspace),
        check_outputs(workspace),
    ]


def remove(path: Path) -> None:
    """Take away what stands where the tooling keeps one of its files (a folder, a file, a link)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def rebuild_files(workspace: Workspace, damaged: set[str]) -> list[str]:
    """Before the pipeline writes them again: the zip built afresh whatever its record says (the record may be
    what is damaged), a folder in the place of the tfvars taken away. Returns what will have been rebuilt."""
    rebuilt = []
    if "lambda zip" in damaged:
        remove(workspace.zip_path)
        build_package(workspace.lambda_src, workspace.zip_path, force=True)
        rebuilt.append("lambda zip")
    if "tfvars" in damaged:
        remove(workspace.tfvars_path)
        rebuilt.append("tfvars")
    return rebuilt
