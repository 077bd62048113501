"""Retention on `SqliteStore`: a mixin like `sqlite_jobs`, each prune one short write
transaction so that a large backlog never holds the write lock for long."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import datetime
from functools import cache

from flux.storage.retention_statements import RetentionStatements, compile_retention_statements
from flux.storage.sqlite_leases import stamp


@cache
def _statements() -> RetentionStatements:
    from sqlalchemy import create_engine

    return compile_retention_statements(create_engine("sqlite://", paramstyle="named").dialect)


class SqliteRetention:
    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    async def execution_workflow_names(self) -> list[str]:
        with self._read() as conn:
            return sorted(row[0] for row in conn.execute(_statements().workflow_names))

    async def prune_executions(self, workflow: str, cutoff: datetime, limit: int) -> int:
        params = {"workflow": workflow, "cutoff": stamp(cutoff), "limit": limit, "offset": 0}
        with self._write() as conn:
            return conn.execute(_statements().prune, params).rowcount

    async def count_prunable(self, workflow: str, cutoff: datetime) -> int:
        params = {"workflow": workflow, "cutoff": stamp(cutoff)}
        with self._read() as conn:
            count: int = conn.execute(_statements().count, params).fetchone()[0]
        return count
