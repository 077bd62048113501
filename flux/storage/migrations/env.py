"""Alembic environment of Flux. Run by `flux.storage.migrate`, which passes the connection
in `config.attributes`; without one (offline SQL, or an alembic CLI pointed here) it connects
to `sqlalchemy.url` itself."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from flux.storage.schema import metadata


def _run(connection: Connection) -> None:
    # Batch mode lets a future ALTER also work on SQLite (it rebuilds the table there).
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(str(url), poolclass=NullPool)
    try:
        with engine.begin() as own_connection:
            _run(own_connection)
    finally:
        engine.dispose()


_main()
