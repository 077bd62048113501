"""An output store in S3 or any S3-compatible service (MinIO, Ceph RGW, R2, ...), via boto3.

boto3 is the optional extra `flux-orchestrator[s3]` and is imported only when an S3 store is
configured. Its client is synchronous and thread-safe: asynchronous calls run it in a thread.
Blobs are named `<prefix><first two hex digits>/<sha256>`, the layout of the local
directory store, so a directory can be copied to a bucket as it is.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any
from urllib.parse import urlparse

from flux.codec.references import is_digest
from flux.errors import ConfigurationError
from flux.outputs.blobs import BlobInfo, BlobStore

_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` as (bucket, "some/prefix/")."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ConfigurationError(f"outputs.s3_url must look like s3://bucket/prefix, not {url!r}")
    prefix = parsed.path.strip("/")
    return parsed.netloc, f"{prefix}/" if prefix else ""


class S3BlobStore(BlobStore):
    kind = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        refresh_after: float = 1800.0,
    ):
        self.bucket, self.prefix = bucket, prefix
        self._options: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "region_name": region,
            "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret_access_key,
        }
        # A blob found older than this is written again: S3 has no cheap "touch", and a
        # rewrite is what keeps pruning from taking a blob a new reference is about to use.
        self._refresh_after = refresh_after
        self._client_lock = threading.Lock()
        self._s3: Any = None

    def _client(self) -> Any:
        if self._s3 is None:
            with self._client_lock:
                if self._s3 is None:
                    self._s3 = self._new_client()
        return self._s3

    def _new_client(self) -> Any:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:
            raise ConfigurationError(
                "outputs.s3_url is set but boto3 is not installed: "
                "pip install 'flux-orchestrator[s3]'"
            ) from exc
        options = {k: v for k, v in self._options.items() if v is not None}
        config = Config(retries={"max_attempts": 5, "mode": "standard"})
        return boto3.session.Session().client("s3", config=config, **options)

    def key(self, digest: str) -> str:
        if not is_digest(digest):
            raise ValueError(f"not a sha256 digest: {digest!r}")
        return f"{self.prefix}{digest[:2]}/{digest}"

    def _head(self, digest: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            head: dict[str, Any] = self._client().head_object(
                Bucket=self.bucket, Key=self.key(digest)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        return head

    def put_sync(self, digest: str, data: bytes) -> None:
        head = self._head(digest)
        if head is not None and time.time() - head["LastModified"].timestamp() < (
            self._refresh_after
        ):
            return
        self._client().put_object(Bucket=self.bucket, Key=self.key(digest), Body=data)

    def get_sync(self, digest: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            answer = self._client().get_object(Bucket=self.bucket, Key=self.key(digest))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        body: bytes = answer["Body"].read()
        return body

    async def put(self, digest: str, data: bytes) -> None:
        await asyncio.to_thread(self.put_sync, digest, data)

    async def get(self, digest: str) -> bytes | None:
        return await asyncio.to_thread(self.get_sync, digest)

    async def list_blobs(self) -> list[BlobInfo]:
        return await asyncio.to_thread(self._list)

    def _list(self) -> list[BlobInfo]:
        found: list[BlobInfo] = []
        pages = self._client().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = str(item["Key"]).rpartition("/")[2]
                if is_digest(name) and item["Key"] == self.key(name):
                    found.append(
                        BlobInfo(name, int(item["Size"]), item["LastModified"].timestamp())
                    )
        return found

    async def delete(self, digest: str, *, unless_newer_than: float) -> bool:
        return await asyncio.to_thread(self._delete, digest, unless_newer_than)

    def _delete(self, digest: str, unless_newer_than: float) -> bool:
        head = self._head(digest)
        if head is None or head["LastModified"].timestamp() >= unless_newer_than:
            return False
        self._client().delete_object(Bucket=self.bucket, Key=self.key(digest))
        return True

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"
