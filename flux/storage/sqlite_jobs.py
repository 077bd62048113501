"""The script-job half of `SqliteStore`: jobs, run-at timers, live step output.

A mixin like `sqlite_leases`, each method one transaction of the store's connection. The
timer's release is one `UPDATE ... RETURNING` inside `BEGIN IMMEDIATE`: the write lock makes
it exclusive across processes, so each row moves once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from flux.domain.events import ExecutionState
from flux.engine.store import EventRow, ExecutionExistsError, ExecutionRow
from flux.orchestrator.store import JobRow, JobRun, LogChunk, NewJob, QueuedRun
from flux.storage import rows
from flux.storage.job_statements import JobStatements, job_filters
from flux.storage.sqlite_leases import read_time, stamp
from flux.storage.statements import Statements


class SqliteJobs:
    _conn: sqlite3.Connection
    _sql: Statements
    _jsql: JobStatements

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _create(
        self,
        params: dict[str, Any],
        events: Sequence[EventRow],
        also: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        raise NotImplementedError

    def _events(self, conn: sqlite3.Connection, key: dict[str, Any]) -> list[EventRow]:
        raise NotImplementedError

    # Script jobs

    async def create_job(self, row: ExecutionRow, events: Sequence[EventRow], job: JobRow) -> None:
        params = rows.execution_params(row, stamp, run_at=job.run_at)
        self._create(params, events, [(self._jsql.insert_job, rows.job_params(job, stamp))])

    async def create_jobs(self, jobs: Sequence[NewJob]) -> list[Exception | None]:
        prepared = [
            (
                rows.execution_params(row, stamp, run_at=job.run_at),
                [rows.event_params(event, stamp) for event in events],
                rows.job_params(job, stamp),
            )
            for row, events, job in jobs
        ]
        results: list[Exception | None] = [None] * len(prepared)
        with self._write() as conn:
            for index, (params, event_rows, job_row) in enumerate(prepared):
                try:
                    conn.execute(self._sql.insert_execution, params)
                except sqlite3.IntegrityError as exc:
                    # Only this statement is undone; the batch's transaction goes on.
                    if exc.sqlite_errorname != "SQLITE_CONSTRAINT_PRIMARYKEY":
                        raise
                    results[index] = ExecutionExistsError(params["execution_id"])
                    continue
                conn.executemany(self._sql.insert_event, event_rows)
                conn.execute(self._jsql.insert_job, job_row)
        return results

    async def get_job(self, execution_id: str) -> JobRun | None:
        key = {"b_execution_id": execution_id, "after_seq": -1}
        with self._read() as conn:
            found = conn.execute(self._jsql.select_job, key).fetchone()
            if found is None:
                return None
            job = rows.job_run_from_row(found, read_time)
            job.run.execution.events = self._events(conn, key)
        return job

    async def list_jobs(
        self,
        *,
        name: str | None = None,
        type: str | None = None,
        states: Sequence[ExecutionState] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[JobRun]:
        key, params = job_filters(name, type, states)
        with self._read() as conn:
            found = conn.execute(
                self._jsql.list_jobs[key], {**params, "limit": limit, "offset": offset}
            ).fetchall()
        return [rows.job_run_from_row(row, read_time) for row in found]

    async def count_jobs(
        self,
        *,
        name: str | None = None,
        type: str | None = None,
        states: Sequence[ExecutionState] | None = None,
    ) -> int:
        key, params = job_filters(name, type, states)
        with self._read() as conn:
            return int(conn.execute(self._jsql.count_jobs[key], params).fetchone()[0])

    # Timers

    async def release_due(self, now: datetime, limit: int) -> list[QueuedRun]:
        params = {"now": stamp(now), "b_updated_at": stamp(now), "limit": limit, "offset": 0}
        with self._write() as conn:
            # Read before COMMIT, which SQLite refuses while a statement has rows to hand out.
            found = conn.execute(self._jsql.release_due, params).fetchall()
        return rows.released_from_rows(found, read_time)

    async def next_due(self) -> datetime | None:
        with self._read() as conn:
            (earliest,) = conn.execute(self._jsql.next_due).fetchone()
        return None if earliest is None else read_time(earliest)

    # Live output of running steps

    async def append_logs(self, chunks: Sequence[LogChunk]) -> None:
        params = [rows.log_params(chunk, stamp) for chunk in chunks]
        if not params:
            return
        with self._write() as conn:
            conn.executemany(self._jsql.append_log, params)

    async def read_logs(
        self, execution_id: str, step_id: str | None = None, after: int = 0
    ) -> list[LogChunk]:
        params = {"b_execution_id": execution_id, "step_id": step_id, "after": after}
        with self._read() as conn:
            found = conn.execute(self._jsql.read_logs[step_id is not None], params).fetchall()
        return [rows.log_from_row(row, read_time) for row in found]
