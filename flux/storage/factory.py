"""`create_store`: the one place that picks (and imports) a storage adapter.

Adapters are imported only when chosen, so a SQLite user never pays for importing psycopg.
"""

from __future__ import annotations

from flux.engine.store import ExecutionStore
from flux.errors import ConfigurationError

_EXAMPLES = "sqlite:///.flux/flux.db, postgresql://user@host:5432/db or memory://"


def create_store(url: str) -> ExecutionStore:
    """The store named by `url`: `sqlite:///…`, `postgresql://…` (or `postgresql+psycopg://…`)
    or `memory://`. SQLite is opened (and migrated) here; PostgreSQL on first use."""
    scheme, separator, _ = url.partition("://")
    scheme = scheme.lower()
    if not separator:
        raise ConfigurationError(f"store URL {url!r} has no scheme: use {_EXAMPLES}")
    if scheme == "memory":
        from flux.storage.memory import InMemoryStore

        return InMemoryStore()
    if scheme == "sqlite":
        from flux.storage.sqlite import SqliteStore

        return SqliteStore(url)
    if scheme in ("postgresql", "postgresql+psycopg"):
        from flux.storage.postgres import PostgresStore

        return PostgresStore(url)
    # The scheme only: the rest of the URL may hold a password.
    raise ConfigurationError(f"unsupported store URL scheme '{scheme}://': use {_EXAMPLES}")
