"""Where the local S3 buckets may point: a bucket is the folder `.tooling/<env>/s3/<bucket>/` and an object
key a relative path inside it, never anything outside.

A bucket name or a key comes from outputs.json, the command line or a listing, so each is checked before
it becomes a path: a key that is absolute or has an empty, `.` or `..` segment is refused, every folder
and file from `s3/` down to the object must be a real one (a symbolic link is refused, not followed), and
the resolved path must still lie inside the bucket folder. Listing walks the folder without following
links and yields regular files only.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from tooling.errors import UsageError
from tooling.workspace import Workspace

_KEY_HINT = "use a key as `tooling s3-archive ls` prints it (relative, no '.' or '..' segments)"


def bucket_root(workspace: Workspace) -> Path:
    """`.tooling/<env>/s3/`: one folder per bucket."""
    return workspace.state_dir / "s3"


def _refuse_link(path: Path, what: str) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise UsageError(
            f"{what} {path} is a symbolic link; the local target reads no object through a link",
            hint="remove the link (the local buckets are plain folders under .tooling/<env>/s3/)",
        )


def bucket_folder(workspace: Workspace, bucket: str) -> Path:
    """The bucket's folder, checked: a plain name, no link on the way, inside `.tooling/<env>/s3/`."""
    root = bucket_root(workspace)
    if not bucket or bucket in (".", "..") or "/" in bucket or "\0" in bucket:
        raise UsageError(
            f"bucket name {bucket!r} cannot be a folder inside {root}",
            hint="restore outputs.json: tooling apply --target local",
        )
    folder = root / bucket
    _refuse_link(root, "the buckets' folder")
    _refuse_link(folder, f"the folder of bucket {bucket}")
    if not folder.resolve().is_relative_to(root.resolve()):
        raise UsageError(f"bucket {bucket} resolves outside {root}", hint="restore .tooling/<env>/s3/")
    return folder


def object_path(folder: Path, bucket: str, key: str) -> Path:
    """The file of `key` in the bucket folder; a UsageError for a key that could point anywhere else."""
    parts = key.split("/")
    problem = None
    if not key:
        problem = "it is empty"
    elif "\0" in key:
        problem = "it holds a NUL character"
    elif key.startswith("/"):
        problem = "it is absolute"
    elif any(part in ("", ".", "..") for part in parts):
        problem = "it has an empty, '.' or '..' segment"
    if problem is not None:
        raise UsageError(f"key {key!r} cannot name an object of bucket {bucket}: {problem}", hint=_KEY_HINT)
    path = folder
    for part in parts:
        path = path / part
        _refuse_link(path, f"key {key!r}: the path")
    if not path.resolve().is_relative_to(folder.resolve()):
        raise UsageError(f"key {key!r} resolves outside bucket {bucket}", hint=_KEY_HINT)
    return path


def iter_objects(folder: Path) -> Iterator[tuple[str, os.stat_result]]:
    """(key, stat) of every object: regular files under the folder, links neither followed nor listed,
    dot files (a write in progress) left out."""
    for top, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(top) / name
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode):
                yield path.relative_to(folder).as_posix(), info
