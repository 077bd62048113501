"""Output stores from settings, and the engine's services wired to one.

Who writes where:
- local mode (`workflow.run()`): the configured store (`<home>/outputs`, or S3), or the
  workflow's own `output_storage=`;
- a worker: the server's store, over the worker protocol (`flux.worker.outputs`), whatever
  the workflow chose: workers need no disk of the server's;
- the server: the configured store, for what it writes itself and what workers upload.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from pathlib import Path

from flux.config import FluxSettings
from flux.engine.runtime import Services
from flux.engine.store import ExecutionStore
from flux.output_storage import OutputStorage
from flux.outputs.blobs import BlobStore, DirectoryBlobStore, local_directory
from flux.outputs.offload import Offloader
from flux.outputs.store import OffloadingStore

log = logging.getLogger("flux.outputs")
NEVER = sys.maxsize  # an inline limit no value reaches: references are still read
_warned: set[type[OutputStorage]] = set()


def configured_store(settings: FluxSettings) -> BlobStore:
    """The store of `outputs.*`: S3 when `s3_url` is set, else the local directory."""
    outputs = settings.outputs
    if outputs.s3_url:
        from flux.outputs.s3 import S3BlobStore, parse_s3_url

        bucket, prefix = parse_s3_url(outputs.s3_url)
        return S3BlobStore(
            bucket,
            prefix,
            endpoint_url=outputs.s3_endpoint_url,
            region=outputs.s3_region,
            access_key_id=outputs.s3_access_key_id,
            secret_access_key=outputs.s3_secret_access_key,
            refresh_after=outputs.prune_grace / 2,
        )
    return DirectoryBlobStore(local_directory(settings))


def inline_limit(settings: FluxSettings, storage: OutputStorage | None) -> int:
    if storage is not None:
        if not storage.keeps_blobs:
            return NEVER
        if storage.inline_limit is not None:
            return storage.inline_limit
        return settings.outputs.inline_limit
    return settings.outputs.inline_limit if settings.outputs.enabled else NEVER


def offloader(
    settings: FluxSettings,
    storage: OutputStorage | None = None,
    *,
    default: BlobStore | None = None,
) -> Offloader:
    """The codec's output sink for runs of a workflow with `storage` (None: no choice made),
    in this process. `default` is the configured store when the caller already built it."""
    default = default or configured_store(settings)
    limit = inline_limit(settings, storage)
    directory = storage.directory(settings) if storage is not None else None
    if storage is not None and storage.keeps_blobs and directory is None:
        _warn_custom(storage)
    if directory is None or _same_directory(default, directory):
        return Offloader(default, limit)
    own = DirectoryBlobStore(directory)
    return Offloader(own, limit, location=str(own.root), default=default)


def remote_offloader(
    settings: FluxSettings, storage: OutputStorage | None, server: BlobStore
) -> Offloader:
    """A worker's sink: everything goes to (and comes from) the server's store."""
    return Offloader(
        server,
        inline_limit(settings, storage),
        write_through=False,
        max_bytes=settings.outputs.max_upload_bytes,
    )


def server_offloader(settings: FluxSettings) -> Offloader:
    """The server's sink: the configured store, written synchronously (the server itself
    writes only inputs given to its API; workers upload through its routes)."""
    return Offloader(configured_store(settings), inline_limit(settings, None), write_through=True)


def with_outputs(services: Services, sink: Offloader) -> Services:
    """`services` whose codec keeps large values in `sink`; when the sink uploads
    asynchronously, the store is wrapped so that uploads land before the events citing them."""
    codec = services.codec.with_outputs(sink)
    store: ExecutionStore = services.store
    if not sink.write_through:
        store = OffloadingStore(store, codec, sink)
    return dataclasses.replace(services, codec=codec, store=store)


def _same_directory(store: BlobStore, directory: Path) -> bool:
    return isinstance(store, DirectoryBlobStore) and store.root == directory.expanduser().absolute()


def _warn_custom(storage: OutputStorage) -> None:
    kind = type(storage)
    if kind not in _warned:
        _warned.add(kind)
        log.warning(
            "output storage %s is a custom OutputStorage subclass, which Flux does not call: "
            "large values of its workflows go to the configured output store",
            kind.__qualname__,
        )
