"""What only the SQLite store has to show: files, durability, pragmas, threads, migrations."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from flux.domain.events import ExecutionState
from flux.engine.store import EventConflictError
from flux.errors import ConfigurationError
from flux.storage import migrate
from flux.storage.sqlite import SqliteStore

from .conftest import event, execution


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'nested' / 'dir' / 'flux.db'}"


async def test_reopened_file_has_the_data(db_url: str) -> None:
    first = SqliteStore(db_url)
    await first.create_execution(execution(), [event("exec-1", 0)])
    await first.append_events("exec-1", [event("exec-1", 1)], state=ExecutionState.COMPLETED)
    await first.cache_set("k", b"cached", None)
    await first.secret_set("token", b"enc")
    await first.close()

    second = SqliteStore(db_url)
    try:
        got = await second.get_execution("exec-1")
        assert got is not None and got.state is ExecutionState.COMPLETED
        assert [e.seq for e in got.events] == [0, 1]
        assert await second.cache_get("k", got.created_at) == b"cached"
        assert await second.secret_get(["token"]) == {"token": b"enc"}
    finally:
        await second.close()


async def test_relative_url_is_under_the_cwd_and_its_directory_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    store = SqliteStore("sqlite:///.flux/flux.db")
    await store.close()

    assert (tmp_path / ".flux" / "flux.db").is_file()


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://"])
async def test_in_memory_database_works(url: str) -> None:
    store = SqliteStore(url)
    try:
        await store.create_execution(execution(), [event("exec-1", 0)])
        assert [e.seq for e in await store.get_events("exec-1")] == [0]
    finally:
        await store.close()


@pytest.mark.parametrize("url", ["sqlite:///", "sqlite://relative.db", "sqlite:///x.db?mode=ro"])
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="SQLite URL"):
        SqliteStore(url)


async def test_file_is_in_wal_mode_with_foreign_keys(db_url: str) -> None:
    store = SqliteStore(db_url)
    await store.close()

    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        conn.execute("PRAGMA foreign_keys=ON")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute("INSERT INTO events VALUES ('nope', 0, 'i', 't', 's', 'n', NULL, 'x')")
    conn.close()


async def test_second_open_does_not_run_alembic(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await SqliteStore(db_url).close()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("already migrated: Alembic must not run")

    monkeypatch.setattr(migrate, "upgrade", refuse)
    store = SqliteStore(db_url)
    await store.close()

    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrate.HEAD_REVISION,)
        ]
    conn.close()


async def test_two_stores_on_one_file_fence_each_other(db_url: str) -> None:
    first, second = SqliteStore(db_url), SqliteStore(db_url)
    try:
        await first.create_execution(execution(), [])
        await first.append_events("exec-1", [event("exec-1", 0, value=b"first")])

        with pytest.raises(EventConflictError):
            await second.append_events("exec-1", [event("exec-1", 0, value=b"second")])

        assert [e.value for e in await second.get_events("exec-1")] == [b"first"]
    finally:
        await first.close()
        await second.close()


async def test_one_store_shared_by_threads(db_url: str) -> None:
    store = SqliteStore(db_url)
    await store.create_execution(execution(), [])
    errors: list[BaseException] = []

    def append(parity: int) -> None:
        async def run() -> None:
            for seq in range(parity, 200, 2):
                await store.append_events("exec-1", [event("exec-1", seq)])

        try:
            asyncio.run(run())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(parity,)) for parity in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert [e.seq for e in await store.get_events("exec-1")] == list(range(200))
    finally:
        await store.close()
