"""API keys on `PostgresStore`: a mixin like `postgres_audit`.

The first admin key: under READ COMMITTED two replicas starting together would both see no
admin key and both insert one, so the check and the insert run under a transaction-scoped
advisory lock that serializes exactly that decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from flux.orchestrator.store import ApiKeyRow
from flux.storage import rows
from flux.storage.api_key_statements import ApiKeyStatements, key_from_row, key_params
from flux.storage.postgres_leases import read_time

# Any constant unique to this decision; bigint key of pg_advisory_xact_lock.
_FIRST_ADMIN_LOCK = 0x464C5558_0006  # "FLUX" + the migration that made the table


@cache
def _statements() -> ApiKeyStatements:
    from sqlalchemy import create_engine

    return ApiKeyStatements(create_engine("postgresql+psycopg://").dialect)


class PostgresApiKeys:
    async def _ready(self) -> AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]]:
        raise NotImplementedError

    async def _fetchall(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        raise NotImplementedError

    async def create_api_key(self, key: ApiKeyRow, *, unless_admin_exists: bool = False) -> bool:
        sql = _statements()
        async with (await self._ready()).connection() as conn, conn.transaction():
            if unless_admin_exists:
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(%(lock)s)", {"lock": _FIRST_ADMIN_LOCK}
                )
                if await (await conn.execute(sql.admin_exists)).fetchone() is not None:
                    return False
            await conn.execute(sql.insert, key_params(key, rows.as_utc))
        return True

    async def get_api_key(self, key_id: str) -> ApiKeyRow | None:
        found = await self._fetchall(_statements().select, {"id": key_id})
        return key_from_row(found[0], read_time) if found else None

    async def list_api_keys(self) -> list[ApiKeyRow]:
        return [key_from_row(row, read_time) for row in await self._fetchall(_statements().list)]

    async def revoke_api_key(self, key_id: str, at: datetime) -> ApiKeyRow | None:
        sql = _statements()
        async with (await self._ready()).connection() as conn, conn.transaction():
            await conn.execute(sql.revoke, {"id": key_id, "at": rows.as_utc(at)})
            found = await (await conn.execute(sql.select, {"id": key_id})).fetchone()
        return None if found is None else key_from_row(found, read_time)

    async def touch_api_keys(self, used: Sequence[tuple[str, datetime]]) -> None:
        if not used:
            return
        params = [{"id": key_id, "at": rows.as_utc(at)} for key_id, at in used]
        pool = await self._ready()
        async with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            await cur.executemany(_statements().touch, params)
