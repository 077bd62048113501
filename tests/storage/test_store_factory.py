"""`create_store` picks the adapter from the URL scheme, and refuses the unknown clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from flux.errors import ConfigurationError
from flux.storage.factory import create_store
from flux.storage.memory import InMemoryStore
from flux.storage.postgres import PostgresStore
from flux.storage.sqlite import SqliteStore


async def test_memory_and_sqlite_schemes(tmp_path: Path) -> None:
    memory = create_store("memory://")
    sqlite = create_store(f"sqlite:///{tmp_path / 'flux.db'}")
    try:
        assert isinstance(memory, InMemoryStore)
        assert isinstance(sqlite, SqliteStore)
    finally:
        await memory.close()
        await sqlite.close()


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg", "POSTGRESQL"])
async def test_postgres_schemes_open_lazily(scheme: str) -> None:
    store = create_store(f"{scheme}://nobody@127.0.0.1:1/nowhere")

    assert isinstance(store, PostgresStore)
    await store.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root:hunter2@db/flux", "unsupported store URL scheme 'mysql://'"),
        ("flux.db", "has no scheme"),
    ],
)
def test_unknown_scheme_is_a_configuration_error(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as raised:
        create_store(url)

    assert "hunter2" not in str(raised.value)
    assert "sqlite:///" in str(raised.value)
