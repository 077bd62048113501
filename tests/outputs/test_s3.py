"""The S3 output store against a real S3-compatible server over HTTP (moto's `moto_server` on
loopback, not an in-process mock): the store itself, local mode, pruning, and a server with
its worker."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

import pytest

from flux import ExecutionContext, task, workflow
from flux.codec.references import digest_of, peek
from flux.config import Configuration
from flux.outputs.prune import prune_outputs
from flux.outputs.s3 import S3BlobStore, parse_s3_url
from flux.outputs.setup import configured_store

from .s3server import S3Server

pytestmark = pytest.mark.slow


def store_for(server: S3Server, prefix: str) -> S3BlobStore:
    return S3BlobStore(
        server.bucket,
        prefix,
        endpoint_url=server.endpoint,
        region=server.region,
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,
    )


def test_parse_s3_url() -> None:
    assert parse_s3_url("s3://bucket") == ("bucket", "")
    assert parse_s3_url("s3://bucket/a/b/") == ("bucket", "a/b/")


async def test_the_store_puts_gets_lists_and_deletes(s3_server: S3Server) -> None:
    store = store_for(s3_server, "unit/")
    data = uuid.uuid4().bytes * 100_000
    digest = digest_of(data)
    await store.put(digest, data)
    await store.put(digest, data)  # idempotent
    assert await store.get(digest) == data
    assert await store.get("0" * 64) is None
    (info,) = await store.list_blobs()
    assert (info.digest, info.size) == (digest, len(data))
    assert s3_server.keys("unit/") == [f"unit/{digest[:2]}/{digest}"]
    assert not await store.delete(digest, unless_newer_than=0)  # too recent
    assert await store.delete(digest, unless_newer_than=info.modified + 1)
    assert await store.list_blobs() == []


@task
async def report(marker: str) -> str:
    return marker * 40_000


@workflow
async def s3_report(ctx: ExecutionContext[str]) -> int:
    return len(await report(ctx.input))


def test_local_mode_keeps_large_outputs_in_s3(
    s3_server: S3Server, flux_config: Configuration, tmp_path: Path
) -> None:
    prefix = f"local-{uuid.uuid4().hex[:8]}/"
    flux_config.override(outputs=s3_server.settings(prefix))
    marker = uuid.uuid4().hex
    ctx = s3_report.run(marker)
    assert ctx.output == 32 * 40_000
    (key,) = s3_server.keys(prefix)
    assert key.startswith(prefix)
    with sqlite3.connect(tmp_path / "flux.db") as db:
        (value,) = db.execute(
            "SELECT value FROM events WHERE execution_id = ? AND type = 'TASK_COMPLETED'",
            (ctx.execution_id,),
        ).fetchone()
    ref = peek(value)
    assert ref is not None and key == f"{prefix}{ref.digest[:2]}/{ref.digest}"
    assert not (tmp_path / ".flux" / "outputs").exists()

    recorded = s3_report.get(ctx.execution_id)  # fetched back from S3 to decode
    assert any(e.value == marker * 40_000 for e in recorded.events)

    # Pruning: nothing while the execution exists; its blob once it is gone.
    settings = flux_config.settings
    store = configured_store(settings)
    kept = asyncio.run(prune_outputs(settings.database_url, store, grace=0))
    assert (kept.deleted, kept.referenced) == (0, 1)
    with sqlite3.connect(tmp_path / "flux.db") as db:
        db.execute("DELETE FROM events WHERE execution_id = ?", (ctx.execution_id,))
        db.execute("DELETE FROM executions WHERE execution_id = ?", (ctx.execution_id,))
    gone = asyncio.run(prune_outputs(settings.database_url, store, grace=0))
    assert gone.deleted == 1 and s3_server.keys(prefix) == []
