"""Blob stores: where the bytes of large values live, named by their sha256.

Content addressing makes every write idempotent (the same bytes always land at the same
name, so a retried upload or two workers producing the same value cannot conflict) and lets a
reader check what it got against the digest its signed reference names.

A store answers both asynchronously (the engine's loop, the server's routes) and, where that
is cheap or unavoidable, synchronously (a codec decodes inside synchronous code).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from flux.codec.references import is_digest
from flux.config import FluxSettings


@dataclass(frozen=True, slots=True)
class BlobInfo:
    digest: str
    size: int
    modified: float  # seconds since the epoch: when the blob was last written (or touched)


class BlobStore(ABC):
    kind: str = "blobs"
    # True when synchronous access is local I/O cheap enough for the event loop's thread.
    local = False

    def put_sync(self, digest: str, data: bytes) -> None:
        raise NotImplementedError(f"{self.describe()} is only reached asynchronously")

    def get_sync(self, digest: str) -> bytes | None:
        raise NotImplementedError(f"{self.describe()} is only reached asynchronously")

    @abstractmethod
    async def put(self, digest: str, data: bytes) -> None:
        """Keep `data` under `digest`; a blob already there is kept and marked fresh, so that
        pruning (which spares recent blobs) cannot take it while a new reference is written."""

    @abstractmethod
    async def get(self, digest: str) -> bytes | None: ...

    async def list_blobs(self) -> list[BlobInfo]:
        raise NotImplementedError(f"{self.describe()} cannot be listed")

    async def delete(self, digest: str, *, unless_newer_than: float) -> bool:
        """Delete the blob unless it was written or touched at or after `unless_newer_than`
        (checked right before deleting); whether it was deleted."""
        raise NotImplementedError(f"{self.describe()} cannot delete")

    @abstractmethod
    def describe(self) -> str: ...


def local_directory(settings: FluxSettings) -> Path:
    """Where large outputs are kept without S3: `outputs.path`, else `<home>/outputs`."""
    configured = settings.outputs.path
    return Path(configured) if configured else Path(settings.home) / "outputs"


class DirectoryBlobStore(BlobStore):
    """Blobs as files `<root>/<first two hex digits>/<sha256>`, written to a temporary name,
    flushed to disk and renamed, so that a reader never sees half a blob and a blob is durable
    before the event that references it is committed."""

    kind = "local"
    local = True

    def __init__(self, root: Path | str):
        self.root = Path(root).expanduser().absolute()

    def path(self, digest: str) -> Path:
        if not is_digest(digest):
            raise ValueError(f"not a sha256 digest: {digest!r}")
        return self.root / digest[:2] / digest

    def put_sync(self, digest: str, data: bytes) -> None:
        path = self.path(digest)
        if path.exists():
            with contextlib.suppress(FileNotFoundError):
                os.utime(path)
                return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{digest}.{secrets.token_hex(4)}.tmp")
        try:
            with temporary.open("wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _sync_directory(path.parent)

    def get_sync(self, digest: str) -> bytes | None:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            return None

    async def put(self, digest: str, data: bytes) -> None:
        # Off the loop: a large write and its fsync would stall every run sharing it.
        await asyncio.to_thread(self.put_sync, digest, data)

    async def get(self, digest: str) -> bytes | None:
        return await asyncio.to_thread(self.get_sync, digest)

    async def list_blobs(self) -> list[BlobInfo]:
        return await asyncio.to_thread(self._list)

    def _list(self) -> list[BlobInfo]:
        found: list[BlobInfo] = []
        if not self.root.is_dir():
            return found
        for folder in self.root.iterdir():
            if len(folder.name) != 2 or not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                if is_digest(entry.name) and entry.is_file():
                    stat = entry.stat()
                    found.append(BlobInfo(entry.name, stat.st_size, stat.st_mtime))
        return found

    async def delete(self, digest: str, *, unless_newer_than: float) -> bool:
        return await asyncio.to_thread(self._delete, digest, unless_newer_than)

    def _delete(self, digest: str, unless_newer_than: float) -> bool:
        path = self.path(digest)
        try:
            if path.stat().st_mtime >= unless_newer_than:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def describe(self) -> str:
        return f"the output directory {self.root}"


def _sync_directory(path: Path) -> None:
    # The rename is durable only once the directory entry is; not every platform allows it.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
