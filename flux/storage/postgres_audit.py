"""The audit log on `PostgresStore`: a mixin like `postgres_retention`. A batch of records
is one transaction; each prune one bounded DELETE."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from flux.orchestrator.store import AuditQuery, AuditRecord
from flux.storage import rows
from flux.storage.audit_statements import (
    AuditStatements,
    audit_params,
    record_from_row,
    record_params,
)
from flux.storage.postgres_leases import read_time


@cache
def _statements() -> AuditStatements:
    from sqlalchemy import create_engine

    return AuditStatements(create_engine("postgresql+psycopg://").dialect)


class PostgresAudit:
    async def _ready(self) -> AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]]:
        raise NotImplementedError

    async def _fetchall(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        raise NotImplementedError

    async def append_audit(self, records: Sequence[AuditRecord]) -> None:
        if not records:
            return
        params = [record_params(record, rows.as_utc) for record in records]
        pool = await self._ready()
        async with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            await cur.executemany(_statements().insert, params)

    async def list_audit(self, query: AuditQuery, limit: int) -> list[AuditRecord]:
        key, params = audit_params(query, rows.as_utc)
        found = await self._fetchall(
            _statements().list(key), {**params, "limit": limit, "offset": 0}
        )
        return [record_from_row(row, read_time) for row in found]

    async def prune_audit(self, cutoff: datetime, limit: int) -> int:
        params = {"cutoff": rows.as_utc(cutoff), "limit": limit, "offset": 0}
        async with (await self._ready()).connection() as conn:
            cur = await conn.execute(_statements().prune, params)
            return cur.rowcount
