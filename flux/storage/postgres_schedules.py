"""The schedules half of `PostgresStore`.

A mixin like `postgres_jobs`. A fire is one transaction: the revision-checked UPDATE of the
schedule (which also takes its row lock, so a second replica firing the same time waits,
then matches nothing and writes nothing), the runs it starts and its fire rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg import errors

from flux.engine.store import ExecutionRow
from flux.errors import ScheduleExistsError
from flux.orchestrator.store import ScheduleFire, ScheduleRow
from flux.storage import rows
from flux.storage.postgres_leases import Pool, read_time
from flux.storage.schedule_statements import UPDATED_COLUMNS, ScheduleStatements
from flux.storage.statements import Statements


class _LostRace(Exception):
    """Rolls the fire's transaction back: another writer changed the schedule first."""


class PostgresSchedules:
    _sql: Statements
    _ssql: ScheduleStatements

    async def _ready(self) -> Pool:
        raise NotImplementedError

    async def _fetchall(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        raise NotImplementedError

    async def create_schedule(self, row: ScheduleRow) -> None:
        async with (await self._ready()).connection() as conn:
            try:
                await conn.execute(
                    self._ssql.insert_schedule, rows.schedule_params(row, rows.as_utc)
                )
            except errors.UniqueViolation as exc:
                raise ScheduleExistsError(row.name) from exc

    async def get_schedule(self, key: str) -> ScheduleRow | None:
        found = await self._fetchall(self._ssql.select_by_id, {"key": key})
        if not found:
            found = await self._fetchall(self._ssql.select_by_name, {"key": key})
        return rows.schedule_from_row(found[0], read_time) if found else None

    async def list_schedules(self) -> list[ScheduleRow]:
        found = await self._fetchall(self._ssql.list_schedules)
        return [rows.schedule_from_row(row, read_time) for row in found]

    async def update_schedule(
        self,
        row: ScheduleRow,
        *,
        fires: Sequence[ScheduleFire] = (),
        runs: Sequence[ExecutionRow] = (),
    ) -> bool:
        params = rows.schedule_update_params(row, rows.as_utc, UPDATED_COLUMNS)
        async with (await self._ready()).connection() as conn:
            try:
                async with conn.transaction(), conn.cursor() as cur:
                    await cur.execute(self._ssql.update_schedule, params)
                    if cur.rowcount == 0:
                        raise _LostRace
                    for run in runs:
                        execution = rows.execution_params(run, rows.as_utc)
                        await cur.execute(self._sql.insert_execution, execution)
                        events = [rows.event_params(e, rows.as_utc) for e in run.events]
                        if events:
                            await cur.executemany(self._sql.insert_event, events)
                    if fires:
                        await cur.executemany(
                            self._ssql.insert_fire,
                            [rows.fire_params(f, rows.as_utc) for f in fires],
                        )
            except (_LostRace, errors.UniqueViolation):
                return False
        row.revision += 1
        return True

    async def delete_schedule(self, schedule_id: str) -> bool:
        async with (await self._ready()).connection() as conn:
            cur = await conn.execute(self._ssql.delete_schedule, {"b_id": schedule_id})
            return cur.rowcount > 0

    async def due_schedules(self, now: datetime, limit: int) -> list[ScheduleRow]:
        params = {"now": rows.as_utc(now), "limit": limit, "offset": 0}
        found = await self._fetchall(self._ssql.due_schedules, params)
        return [rows.schedule_from_row(row, read_time) for row in found]

    async def next_schedule_due(self) -> datetime | None:
        ((earliest,),) = await self._fetchall(self._ssql.next_due)
        return None if earliest is None else read_time(earliest)

    async def schedule_fires(self, schedule_id: str, limit: int) -> list[ScheduleFire]:
        params = {"b_id": schedule_id, "limit": limit, "offset": 0}
        found = await self._fetchall(self._ssql.list_fires, params)
        return [rows.fire_from_row(row, read_time) for row in found]
