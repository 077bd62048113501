"""`Offloader`: the codec's output sink (`flux.codec.references.OutputSink`) over a blob store.

Two ways to write, chosen by where the store is:
- write-through (a local directory; the server, whose own writes are rare API inputs): the
  blob is written inside `Codec.dumps`, so it is durable before the event that references it
  is even queued;
- staged (the worker's server store, S3 from local mode): `dumps` only keeps the bytes in
  memory, and `OffloadingStore` uploads them (`flush`) before the write that references them,
  so the upload never blocks the event loop and parallel steps upload concurrently.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Collection
from pathlib import Path

from flux.codec.references import OutputRef
from flux.errors import OutputMissingError, OutputStoreError
from flux.outputs.blobs import BlobStore, DirectoryBlobStore

_directories: dict[str, DirectoryBlobStore] = {}


def directory_store(path: str) -> DirectoryBlobStore:
    """The store of a directory a reference names (a workflow's own `LocalFileStorage`)."""
    store = _directories.get(path)
    if store is None:
        store = _directories[path] = DirectoryBlobStore(Path(path))
    return store


class _Recent:
    """The blobs read last, up to a byte budget: a server shows the same large value to a
    sync answer, then to the client that asks again, without fetching it twice."""

    def __init__(self, budget: int):
        self._budget, self._used = budget, 0
        self._items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, digest: str) -> bytes | None:
        data = self._items.get(digest)
        if data is not None:
            self._items.move_to_end(digest)
        return data

    def put(self, digest: str, data: bytes) -> None:
        if len(data) > self._budget or digest in self._items:
            return
        self._items[digest] = data
        self._used += len(data)
        while self._used > self._budget:
            _, dropped = self._items.popitem(last=False)
            self._used -= len(dropped)


class Offloader:
    def __init__(
        self,
        store: BlobStore,
        inline_limit: int,
        *,
        location: str | None = None,
        default: BlobStore | None = None,
        write_through: bool | None = None,
        cache_bytes: int = 64 * 1024 * 1024,
        max_bytes: int | None = None,
    ):
        self.store = store
        # Refused while the step still runs (so the step fails, saying why) rather than
        # by the store at checkpoint time.
        self.max_bytes = max_bytes
        self._inline_limit = inline_limit
        # What references record: None for the configured store, a directory for a
        # workflow's own one; references to the configured store are then read from `default`.
        self.location = location
        self.default = store if location is None else default
        self.write_through = store.local if write_through is None else write_through
        # Staged blobs stay here until their upload succeeded, so a failed upload is retried
        # by the next write that needs it.
        self.staged: dict[str, bytes] = {}
        self.inflight: dict[str, asyncio.Future[None]] = {}
        self._recent = _Recent(cache_bytes)

    @property
    def inline_limit(self) -> int:
        return self._inline_limit

    def keep(self, digest: str, data: bytes) -> str | None:
        if self.max_bytes is not None and len(data) > self.max_bytes:
            raise OutputStoreError(
                f"a value of {len(data)} bytes is over the output store's limit "
                f"(outputs.max_upload_bytes = {self.max_bytes})"
            )
        if self.write_through:
            self.store.put_sync(digest, data)
        else:
            self.staged.setdefault(digest, data)
        return self.location

    def read(self, ref: OutputRef) -> bytes:
        store = self._store_at(ref)
        if store is self.store:
            data = self.staged.get(ref.digest)
            if data is not None:
                return data
        data = self._recent.get(ref.digest) if not store.local else None
        if data is not None:
            return data
        try:
            data = store.get_sync(ref.digest)
        except NotImplementedError:
            raise OutputMissingError(
                ref.digest, f"{store.describe()} must be read before the value is decoded"
            ) from None
        if data is None:
            raise OutputMissingError(ref.digest, f"not in {store.describe()}")
        if not store.local:
            self._recent.put(ref.digest, data)
        return data

    async def fetch(self, ref: OutputRef) -> bytes:
        store = self._store_at(ref)
        if store is self.store:
            data = self.staged.get(ref.digest)
            if data is not None:
                return data
        data = await store.get(ref.digest)
        if data is None:
            raise OutputMissingError(ref.digest, f"not in {store.describe()}")
        return data

    async def flush(self, needed: Collection[str] | None = None) -> None:
        """Start uploading every staged blob; return once those in `needed` (all, if None)
        are stored. Raises what an upload of a needed blob raised."""
        for digest, data in self.staged.items():
            if digest not in self.inflight:
                upload = asyncio.ensure_future(self._upload(digest, data))
                # A failure nobody waits for is retried by the next flush; not an error here.
                upload.add_done_callback(lambda done: done.cancelled() or done.exception())
                self.inflight[digest] = upload
        waits = [f for d, f in self.inflight.items() if needed is None or d in needed]
        if waits:
            # Shielded: a run cancelled while waiting must not cancel an upload another
            # run's checkpoint also waits for.
            await asyncio.gather(*(asyncio.shield(f) for f in waits))

    async def _upload(self, digest: str, data: bytes) -> None:
        try:
            await self.store.put(digest, data)
        finally:
            self.inflight.pop(digest, None)
        self.staged.pop(digest, None)

    def _store_at(self, ref: OutputRef) -> BlobStore:
        if ref.location == self.location:
            return self.store
        if ref.location is None:
            if self.default is None:
                raise OutputMissingError(ref.digest, "no output store is configured here")
            return self.default
        return directory_store(ref.location)
