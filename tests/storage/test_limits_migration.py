"""0004 -> 0005 (queues and limits) on a database in use: queued runs keep their place, with
priority 0 and no limits, and every event stays (nothing rebuilds `executions`)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from flux.orchestrator.store import OrchestratorStore
from flux.storage import migrate
from flux.storage.factory import create_store
from flux.storage.sqlite_leases import stamp

from .conftest import T0, PostgresSchemas


def _seed_0004(url: str, moment: object) -> None:
    command.upgrade(migrate.alembic_config(url), "0004")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for name in ("old", "older"):
                connection.execute(
                    text(
                        "INSERT INTO executions (execution_id, workflow_name, state, created_at, "
                        "updated_at) VALUES (:name, 'greet', 'SCHEDULED', :t, :t)"
                    ),
                    {"name": name, "t": moment},
                )
                connection.execute(
                    text(
                        "INSERT INTO events (execution_id, seq, id, type, source_id, name, "
                        "time) VALUES (:name, 0, :name, 'WORKFLOW_SCHEDULED', :name, 'greet', :t)"
                    ),
                    {"name": name, "t": moment},
                )
    finally:
        engine.dispose()


async def _check(store_url: str) -> None:
    store = cast(OrchestratorStore, create_store(store_url))
    try:
        queued = await store.queued(10)
        assert [(q.execution_id, q.priority, q.limited) for q in queued] == [
            ("old", 0, False),
            ("older", 0, False),
        ]
        run = await store.get_run("old")
        assert run is not None and [e.seq for e in run.execution.events] == [0]
        assert (run.execution.priority, run.execution.limits) == (0, None)
    finally:
        await store.close()


async def test_sqlite_at_0004_with_queued_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flux.db'}"
    _seed_0004(url, stamp(T0))

    await _check(url)

    command.downgrade(migrate.alembic_config(url), "0004")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM events")).scalar_one() == 2
    finally:
        engine.dispose()


@pytest.mark.postgres
async def test_postgres_at_0004_with_queued_runs(postgres_schemas: PostgresSchemas) -> None:
    store_url = postgres_schemas.new()
    _seed_0004(store_url.replace("postgresql://", "postgresql+psycopg://", 1), T0)

    await _check(store_url)
