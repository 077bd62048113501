"""Schema migrations, applied by the stores when they open.

The Alembic environment ships inside the package (`flux/storage/migrations`), so no
alembic.ini is needed. Importing Alembic costs about 0.2 s while reading one row costs
microseconds, so a store first reads `alembic_version` itself (`Statements.schema_revision`)
and calls `upgrade` only when that is not `HEAD_REVISION`. Serializing concurrent upgrades is
the adapter's job (an advisory lock on PostgreSQL, the write lock on SQLite), since how to
lock is a dialect detail.

A new revision: add `versions/NNNN_<what>.py` (`alembic_config(url)` works with
`alembic.command.revision(..., autogenerate=True)`), then move `HEAD_REVISION` to it; a test
checks that it names Alembic's head.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

HEAD_REVISION = "0007"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    """An in-memory Alembic config for `url`; with `connection`, migrations run on it."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on a '%' in a URL-encoded password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    scheme, _, rest = url.partition("://")
    if scheme.lower() == "sqlite" and rest.startswith("/") and not Path(rest[1:]).exists():
        return None  # not created yet (reading would fail on a missing directory)
    if scheme.lower() == "postgresql":
        url = f"postgresql+psycopg://{rest}"  # SQLAlchemy's default would be psycopg2
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            revision: str | None = MigrationContext.configure(connection).get_current_revision()
            return revision
    finally:
        engine.dispose()


def upgrade(url: str, *, creator: Callable[[], Any] | None = None) -> None:
    """Bring the database at SQLAlchemy URL `url` to `HEAD_REVISION`.

    `creator`, when given, returns the DBAPI connection to migrate through: for SQLite
    `:memory:` (a new connection would see another, empty database) or for a connection
    whose transaction the caller owns.
    """
    from alembic import command
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    options: dict[str, Any] = {"poolclass": NullPool}
    if creator is not None:
        options["creator"] = creator
    engine = create_engine(url, **options)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(url, connection), "head")
    finally:
        engine.dispose()
