"""The S3 event archive on AWS: list_objects_v2 (paginated) and get_object on the archive bucket."""

from __future__ import annotations

from typing import Any

from tooling import clients
from tooling.errors import ToolingError
from tooling.observe.s3_archive import S3ArchiveObject


class AwsS3ArchiveSource:
    def __init__(self, bucket: str, region: str, s3: Any | None = None) -> None:
        self.bucket = bucket
        self._s3 = s3 if s3 is not None else clients.client("s3", region)

    def list_objects(self, prefix: str) -> list[S3ArchiveObject]:
        out: list[S3ArchiveObject] = []
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            out += [
                S3ArchiveObject(key=o["Key"], size=int(o["Size"]), last_modified=o["LastModified"])
                for o in page.get("Contents", [])
            ]
        return out

    def get_object(self, key: str) -> bytes:
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key)
        except self._s3.exceptions.NoSuchKey:
            raise ToolingError(
                f"no object {key} in {self.bucket}", hint="list the keys with `tooling s3-archive ls`"
            ) from None
        body: bytes = response["Body"].read()
        return body
