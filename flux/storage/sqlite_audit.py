"""The audit log on `SqliteStore`: a mixin like `sqlite_retention`. A batch of records is
one write transaction, so the audit writer takes the write lock a few times a second, not
once per request."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from functools import cache

from flux.orchestrator.store import AuditQuery, AuditRecord
from flux.storage.audit_statements import (
    AuditStatements,
    audit_params,
    record_from_row,
    record_params,
)
from flux.storage.sqlite_leases import read_time, stamp


@cache
def _statements() -> AuditStatements:
    from sqlalchemy import create_engine

    return AuditStatements(create_engine("sqlite://", paramstyle="named").dialect)


class SqliteAudit:
    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    async def append_audit(self, records: Sequence[AuditRecord]) -> None:
        if not records:
            return
        with self._write() as conn:
            conn.executemany(_statements().insert, [record_params(r, stamp) for r in records])

    async def list_audit(self, query: AuditQuery, limit: int) -> list[AuditRecord]:
        key, params = audit_params(query, stamp)
        with self._read() as conn:
            found = conn.execute(
                _statements().list(key), {**params, "limit": limit, "offset": 0}
            ).fetchall()
        return [record_from_row(row, read_time) for row in found]

    async def prune_audit(self, cutoff: datetime, limit: int) -> int:
        params = {"cutoff": stamp(cutoff), "limit": limit, "offset": 0}
        with self._write() as conn:
            return conn.execute(_statements().prune, params).rowcount
