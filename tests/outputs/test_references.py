"""The reference format, the codec's limit, the staged uploads and the store wrapper, with
in-process stores (no server, no database)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from flux.codec import Codec
from flux.domain.events import ExecutionState
from flux.engine.store import EventRow, ExecutionRow
from flux.errors import OutputMissingError, OutputStoreError, TamperedDataError
from flux.orchestrator.values import DisplayDecoder
from flux.outputs import BlobStore, DirectoryBlobStore, Offloader, OffloadingStore
from flux.storage.memory import InMemoryStore

KEY = b"0123456789abcdef0123456789abcdef"
LIMIT = 1000


def codec_with(store: BlobStore, **options: Any) -> tuple[Codec, Offloader]:
    sink = Offloader(store, LIMIT, **options)
    return Codec("pkl", KEY, sink), sink


class MemoryBlobs(BlobStore):
    """An asynchronous-only store that records what happens to it."""

    kind = "memory"

    def __init__(self, fail: int = 0):
        self.blobs: dict[str, bytes] = {}
        self.puts: list[str] = []
        self.fail = fail  # how many puts fail first

    async def put(self, digest: str, data: bytes) -> None:
        await asyncio.sleep(0.01)
        if self.fail:
            self.fail -= 1
            raise ConnectionError("store unreachable")
        self.puts.append(digest)
        self.blobs[digest] = data

    async def get(self, digest: str) -> bytes | None:
        return self.blobs.get(digest)

    def describe(self) -> str:
        return "memory"


def test_the_limit_is_on_the_encoded_size(tmp_path: Path) -> None:
    codec, _ = codec_with(DirectoryBlobStore(tmp_path))
    plain = Codec("pkl", KEY)
    at_limit = next("x" * n for n in range(LIMIT) if len(plain.dumps("x" * n)) == LIMIT)
    assert codec.dumps(at_limit) == plain.dumps(at_limit)  # exactly the limit: inline
    over = codec.dumps(at_limit + "x")
    assert over[:1] == b"R" and len(over) < 200
    assert codec.loads(over) == at_limit + "x"
    assert codec.dumps(at_limit + "x") == over  # content-addressed: same bytes, same name
    assert len(list(tmp_path.rglob("*"))) == 2  # one folder, one blob


def test_json_values_are_offloaded_too(tmp_path: Path) -> None:
    sink = Offloader(DirectoryBlobStore(tmp_path), LIMIT)
    codec = Codec("json", KEY, sink)
    value = {"rows": list(range(1000))}
    stored = codec.dumps(value)
    assert stored[:1] == b"R"
    assert codec.loads(stored) == value
    assert next(p for p in tmp_path.rglob("*") if p.is_file()).read_bytes()[:1] == b"J"


def test_references_and_blobs_are_checked(tmp_path: Path) -> None:
    codec, _ = codec_with(DirectoryBlobStore(tmp_path))
    stored = codec.dumps("y" * 5000)
    blob = next(p for p in tmp_path.rglob("*") if p.is_file())

    other_key = Codec("pkl", b"another key, sixteen bytes or more", codec.outputs)
    with pytest.raises(TamperedDataError, match="signature"):
        other_key.loads(stored)

    original = blob.read_bytes()
    blob.write_bytes(original.replace(b"yyyy", b"yyyz", 1))
    with pytest.raises(TamperedDataError, match="does not match"):
        codec.loads(stored)
    blob.unlink()
    with pytest.raises(OutputMissingError):
        codec.loads(stored)
    with pytest.raises(OutputMissingError, match="no output store"):
        Codec("pkl", KEY).loads(stored)


def test_a_blob_that_is_itself_a_reference_is_refused(tmp_path: Path) -> None:
    codec, sink = codec_with(DirectoryBlobStore(tmp_path))
    reference = codec.dumps("z" * 5000)
    # Forge: a blob whose content is a reference, named by its true digest, and a reference
    # to it signed with the right key (what only a key holder could write).
    from flux.codec.references import References, digest_of

    inner = reference + b" " * 2000
    sink.store.put_sync(digest_of(inner), inner)
    outer = References(KEY).encode(digest_of(inner), len(inner))
    with pytest.raises(TamperedDataError, match="itself a reference"):
        codec.loads(outer)


def test_a_failed_write_fails_the_value_not_the_process(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    codec, _ = codec_with(DirectoryBlobStore(blocked))
    with pytest.raises(OutputStoreError, match="the task's output"):
        codec.dumps("w" * 5000, "the task's output")


def test_the_display_shows_the_value_or_says_why_not(tmp_path: Path) -> None:
    codec, sink = codec_with(DirectoryBlobStore(tmp_path))
    stored = codec.dumps({"rows": ["r"] * 2000})
    decoder = DisplayDecoder(KEY, sink)
    assert decoder.decode(stored) == {"rows": ["r"] * 2000}
    assert decoder.decode_raw(stored) == {"rows": ["r"] * 2000}
    assert DisplayDecoder(KEY).decode(stored).startswith("<stored output ")
    blob = next(p for p in tmp_path.rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes()[:-1] + b"!")
    assert decoder.decode(stored) == "<value failed its signature check>"
    blob.unlink()
    assert "is not available" in decoder.decode(stored)


async def test_staged_blobs_upload_once_before_the_write_that_cites_them() -> None:
    blobs = MemoryBlobs()
    codec, sink = codec_with(blobs, write_through=False)
    inner = InMemoryStore()
    store = OffloadingStore(inner, codec, sink)
    now = datetime.now(UTC)
    big = codec.dumps("v" * 5000)
    assert sink.staged and not blobs.blobs  # nothing uploaded by dumps itself

    def row(execution_id: str) -> ExecutionRow:
        return ExecutionRow(execution_id, "wf", ExecutionState.RUNNING, big, now, now)

    events = [EventRow("e1", i, f"id{i}", "TASK_COMPLETED", str(i), "t", big, now) for i in (0, 1)]
    # Two writes citing the same blob at once: one upload, both wait for it.
    await asyncio.gather(
        store.create_execution(row("e1"), events[:1]), store.create_execution(row("e1b"), [])
    )
    await store.append_events("e1", events[1:])
    assert len(blobs.puts) == 1 and not sink.staged and not sink.inflight

    loaded = await store.get_execution("e1")
    assert loaded is not None
    assert codec.loads(loaded.events[0].value or b"") == "v" * 5000
    assert loaded.input is not None and loaded.input[:1] == b"P"  # the bytes, swapped in
    kept = await inner.get_execution("e1")
    assert kept is not None and kept.events[0].value == big  # the store's own rows untouched


async def test_a_failed_upload_stops_the_write_and_is_retried() -> None:
    blobs = MemoryBlobs(fail=1)
    codec, sink = codec_with(blobs, write_through=False)
    store = OffloadingStore(InMemoryStore(), codec, sink)
    now = datetime.now(UTC)
    big = codec.dumps("u" * 5000)
    row = ExecutionRow("e2", "wf", ExecutionState.RUNNING, big, now, now)
    with pytest.raises(ConnectionError):
        await store.create_execution(row, [])
    assert await store.get_execution("e2") is None  # nothing written without its blob
    assert sink.staged  # kept for the next try
    await store.create_execution(row, [])
    assert blobs.puts and not sink.staged


async def test_a_missing_blob_is_reported_on_read() -> None:
    blobs = MemoryBlobs()
    codec, sink = codec_with(blobs, write_through=False)
    store = OffloadingStore(InMemoryStore(), codec, sink)
    now = datetime.now(UTC)
    big = codec.dumps("t" * 5000)
    await store.create_execution(
        ExecutionRow("e3", "wf", ExecutionState.RUNNING, big, now, now), []
    )
    blobs.blobs.clear()
    with pytest.raises(OutputMissingError):
        await store.get_execution("e3")


def test_a_value_over_the_upload_limit_fails_where_it_is_made(tmp_path: Path) -> None:
    sink = Offloader(MemoryBlobs(), LIMIT, write_through=False, max_bytes=4000)
    codec = Codec("pkl", KEY, sink)
    assert codec.dumps("s" * 3000)[:1] == b"R"
    with pytest.raises(OutputStoreError, match="max_upload_bytes"):
        codec.dumps("s" * 5000)
    assert len(sink.staged) == 1
