"""The S3 event archive on the local target: the bucket folder `.tooling/<env>/s3/<bucket>/`.

Before it is read, the stream's buffers that are due are delivered (what Firehose would have written by
now); records still inside their buffer interval stay buffered and are counted (`buffered_records`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from tooling.errors import ToolingError
from tooling.local import firehose
from tooling.local.bucket import bucket_folder, iter_objects, object_path
from tooling.local.store import Store
from tooling.observe.s3_archive import S3ArchiveObject
from tooling.workspace import Workspace


class LocalS3ArchiveSource:
    def __init__(self, workspace: Workspace, store: Store, bucket: str) -> None:
        self.bucket = bucket
        self.store = store
        # Checked before anything is read: a bucket name from outputs.json never leads outside the s3/ folder.
        self.folder = bucket_folder(workspace, bucket)
        if not self.folder.is_dir():
            raise ToolingError(
                f"the local target has no bucket {bucket}", hint="apply again: tooling apply --target local"
            )
        self.delivered = firehose.flush(store, workspace)

    @property
    def buffered_records(self) -> int:
        return self.delivered.still_buffered

    def list_objects(self, prefix: str) -> list[S3ArchiveObject]:
        out = [
            S3ArchiveObject(
                key=key, size=info.st_size, last_modified=datetime.fromtimestamp(info.st_mtime, UTC)
            )
            for key, info in iter_objects(self.folder)
            if key.startswith(prefix)
        ]
        return sorted(out, key=lambda o: o.key)

    def get_object(self, key: str) -> bytes:
        # A key is a path inside the bucket folder, never outside it (UsageError, exit 2, otherwise).
        path = object_path(self.folder, self.bucket, key)
        if not path.is_file():
            raise ToolingError(
                f"no object {key} in {self.bucket}", hint="list the keys with `tooling s3-archive ls`"
            )
        return path.read_bytes()

    def close(self) -> None:
        self.store.close()
