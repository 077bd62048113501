"""Engine tests run once per database: SQLite and PostgreSQL (the same suite)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from flux.config import Configuration

POSTGRES_ADMIN_URL = os.environ.get(
    "FLUX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _postgres_or_skip() -> str:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and unreachable: {exc}")
        pytest.skip(f"PostgreSQL SKIPPED (unreachable at {POSTGRES_ADMIN_URL}): {exc}")
    return POSTGRES_ADMIN_URL


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of its own for this test session, dropped at the end."""
    admin = _postgres_or_skip()
    name = f"flux_engine_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'flux.db'}"
    url: str = request.getfixturevalue("postgres_database")
    return url


@pytest.fixture(autouse=True)
def flux_config(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Configuration]:
    monkeypatch.chdir(tmp_path)
    config = Configuration.get()
    # One key for the session: PostgreSQL tests share a database, and rows signed with one
    # test's key must verify in the next.
    config.override(
        database_url=database_url,
        home=str(tmp_path / ".flux"),
        security={"encryption_key": "engine-tests-key-0123456789abcdef"},
    )
    yield config
    config.reset()
