"""The schedules half of `SqliteStore`.

A mixin like `sqlite_jobs`, each method one transaction of the store's connection. A fire
is one `BEGIN IMMEDIATE` transaction: the revision-checked UPDATE of the schedule, then the
runs it starts and its fire rows, so a fire is all written or not at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from flux.engine.store import ExecutionRow
from flux.errors import ScheduleExistsError
from flux.orchestrator.store import ScheduleFire, ScheduleRow
from flux.storage import rows
from flux.storage.schedule_statements import UPDATED_COLUMNS, ScheduleStatements
from flux.storage.sqlite_leases import read_time, stamp
from flux.storage.statements import Statements


class SqliteSchedules:
    _sql: Statements
    _ssql: ScheduleStatements

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    async def create_schedule(self, row: ScheduleRow) -> None:
        try:
            with self._write() as conn:
                conn.execute(self._ssql.insert_schedule, rows.schedule_params(row, stamp))
        except sqlite3.IntegrityError as exc:
            raise ScheduleExistsError(row.name) from exc

    async def get_schedule(self, key: str) -> ScheduleRow | None:
        with self._read() as conn:
            found = conn.execute(self._ssql.select_by_id, {"key": key}).fetchone()
            if found is None:
                found = conn.execute(self._ssql.select_by_name, {"key": key}).fetchone()
        return None if found is None else rows.schedule_from_row(found, read_time)

    async def list_schedules(self) -> list[ScheduleRow]:
        with self._read() as conn:
            found = conn.execute(self._ssql.list_schedules).fetchall()
        return [rows.schedule_from_row(row, read_time) for row in found]

    async def update_schedule(
        self,
        row: ScheduleRow,
        *,
        fires: Sequence[ScheduleFire] = (),
        runs: Sequence[ExecutionRow] = (),
    ) -> bool:
        params = rows.schedule_update_params(row, stamp, UPDATED_COLUMNS)
        try:
            with self._write() as conn:
                if conn.execute(self._ssql.update_schedule, params).rowcount == 0:
                    return False
                for run in runs:
                    conn.execute(self._sql.insert_execution, rows.execution_params(run, stamp))
                    conn.executemany(
                        self._sql.insert_event, [rows.event_params(e, stamp) for e in run.events]
                    )
                conn.executemany(
                    self._ssql.insert_fire, [rows.fire_params(fire, stamp) for fire in fires]
                )
        except sqlite3.IntegrityError as exc:
            if exc.sqlite_errorname != "SQLITE_CONSTRAINT_PRIMARYKEY":
                raise
            return False  # a fire time stored already: rolled back whole
        row.revision += 1
        return True

    async def delete_schedule(self, schedule_id: str) -> bool:
        with self._write() as conn:
            return conn.execute(self._ssql.delete_schedule, {"b_id": schedule_id}).rowcount > 0

    async def due_schedules(self, now: datetime, limit: int) -> list[ScheduleRow]:
        params = {"now": stamp(now), "limit": limit, "offset": 0}
        with self._read() as conn:
            found = conn.execute(self._ssql.due_schedules, params).fetchall()
        return [rows.schedule_from_row(row, read_time) for row in found]

    async def next_schedule_due(self) -> datetime | None:
        with self._read() as conn:
            (earliest,) = conn.execute(self._ssql.next_due).fetchone()
        return None if earliest is None else read_time(earliest)

    async def schedule_fires(self, schedule_id: str, limit: int) -> list[ScheduleFire]:
        params = {"b_id": schedule_id, "limit": limit, "offset": 0}
        with self._read() as conn:
            found = conn.execute(self._ssql.list_fires, params).fetchall()
        return [rows.fire_from_row(row, read_time) for row in found]
