"""The dashboard's reads on `PostgresStore`: filtered execution lists and finished runs per
minute. A mixin like `postgres_jobs`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select

from flux.domain.events import ExecutionState
from flux.orchestrator.store import MinuteCount, RunQuery, RunRow
from flux.storage import rows
from flux.storage.lease_statements import RUN_COLUMNS
from flux.storage.postgres_leases import read_time
from flux.storage.schema import executions
from flux.storage.stats_statements import StatsStatements, postgres_minute, query_params


@cache
def _statements() -> tuple[StatsStatements, str]:
    from sqlalchemy import create_engine

    dialect = create_engine("postgresql+psycopg://").dialect
    # psycopg sends a Python list as an array: one statement for any number of ids.
    by_ids = select(*(executions.c[name] for name in RUN_COLUMNS)).where(
        executions.c.execution_id == func.any(bindparam("ids"))
    )
    return StatsStatements(dialect, postgres_minute), str(by_ids.compile(dialect=dialect))


class PostgresStats:
    async def _fetchall(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        raise NotImplementedError

    async def search_runs(self, query: RunQuery, limit: int, offset: int) -> list[RunRow]:
        key, params = query_params(query, rows.as_utc)
        sql = _statements()[0].search(key)
        found = await self._fetchall(sql, {**params, "limit": limit, "offset": offset})
        return [rows.run_from_row(row, read_time) for row in found]

    async def count_search(self, query: RunQuery) -> int:
        key, params = query_params(query, rows.as_utc)
        return int((await self._fetchall(_statements()[0].count(key), params))[0][0])

    async def get_runs(self, execution_ids: Sequence[str]) -> list[RunRow]:
        if not execution_ids:
            return []
        found = await self._fetchall(_statements()[1], {"ids": list(dict.fromkeys(execution_ids))})
        return [rows.run_from_row(row, read_time) for row in found]

    async def finished_by_minute(self, since: datetime) -> list[MinuteCount]:
        found = await self._fetchall(
            _statements()[0].finished_by_minute, {"since": rows.as_utc(since)}
        )
        return [
            MinuteCount(minute.replace(tzinfo=UTC), ExecutionState(state), int(count))
            for minute, state, count in found
        ]
