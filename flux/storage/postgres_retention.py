"""Retention on `PostgresStore`: a mixin like `postgres_jobs`; each prune is one bounded
DELETE in its own transaction (autocommit), so a backlog never holds locks for long."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from flux.storage import rows
from flux.storage.retention_statements import RetentionStatements, compile_retention_statements


@cache
def _statements() -> RetentionStatements:
    from sqlalchemy import create_engine

    return compile_retention_statements(create_engine("postgresql+psycopg://").dialect)


class PostgresRetention:
    async def _ready(self) -> AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]]:
        raise NotImplementedError

    async def _fetchall(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        raise NotImplementedError

    async def execution_workflow_names(self) -> list[str]:
        return sorted(row[0] for row in await self._fetchall(_statements().workflow_names))

    async def prune_executions(self, workflow: str, cutoff: datetime, limit: int) -> int:
        params = {"workflow": workflow, "cutoff": rows.as_utc(cutoff), "limit": limit, "offset": 0}
        async with (await self._ready()).connection() as conn:
            cur = await conn.execute(_statements().prune, params)
            return cur.rowcount

    async def count_prunable(self, workflow: str, cutoff: datetime) -> int:
        params = {"workflow": workflow, "cutoff": rows.as_utc(cutoff)}
        return int((await self._fetchall(_statements().count, params))[0][0])
