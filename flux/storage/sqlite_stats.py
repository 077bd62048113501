"""The dashboard's reads on `SqliteStore`: filtered execution lists and finished runs per
minute. A mixin like `sqlite_jobs`, each method one read of the store's connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from functools import cache

from flux.domain.events import ExecutionState
from flux.orchestrator.store import MinuteCount, RunQuery, RunRow
from flux.storage import rows
from flux.storage.lease_statements import LeaseStatements
from flux.storage.sqlite_leases import read_time, stamp
from flux.storage.stats_statements import StatsStatements, query_params, sqlite_minute


@cache
def _statements() -> StatsStatements:
    from sqlalchemy import create_engine

    return StatsStatements(create_engine("sqlite://", paramstyle="named").dialect, sqlite_minute)


class SqliteStats:
    _lsql: LeaseStatements

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    async def search_runs(self, query: RunQuery, limit: int, offset: int) -> list[RunRow]:
        key, params = query_params(query, stamp)
        sql = _statements().search(key)
        with self._read() as conn:
            found = conn.execute(sql, {**params, "limit": limit, "offset": offset}).fetchall()
        return [rows.run_from_row(row, read_time) for row in found]

    async def count_search(self, query: RunQuery) -> int:
        key, params = query_params(query, stamp)
        with self._read() as conn:
            return int(conn.execute(_statements().count(key), params).fetchone()[0])

    async def get_runs(self, execution_ids: Sequence[str]) -> list[RunRow]:
        # One read transaction; each lookup is a primary-key probe of a few microseconds.
        found = []
        with self._read() as conn:
            for execution_id in dict.fromkeys(execution_ids):
                row = conn.execute(
                    self._lsql.select_run, {"b_execution_id": execution_id}
                ).fetchone()
                if row is not None:
                    found.append(rows.run_from_row(row, read_time))
        return found

    async def finished_by_minute(self, since: datetime) -> list[MinuteCount]:
        with self._read() as conn:
            found = conn.execute(
                _statements().finished_by_minute, {"since": stamp(since)}
            ).fetchall()
        return [
            MinuteCount(read_time(f"{minute}:00+00:00"), ExecutionState(state), int(count))
            for minute, state, count in found
        ]
