"""Storage tests: one contract suite over the in-memory, SQLite and PostgreSQL stores.

PostgreSQL runs in a schema made for this test session (`search_path` in the URL), so
parallel sessions and other suites sharing the database never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
import pytest

from flux.domain.events import ExecutionState
from flux.engine.store import EventRow, ExecutionRow, ExecutionStore
from flux.storage.factory import create_store

POSTGRES_URL = os.environ.get("FLUX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def with_options(url: str, *options: str) -> str:
    """`url` with libpq `-c` options added (to any it already has)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["options"] = " ".join(filter(None, [query.get("options", ""), *options]))
    # %20, not '+', for spaces: libpq does not decode '+'.
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def _require_postgres() -> None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL unreachable at {POSTGRES_URL} ({exc})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires it")
        pytest.skip(f"!!! POSTGRES STORAGE TESTS SKIPPED: {reason}")


class PostgresSchemas:
    """Makes throwaway schemas and drops them all at the end of the session."""

    def __init__(self) -> None:
        self._made: list[str] = []

    def new(self) -> str:
        """A URL whose search_path is a new, empty schema."""
        name = f"flux_storage_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        self._made.append(name)
        return with_options(POSTGRES_URL, f"-csearch_path={name}")

    def drop_all(self) -> None:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            for name in self._made:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[PostgresSchemas]:
    _require_postgres()
    schemas = PostgresSchemas()
    yield schemas
    schemas.drop_all()


@pytest.fixture(scope="session")
def postgres_url(postgres_schemas: PostgresSchemas) -> str:
    """The session's schema, shared by the contract tests (emptied before each)."""
    return postgres_schemas.new()


async def _emptied_postgres(url: str) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(
            "TRUNCATE executions, events, jobs, execution_logs, task_cache, secrets, workflows, "
            "workers, schedules, schedule_fires, limit_slots, audit_log, api_keys"
        )


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ExecutionStore]:
    if request.param == "memory":
        opened = create_store("memory://")
    elif request.param == "sqlite":
        opened = create_store(f"sqlite:///{tmp_path / 'flux.db'}")
    else:
        url: str = request.getfixturevalue("postgres_url")
        opened = create_store(url)
        await opened.secret_names()  # opens the pool and migrates before the TRUNCATE
        await _emptied_postgres(url)
    try:
        yield opened
    finally:
        await opened.close()


def execution(
    execution_id: str = "exec-1",
    *,
    workflow_name: str = "greet",
    state: ExecutionState = ExecutionState.CREATED,
    created_at: datetime = T0,
) -> ExecutionRow:
    return ExecutionRow(
        execution_id=execution_id,
        workflow_name=workflow_name,
        state=state,
        input=b"input-bytes",
        created_at=created_at,
        updated_at=created_at,
    )


def event(
    execution_id: str, seq: int, *, value: bytes | None = b"v", at: datetime = T0
) -> EventRow:
    return EventRow(
        execution_id=execution_id,
        seq=seq,
        id=f"id-{seq}",
        type="TASK_COMPLETED",
        source_id=f"step_{seq}",
        name="say_hello",
        value=value,
        time=at + timedelta(microseconds=seq),
    )
