"""The shipped Alembic environment: its head, and that migrating yields `schema.py`."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from flux.storage import migrate
from flux.storage.schema import metadata

from .conftest import PostgresSchemas


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
    from alembic import command

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
