"""Deleting output blobs no stored execution references anymore.

A blob becomes unreferenced when retention deletes the executions (and cache entries) that
pointed at it. Pruning reads every reference in the database, lists the store, and deletes
what nothing references and was not written or touched in the last `outputs.prune_grace`
seconds: a blob is stored before the event that references it is committed, and a store
marks a blob fresh when it is written again, so the grace covers writes in flight.
The age is checked again right before each delete.

One output store serves one database: pruning a store shared by two deployments would take
the other's blobs.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass

from flux.codec.references import peek
from flux.outputs.blobs import BlobStore
from flux.outputs.offload import directory_store
from flux.storage.output_refs import referenced_values


@dataclass(slots=True)
class OutputsPruned:
    deleted: int = 0  # blobs deleted (or, in a dry run, that would be)
    bytes: int = 0
    recent: int = 0  # unreferenced, but younger than the grace: kept for now
    referenced: int = 0


async def prune_outputs(
    database_url: str,
    store: BlobStore,
    *,
    grace: float,
    dry_run: bool = False,
    now: float | None = None,
) -> OutputsPruned:
    """Prune `store` (the configured one) and the workflows' own directories that stored
    values still reference."""
    values = await asyncio.to_thread(referenced_values, database_url)
    wanted: dict[str | None, set[str]] = defaultdict(set)
    for value in values:
        ref = peek(value)
        if ref is not None:
            wanted[ref.location].add(ref.digest)
    cutoff = (time.time() if now is None else now) - grace
    report = OutputsPruned()
    await _prune(store, wanted.get(None, set()), cutoff, dry_run, report)
    for location, digests in wanted.items():
        if location is not None:
            await _prune(directory_store(location), digests, cutoff, dry_run, report)
    return report


async def _prune(
    store: BlobStore, keep: set[str], cutoff: float, dry_run: bool, report: OutputsPruned
) -> None:
    for blob in await store.list_blobs():
        if blob.digest in keep:
            report.referenced += 1
        elif blob.modified >= cutoff:
            report.recent += 1
        elif dry_run or await store.delete(blob.digest, unless_newer_than=cutoff):
            report.deleted += 1
            report.bytes += blob.size
