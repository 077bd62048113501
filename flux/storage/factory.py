"""`create_store`: the one place that picks (and imports) a storage adapter.

Adapters are imported only when chosen, so a SQLite user never pays for importing psycopg.
"""

from __future__ import annotations

from typing import cast

from flux.engine.store import ExecutionStore
from flux.errors import ConfigurationError
from flux.orchestrator.notify import LocalNotifier, Notifier
from flux.orchestrator.store import OrchestratorStore

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


def create_orchestrator_store(url: str) -> OrchestratorStore:
    """The store named by `url`, with the server's operations (every adapter has them)."""
    return cast(OrchestratorStore, create_store(url))


def create_notifier(url: str) -> Notifier:
    """LISTEN/NOTIFY between replicas on PostgreSQL; in-process delivery otherwise (SQLite
    and in-memory stores serve one server process)."""
    scheme = url.partition("://")[0].lower()
    if scheme in ("postgresql", "postgresql+psycopg"):
        from flux.storage.postgres_notify import PostgresNotifier

        return PostgresNotifier(url)
    return LocalNotifier()


def unavailable_errors(url: str) -> tuple[type[Exception], ...]:
    """The driver errors that mean "the database cannot answer right now" (a restart, a lost
    connection, a lock held too long): the server answers 503 for them, which clients and
    workers retry, instead of 500."""
    scheme = url.partition("://")[0].lower()
    if scheme in ("postgresql", "postgresql+psycopg"):
        import psycopg
        import psycopg_pool

        return (psycopg.OperationalError, psycopg_pool.PoolTimeout)
    if scheme == "sqlite":
        import sqlite3

        return (sqlite3.OperationalError,)
    return ()
