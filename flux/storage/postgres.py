"""`PostgresStore`: the shared store for several servers and workers, on psycopg 3 (async).

Connections come from a `psycopg_pool.AsyncConnectionPool` in autocommit mode; each method
that writes (or reads twice) wraps its statements in one explicit transaction. The pool is
opened, and the schema migrated, on first use, because `create_store` is synchronous.

The primary key of `events` (execution_id, seq) is the fence between writers: of two
appends at the same seq, the second fails on it and becomes an `EventConflictError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

import psycopg
from psycopg import AsyncConnection, errors
from psycopg_pool import AsyncConnectionPool

from flux.domain.events import ExecutionState, utcnow
from flux.engine.store import EventConflictError, EventRow, ExecutionExistsError, ExecutionRow
from flux.errors import ConfigurationError
from flux.storage import migrate, rows
from flux.storage.job_statements import JobStatements, compile_job_statements
from flux.storage.lease_statements import LeaseStatements, compile_lease_statements
from flux.storage.postgres_api_keys import PostgresApiKeys
from flux.storage.postgres_audit import PostgresAudit
from flux.storage.postgres_jobs import PostgresJobs
from flux.storage.postgres_leases import PostgresLeases
from flux.storage.postgres_retention import PostgresRetention
from flux.storage.postgres_schedules import PostgresSchedules
from flux.storage.postgres_stats import PostgresStats
from flux.storage.schedule_statements import ScheduleStatements, compile_schedule_statements
from flux.storage.statements import Statements, compile_statements

_SCHEMES = ("postgresql", "postgresql+psycopg")
# Any fixed 64-bit key: it only has to be the same in every Flux process.
_MIGRATION_LOCK = 0x666C75785F6D6967  # "flux_mig"
_OPEN_TIMEOUT_S = 30.0


def _read_time(moment: datetime) -> datetime:
    # psycopg answers in the session's TimeZone; the Protocol promises UTC.
    return moment.astimezone(UTC)


@cache
def _statements() -> tuple[Statements, LeaseStatements, JobStatements, ScheduleStatements]:
    from sqlalchemy import create_engine
    from sqlalchemy.dialects.postgresql import insert

    # Only the dialect is used (no connection is made); it compiles to psycopg's `%(name)s`.
    dialect = create_engine("postgresql+psycopg://").dialect
    return (
        compile_statements(dialect, insert),
        compile_lease_statements(dialect, insert),
        compile_job_statements(dialect, insert),
        compile_schedule_statements(dialect),
    )


def _conninfo(url: str) -> str:
    """The libpq URL of a `postgresql://` or `postgresql+psycopg://` (SQLAlchemy style) URL."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.lower() not in _SCHEMES:
        raise ConfigurationError(
            "a PostgreSQL store URL starts with postgresql:// or postgresql+psycopg://"
        )
    return f"postgresql://{rest}"


class PostgresStore(
    PostgresLeases,
    PostgresJobs,
    PostgresSchedules,
    PostgresStats,
    PostgresRetention,
    PostgresAudit,
    PostgresApiKeys,
):
    """`OrchestratorStore` on PostgreSQL. Several instances (processes) may share one
    database."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self._conninfo = _conninfo(url)
        self._pool_size = (min_size, max_size)
        self._sql, self._lsql, self._jsql, self._ssql = _statements()
        self._pool: AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]] | None = None
        self._opening = asyncio.Lock()

    async def _ready(self) -> AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]]:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await self._open()
        return self._pool

    async def _open(self) -> AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]]:
        min_size, max_size = self._pool_size
        pool: AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]] = AsyncConnectionPool(
            self._conninfo,
            min_size=min_size,
            max_size=max_size,
            kwargs={"autocommit": True},
            open=False,
        )
        try:
            await pool.open(wait=True, timeout=_OPEN_TIMEOUT_S)
            async with pool.connection() as conn:
                await self._migrate(conn)
        except BaseException:
            await pool.close()
            raise
        return pool

    async def _revision(self, conn: AsyncConnection[tuple[Any, ...]]) -> str | None:
        try:
            row = await (await conn.execute(self._sql.schema_revision)).fetchone()
        except errors.UndefinedTable:
            return None
        return None if row is None else str(row[0])

    async def _migrate(self, conn: AsyncConnection[tuple[Any, ...]]) -> None:
        if await self._revision(conn) == migrate.HEAD_REVISION:
            return
        # Session-level lock: other processes opening now wait here, then find it done.
        await conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        try:
            if await self._revision(conn) != migrate.HEAD_REVISION:
                await asyncio.to_thread(self._upgrade)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))

    def _upgrade(self) -> None:
        # Connecting through psycopg itself: SQLAlchemy would read the URL's query slightly
        # differently from libpq (e.g. '+' in options) and could migrate another schema.
        migrate.upgrade("postgresql+psycopg://", creator=lambda: psycopg.connect(self._conninfo))

    async def create_execution(self, execution: ExecutionRow, events: Sequence[EventRow]) -> None:
        await self._create(rows.execution_params(execution, rows.as_utc), events)

    async def _create(
        self,
        params: dict[str, Any],
        events: Sequence[EventRow],
        also: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        """Insert an execution (`params`), its events and the rows of `also` (statement,
        parameters) in one transaction."""
        execution_id = params["execution_id"]
        event_rows = [rows.event_params(event, rows.as_utc) for event in events]
        async with (await self._ready()).connection() as conn:
            try:
                async with conn.transaction(), conn.cursor() as cur:
                    await cur.execute(self._sql.insert_execution, params)
                    if event_rows:
                        await cur.executemany(self._sql.insert_event, event_rows)
                    for sql, row in also:
                        await cur.execute(sql, row)
            except errors.UniqueViolation as exc:
                if exc.diag.constraint_name == "pk_executions":
                    raise ExecutionExistsError(execution_id) from exc
                raise await self._conflict(conn, execution_id, event_rows) from exc

    async def append_events(
        self,
        execution_id: str,
        events: Sequence[EventRow],
        *,
        state: ExecutionState | None = None,
        output: bytes | None = None,
    ) -> None:
        touch = rows.touch_params(execution_id, state, output, utcnow())
        event_rows = [rows.event_params(event, rows.as_utc) for event in events]
        async with (await self._ready()).connection() as conn:
            try:
                async with conn.transaction(), conn.cursor() as cur:
                    # Updating first also takes the execution's row lock, which queues
                    # concurrent appenders instead of letting them interleave.
                    await cur.execute(self._sql.touch_execution, touch)
                    if cur.rowcount == 0:
                        raise KeyError(execution_id)
                    if event_rows:
                        await cur.executemany(self._sql.insert_event, event_rows)
            except errors.UniqueViolation as exc:
                raise await self._conflict(conn, execution_id, event_rows) from exc

    async def _conflict(
        self,
        conn: AsyncConnection[tuple[Any, ...]],
        execution_id: str,
        event_rows: list[dict[str, Any]],
    ) -> EventConflictError:
        # After the rollback, so that rows of the failed batch itself do not look taken.
        seqs = [row["seq"] for row in event_rows]
        bounds = {"b_execution_id": execution_id, "first_seq": min(seqs), "last_seq": max(seqs)}
        found = await (await conn.execute(self._sql.taken_seqs, bounds)).fetchall()
        return EventConflictError(execution_id, rows.first_taken_seq(seqs, [s for (s,) in found]))

    async def get_execution(
        self, execution_id: str, *, with_events: bool = True
    ) -> ExecutionRow | None:
        key = {"b_execution_id": execution_id, "after_seq": -1}
        async with (await self._ready()).connection() as conn, conn.transaction():
            # One snapshot for both SELECTs, so the state matches the events.
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            found = await (await conn.execute(self._sql.select_execution, key)).fetchone()
            if found is None:
                return None
            execution = rows.execution_from_row(found, _read_time)
            if with_events:
                execution.events = await self._events(conn, key)
        return execution

    async def get_events(self, execution_id: str, *, after_seq: int = -1) -> list[EventRow]:
        key = {"b_execution_id": execution_id, "after_seq": after_seq}
        async with (await self._ready()).connection() as conn:
            return await self._events(conn, key)

    async def _events(
        self, conn: AsyncConnection[tuple[Any, ...]], key: dict[str, Any]
    ) -> list[EventRow]:
        found = await (await conn.execute(self._sql.select_events, key)).fetchall()
        return [rows.event_from_row(row, _read_time) for row in found]

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
        async with (await self._ready()).connection() as conn:
            found = await (await conn.execute(sql, params)).fetchall()
        return [rows.execution_from_row(row, _read_time) for row in found]

    async def cache_get(self, key: str, now: datetime) -> bytes | None:
        params = {"key": key, "now": rows.as_utc(now)}
        async with (await self._ready()).connection() as conn:
            row = await (await conn.execute(self._sql.cache_get, params)).fetchone()
        return None if row is None else bytes(row[0])

    async def cache_set(self, key: str, value: bytes, expires_at: datetime | None) -> None:
        params = {
            "key": key,
            "value": value,
            "expires_at": None if expires_at is None else rows.as_utc(expires_at),
            "created_at": utcnow(),
        }
        async with (await self._ready()).connection() as conn:
            await conn.execute(self._sql.cache_set, params)

    async def secret_get(self, names: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        async with (await self._ready()).connection() as conn, conn.transaction():
            for name in names:
                row = await (await conn.execute(self._sql.secret_get, {"name": name})).fetchone()
                if row is not None:
                    found[name] = bytes(row[0])
        return found

    async def secret_set(self, name: str, value: bytes) -> None:
        now = utcnow()
        params = {"name": name, "value": value, "created_at": now, "updated_at": now}
        async with (await self._ready()).connection() as conn:
            await conn.execute(self._sql.secret_set, params)

    async def secret_delete(self, name: str) -> bool:
        async with (await self._ready()).connection() as conn:
            cur = await conn.execute(self._sql.secret_delete, {"name": name})
            return cur.rowcount > 0

    async def secret_names(self) -> list[str]:
        async with (await self._ready()).connection() as conn:
            found = await (await conn.execute(self._sql.secret_names)).fetchall()
        return [name for (name,) in found]

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
