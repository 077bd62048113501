"""API keys on `SqliteStore`: a mixin like `sqlite_audit`. The first admin key is decided
inside one `BEGIN IMMEDIATE` transaction, which no other process's writer can interleave."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from functools import cache

from flux.orchestrator.store import ApiKeyRow
from flux.storage.api_key_statements import ApiKeyStatements, key_from_row, key_params
from flux.storage.sqlite_leases import read_time, stamp


@cache
def _statements() -> ApiKeyStatements:
    from sqlalchemy import create_engine

    return ApiKeyStatements(create_engine("sqlite://", paramstyle="named").dialect)


class SqliteApiKeys:
    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    async def create_api_key(self, key: ApiKeyRow, *, unless_admin_exists: bool = False) -> bool:
        sql = _statements()
        with self._write() as conn:
            if unless_admin_exists and conn.execute(sql.admin_exists).fetchone() is not None:
                return False
            conn.execute(sql.insert, key_params(key, stamp))
        return True

    async def get_api_key(self, key_id: str) -> ApiKeyRow | None:
        with self._read() as conn:
            found = conn.execute(_statements().select, {"id": key_id}).fetchone()
        return None if found is None else key_from_row(found, read_time)

    async def list_api_keys(self) -> list[ApiKeyRow]:
        with self._read() as conn:
            found = conn.execute(_statements().list).fetchall()
        return [key_from_row(row, read_time) for row in found]

    async def revoke_api_key(self, key_id: str, at: datetime) -> ApiKeyRow | None:
        sql = _statements()
        with self._write() as conn:
            conn.execute(sql.revoke, {"id": key_id, "at": stamp(at)})
            found = conn.execute(sql.select, {"id": key_id}).fetchone()
        return None if found is None else key_from_row(found, read_time)

    async def touch_api_keys(self, used: Sequence[tuple[str, datetime]]) -> None:
        if not used:
            return
        with self._write() as conn:
            conn.executemany(
                _statements().touch, [{"id": key_id, "at": stamp(at)} for key_id, at in used]
            )
