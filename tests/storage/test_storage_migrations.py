"""The shipped Alembic environment: its head, and that migrating yields `schema.py`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from flux.domain.events import ExecutionState
from flux.engine.store import ExecutionRow
from flux.orchestrator.store import JobRow, OrchestratorStore
from flux.storage import migrate
from flux.storage.factory import create_store
from flux.storage.schema import metadata
from flux.storage.sqlite_leases import stamp

from .conftest import T0, PostgresSchemas


def test_head_revision_constant_names_alembics_head() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))

    assert scripts.get_current_head() == migrate.HEAD_REVISION


def _differences(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), metadata))
    finally:
        engine.dispose()


def test_migrated_sqlite_matches_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flux.db'}"

    migrate.upgrade(url)
    migrate.upgrade(url)

    assert _differences(url) == []


@pytest.mark.postgres
def test_migrated_postgres_matches_the_schema(postgres_schemas: PostgresSchemas) -> None:
    url = postgres_schemas.new().replace("postgresql://", "postgresql+psycopg://", 1)

    migrate.upgrade(url)
    migrate.upgrade(url)

    assert _differences(url) == []


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flux.db'}"
    migrate.upgrade(url)
    command.downgrade(migrate.alembic_config(url), "base")
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()

    migrate.upgrade(url)

    assert _differences(url) == []


# 0002 -> 0003 (script jobs) on a database in use: the rows written before stay readable.


def _seed_0002(url: str, moment: Callable[[datetime], Any]) -> None:
    """A database at 0002 holding a leased run with its events (written as 0002 knew it)."""
    command.upgrade(migrate.alembic_config(url), "0002")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO executions (execution_id, workflow_name, state, input, "
                    "created_at, updated_at, worker_name, lease_epoch, lease_expires_at, "
                    "attempts) VALUES ('old', 'greet', 'RUNNING', :input, :t, :t, 'w1', 3, :t, 1)"
                ),
                {"input": b"in", "t": moment(T0)},
            )
            for seq in (0, 1):
                connection.execute(
                    text(
                        "INSERT INTO events (execution_id, seq, id, type, source_id, name, "
                        "value, time) VALUES ('old', :seq, :id, 'TASK_STARTED', '1', 't', "
                        "NULL, :t)"
                    ),
                    {"seq": seq, "id": f"e{seq}", "t": moment(T0)},
                )
    finally:
        engine.dispose()


async def _check_upgraded_by_the_store(store_url: str) -> None:
    store = cast(OrchestratorStore, create_store(store_url))
    try:
        run = await store.get_run("old")
        assert run is not None
        assert run.execution.state is ExecutionState.RUNNING
        assert (run.lease.worker_name, run.lease.epoch, run.lease.expires_at) == ("w1", 3, T0)
        assert [e.seq for e in run.execution.events] == [0, 1]
        assert [r.execution.execution_id for r in await store.list_runs()] == ["old"]
        assert await store.get_job("old") is None
        assert await store.next_due() is None
        row = ExecutionRow("new", "flux_job", ExecutionState.CREATED, None, T0, T0)
        await store.create_job(row, [], JobRow("new", "n", "t", "node:18", T0, T0))
        assert [q.execution_id for q in await store.release_due(T0, 10)] == ["new"]
    finally:
        await store.close()


def _revision_and_tables(url: str) -> tuple[str, set[str], int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version"))
            events = connection.execute(text("SELECT count(*) FROM events"))
            return (
                revision.scalar_one(),
                set(inspect(connection).get_table_names()),
                events.scalar_one(),
            )
    finally:
        engine.dispose()


async def test_sqlite_at_0002_with_rows_is_upgraded_by_the_store_and_back(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'flux.db'}"
    _seed_0002(url, stamp)

    # The store migrates on a connection with foreign keys on, where rebuilding
    # `executions` would delete every event: the events must still be there.
    await _check_upgraded_by_the_store(url)

    assert _differences(url) == []
    command.downgrade(migrate.alembic_config(url), "0002")
    revision, tables, events = _revision_and_tables(url)
    assert (revision, events) == ("0002", 2)
    assert not {"jobs", "execution_logs"} & tables


@pytest.mark.postgres
async def test_postgres_at_0002_with_rows_is_upgraded_by_the_store_and_back(
    postgres_schemas: PostgresSchemas,
) -> None:
    store_url = postgres_schemas.new()
    url = store_url.replace("postgresql://", "postgresql+psycopg://", 1)
    _seed_0002(url, lambda moment: moment)

    await _check_upgraded_by_the_store(store_url)

    assert _differences(url) == []
    command.downgrade(migrate.alembic_config(url), "0002")
    revision, tables, events = _revision_and_tables(url)
    assert (revision, events) == ("0002", 2)
    assert not {"jobs", "execution_logs"} & tables
