"""`SqliteStore`: the embedded store, on the standard library's `sqlite3`.

One connection in autocommit mode with explicit `BEGIN IMMEDIATE` / `COMMIT`, so a write
takes the database's write lock up front (no lock-upgrade deadlock between processes) and
`busy_timeout` applies. The statements come compiled from `statements.py`; sqlite3 keeps them
prepared in its per-connection statement cache.

Timestamps are stored as ISO-8601 UTC text with microseconds, always the same width, so the
text order the indexes use is also time order.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from flux.domain.events import ExecutionState, utcnow
from flux.engine.store import EventConflictError, EventRow, ExecutionExistsError, ExecutionRow
from flux.errors import ConfigurationError
from flux.storage import migrate, rows
from flux.storage.job_statements import JobStatements, compile_job_statements
from flux.storage.lease_statements import LeaseStatements, compile_lease_statements
from flux.storage.schedule_statements import ScheduleStatements, compile_schedule_statements
from flux.storage.sqlite_api_keys import SqliteApiKeys
from flux.storage.sqlite_audit import SqliteAudit
from flux.storage.sqlite_jobs import SqliteJobs
from flux.storage.sqlite_leases import SqliteLeases, read_time, stamp
from flux.storage.sqlite_retention import SqliteRetention
from flux.storage.sqlite_schedules import SqliteSchedules
from flux.storage.sqlite_stats import SqliteStats
from flux.storage.statements import Statements, compile_statements

_BUSY_TIMEOUT_S = 10.0


def database_path(url: str) -> str:
    """`sqlite:///rel/path.db` (relative to the cwd), `sqlite:////abs/path.db`, or
    `sqlite:///:memory:`."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() == "sqlite" and rest in ("", "/:memory:"):
        return ":memory:"
    if scheme.lower() != "sqlite" or not rest.startswith("/") or rest == "/" or "?" in rest:
        raise ConfigurationError(
            f"invalid SQLite URL {url!r}: use sqlite:///relative/path.db, "
            "sqlite:////absolute/path.db or sqlite:///:memory:"
        )
    return rest[1:]


_stamp = stamp
_read_time = read_time


@cache
def _statements() -> tuple[Statements, LeaseStatements, JobStatements, ScheduleStatements]:
    from sqlalchemy import create_engine
    from sqlalchemy.dialects.sqlite import insert

    # Only the dialect is used (no connection is made); sqlite3 takes `:name` from a dict.
    dialect = create_engine("sqlite://", paramstyle="named").dialect
    return (
        compile_statements(dialect, insert),
        compile_lease_statements(dialect, insert),
        compile_job_statements(dialect, insert),
        compile_schedule_statements(dialect),
    )


def _is_primary_key(exc: sqlite3.IntegrityError) -> bool:
    return exc.sqlite_errorname == "SQLITE_CONSTRAINT_PRIMARYKEY"


class _LentConnection:
    """The store's connection lent to Alembic: the store keeps its transaction and its life,
    so SQLAlchemy's commit, rollback and close are no-ops here."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass


class SqliteStore(
    SqliteLeases,
    SqliteJobs,
    SqliteSchedules,
    SqliteStats,
    SqliteRetention,
    SqliteAudit,
    SqliteApiKeys,
):
    """`OrchestratorStore` on one SQLite file (or `:memory:`), migrated when opened.

    Safe to share between threads; methods run their SQLite work inline (see append_events).
    """

    def __init__(self, url: str) -> None:
        path = database_path(url)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._sql, self._lsql, self._jsql, self._ssql = _statements()
        # One connection runs one transaction at a time: the lock keeps two threads'
        # transactions from interleaving on it.
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        try:
            self._configure()
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    def _configure(self) -> None:
        # WAL lets readers in other processes run beside the writer; with WAL, NORMAL only
        # risks the last commits on power loss, never corruption.
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")

    def _revision(self) -> str | None:
        try:
            row = self._conn.execute(self._sql.schema_revision).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
        return None if row is None else str(row[0])

    def _migrate(self) -> None:
        if self._revision() == migrate.HEAD_REVISION:
            return
        # Under the write lock, and re-checked there: another process may have migrated
        # while we waited for it.
        with self._write() as conn:
            if self._revision() != migrate.HEAD_REVISION:
                migrate.upgrade("sqlite://", creator=lambda: _LentConnection(conn))

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        # A read transaction: several SELECTs see one snapshot.
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    async def create_execution(self, execution: ExecutionRow, events: Sequence[EventRow]) -> None:
        self._create(rows.execution_params(execution, _stamp), events)

    def _create(
        self,
        params: dict[str, Any],
        events: Sequence[EventRow],
        also: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        """Insert an execution (`params`), its events and the rows of `also` (statement,
        parameters) in one transaction."""
        execution_id = params["execution_id"]
        event_rows = [rows.event_params(event, _stamp) for event in events]
        try:
            with self._write() as conn:
                try:
                    conn.execute(self._sql.insert_execution, params)
                except sqlite3.IntegrityError as exc:
                    if not _is_primary_key(exc):
                        raise
                    raise ExecutionExistsError(execution_id) from exc
                conn.executemany(self._sql.insert_event, event_rows)
                for sql, row in also:
                    conn.execute(sql, row)
        except sqlite3.IntegrityError as exc:
            if not _is_primary_key(exc):
                raise
            raise self._conflict(execution_id, event_rows) from exc

    async def append_events(
        self,
        execution_id: str,
        events: Sequence[EventRow],
        *,
        state: ExecutionState | None = None,
        output: bytes | None = None,
    ) -> None:
        # Inline on the event loop: these microseconds of SQLite cost less than a thread hop.
        touch = rows.touch_params(execution_id, state, output, _stamp(utcnow()))
        event_rows = [rows.event_params(event, _stamp) for event in events]
        try:
            with self._write() as conn:
                if conn.execute(self._sql.touch_execution, touch).rowcount == 0:
                    raise KeyError(execution_id)
                conn.executemany(self._sql.insert_event, event_rows)
        except sqlite3.IntegrityError as exc:
            if not _is_primary_key(exc):
                raise
            raise self._conflict(execution_id, event_rows) from exc

    def _conflict(self, execution_id: str, event_rows: list[dict[str, Any]]) -> EventConflictError:
        # Looked up after the rollback: inside the transaction, the rows this batch inserted
        # before the failing one would look taken too.
        with self._lock:
            return self._conflict_on(self._conn, execution_id, event_rows)

    def _conflict_on(
        self, conn: sqlite3.Connection, execution_id: str, event_rows: list[dict[str, Any]]
    ) -> EventConflictError:
        """`_conflict` inside a transaction, after rolling the batch's rows back."""
        seqs = [row["seq"] for row in event_rows]
        bounds = {"b_execution_id": execution_id, "first_seq": min(seqs), "last_seq": max(seqs)}
        taken = [seq for (seq,) in conn.execute(self._sql.taken_seqs, bounds)]
        return EventConflictError(execution_id, rows.first_taken_seq(seqs, taken))

    async def get_execution(
        self, execution_id: str, *, with_events: bool = True
    ) -> ExecutionRow | None:
        key = {"b_execution_id": execution_id, "after_seq": -1}
        with self._read() as conn:
            found = conn.execute(self._sql.select_execution, key).fetchone()
            if found is None:
                return None
            execution = rows.execution_from_row(found, _read_time)
            if with_events:
                execution.events = self._events(conn, key)
        return execution

    async def get_events(self, execution_id: str, *, after_seq: int = -1) -> list[EventRow]:
        with self._lock:
            return self._events(
                self._conn, {"b_execution_id": execution_id, "after_seq": after_seq}
            )

    def _events(self, conn: sqlite3.Connection, key: dict[str, Any]) -> list[EventRow]:
        return [
            rows.event_from_row(row, _read_time)
            for row in conn.execute(self._sql.select_events, key)
        ]

    async def list_executions(
        self,
        *,
        workflow_name: str | None = None,
        state: ExecutionState | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[ExecutionRow]:
        sql = self._sql.list_executions[(workflow_name is not None, state is not None)]
        params = {
            "workflow_name": workflow_name,
            "state": None if state is None else state.value,
            "limit": limit,
            "offset": offset,
        }
        with self._lock:
            found = self._conn.execute(sql, params).fetchall()
        return [rows.execution_from_row(row, _read_time) for row in found]

    async def cache_get(self, key: str, now: datetime) -> bytes | None:
        with self._lock:
            row = self._conn.execute(
                self._sql.cache_get, {"key": key, "now": _stamp(now)}
            ).fetchone()
        return None if row is None else bytes(row[0])

    async def cache_set(self, key: str, value: bytes, expires_at: datetime | None) -> None:
        params = {
            "key": key,
            "value": value,
            "expires_at": None if expires_at is None else _stamp(expires_at),
            "created_at": _stamp(utcnow()),
        }
        with self._write() as conn:
            conn.execute(self._sql.cache_set, params)

    async def secret_get(self, names: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        with self._read() as conn:
            for name in names:
                row = conn.execute(self._sql.secret_get, {"name": name}).fetchone()
                if row is not None:
                    found[name] = bytes(row[0])
        return found

    async def secret_set(self, name: str, value: bytes) -> None:
        now = _stamp(utcnow())
        params = {"name": name, "value": value, "created_at": now, "updated_at": now}
        with self._write() as conn:
            conn.execute(self._sql.secret_set, params)

    async def secret_delete(self, name: str) -> bool:
        with self._write() as conn:
            return conn.execute(self._sql.secret_delete, {"name": name}).rowcount > 0

    async def secret_names(self) -> list[str]:
        with self._lock:
            return [name for (name,) in self._conn.execute(self._sql.secret_names)]

    async def close(self) -> None:
        with self._lock:
            self._conn.close()
