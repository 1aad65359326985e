"""The S3 event archive on the local target: the bucket folder `.tooling/<env>/s3/<bucket>/`.

Before it is read, the stream's buffers that are due are delivered (what Firehose would have written by
now); records still inside their buffer interval stay buffered and are counted (`buffered_records`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tooling.errors import ToolingError
from tooling.local import firehose
from tooling.local.store import Store
from tooling.observe.event_archive import ArchiveObject
from tooling.workspace import Workspace


class LocalArchiveSource:
    def __init__(self, workspace: Workspace, store: Store, bucket: str) -> None:
        self.bucket = bucket
        self.store = store
        self.folder = firehose.bucket_root(workspace) / bucket
        if not self.folder.is_dir():
            raise ToolingError(
                f"the local target has no bucket {bucket}", hint="apply again: tooling apply --target local"
            )
        self.delivered = firehose.flush(store, workspace)

    @property
    def buffered_records(self) -> int:
        return self.delivered.still_buffered

    def list_objects(self, prefix: str) -> list[ArchiveObject]:
        out = []
        for path in sorted(self.folder.rglob("*")):
            if not path.is_file() or path.name.startswith("."):  # .tmp files of a write in progress
                continue
            key = path.relative_to(self.folder).as_posix()
            if key.startswith(prefix):
                stat = path.stat()
                out.append(
                    ArchiveObject(
                        key=key, size=stat.st_size, last_modified=datetime.fromtimestamp(stat.st_mtime, UTC)
                    )
                )
        return sorted(out, key=lambda o: o.key)

    def get_object(self, key: str) -> bytes:
        path = self.folder / key
        # A key is a path inside the bucket folder, never outside it.
        if ".." in Path(key).parts or not path.is_file():
            raise ToolingError(
                f"no object {key} in {self.bucket}", hint="list the keys with `tooling archive ls`"
            )
        return path.read_bytes()

    def close(self) -> None:
        self.store.close()
