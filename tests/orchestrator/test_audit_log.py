"""The audit writer (`flux.orchestrator.audit.AuditLog`) on a real SQLite store: records are
written in batches, at the latest when the server stops; a failed write is retried, then
dropped and counted; the buffer is capped."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from flux.domain.events import utcnow
from flux.orchestrator.audit import AuditLog, decode_cursor, encode_cursor, prune_audit
from flux.orchestrator.store import AuditQuery, AuditRecord, OrchestratorStore
from flux.storage.factory import create_orchestrator_store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[OrchestratorStore]:
    opened = create_orchestrator_store(f"sqlite:///{tmp_path / 'flux.db'}")
    await opened.ping()
    yield opened
    await opened.close()


def record(target: str) -> AuditRecord:
    return AuditRecord(
        at=utcnow(), actor="key ab12cd34ef56 (alice)", action="job.submit", target=target
    )


async def stored(store: OrchestratorStore) -> list[str | None]:
    return sorted(r.target for r in await store.list_audit(AuditQuery(), 1000))


async def eventually(store: OrchestratorStore, count: int) -> list[str | None]:
    deadline = time.monotonic() + 10
    while len(found := await stored(store)) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    return found


async def test_the_loop_writes_what_was_recorded(store: OrchestratorStore) -> None:
    log = AuditLog(store, interval=0.05, batch=3)
    log.start()
    try:
        for i in range(7):
            log.record(record(f"j{i}"))
        assert await eventually(store, 7) == [f"j{i}" for i in range(7)]
    finally:
        await log.stop()


async def test_a_full_batch_does_not_wait_for_the_interval(store: OrchestratorStore) -> None:
    log = AuditLog(store, interval=3600, batch=4)
    log.start()
    try:
        for i in range(4):
            log.record(record(f"j{i}"))
        assert len(await eventually(store, 4)) == 4
    finally:
        await log.stop()


async def test_stop_writes_the_buffer(store: OrchestratorStore) -> None:
    log = AuditLog(store, interval=3600)
    log.start()
    for i in range(5):
        log.record(record(f"j{i}"))
    assert await stored(store) == []
    await log.stop()
    assert len(await stored(store)) == 5


async def test_the_buffer_is_capped_and_drops_are_counted(store: OrchestratorStore) -> None:
    log = AuditLog(store, capacity=3)
    for i in range(5):
        log.record(record(f"j{i}"))
    assert log.dropped == 2
    await log.flush()
    assert await stored(store) == ["j0", "j1", "j2"]


def _rename(database: Path, old: str, new: str) -> None:
    with sqlite3.connect(database) as conn:
        conn.execute(f"ALTER TABLE {old} RENAME TO {new}")


async def test_a_failed_write_is_retried(store: OrchestratorStore, tmp_path: Path) -> None:
    database = tmp_path / "flux.db"
    log = AuditLog(store, retry_delay=0.3)
    log.record(record("j0"))
    _rename(database, "audit_log", "audit_away")
    flushing = asyncio.create_task(log.flush())
    await asyncio.sleep(0.05)  # the first attempt failed; the retry waits
    _rename(database, "audit_away", "audit_log")
    await flushing
    assert (await stored(store), log.dropped) == (["j0"], 0)


async def test_a_batch_failing_every_retry_is_dropped(
    store: OrchestratorStore, tmp_path: Path
) -> None:
    log = AuditLog(store, retry_delay=0.01)
    log.record(record("j0"))
    log.record(record("j1"))
    _rename(tmp_path / "flux.db", "audit_log", "audit_away")
    await log.flush()
    assert log.dropped == 2
    _rename(tmp_path / "flux.db", "audit_away", "audit_log")
    log.record(record("j2"))
    await log.flush()
    assert await stored(store) == ["j2"]


def test_cursors_round_trip_and_bad_ones_are_refused() -> None:
    moment = utcnow()
    cursor = encode_cursor(AuditRecord(at=moment, actor="a", action="b", id=42))
    assert decode_cursor(cursor) == (moment, 42)
    for bad in ("", "12", "a-1", "1-b", "-1", "1-", "99999999999999999999999-1", "1-9" * 10):
        with pytest.raises(ValueError, match="invalid cursor"):
            decode_cursor(bad)


async def test_retention_deletes_records_older_than_audit_days(store: OrchestratorStore) -> None:
    now = utcnow()
    aged = [replace(record(f"d{days}"), at=now - timedelta(days=days)) for days in (400, 366, 10)]
    await store.append_audit(aged)
    assert await prune_audit(store, 0, batch=1, now=now) == 0  # 0 keeps everything
    assert await prune_audit(store, 365, batch=1, now=now) == 2  # in batches of one
    assert await stored(store) == ["d10"]
