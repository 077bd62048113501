"""The script-job half of `PostgresStore`: jobs, run-at timers, live step output.

A mixin like `postgres_leases`. The timer's release is one `UPDATE ... WHERE execution_id IN
(SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`: replicas releasing at once lock disjoint rows,
so each row moves once and none waits behind another replica.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flux.domain.events import ExecutionState
from flux.engine.store import EventRow, ExecutionExistsError, ExecutionRow
from flux.orchestrator.store import JobRow, JobRun, LogChunk, NewJob, QueuedRun
from flux.storage import rows
from flux.storage.job_statements import JobStatements, job_filters
from flux.storage.postgres_leases import Conn, Pool, read_time
from flux.storage.statements import Statements


class PostgresJobs:
    _sql: Statements
    _jsql: JobStatements

    async def _ready(self) -> Pool:
        raise NotImplementedError

    async def _fetchall(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        raise NotImplementedError

    async def _create(
        self,
        params: dict[str, Any],
        events: Sequence[EventRow],
        also: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        raise NotImplementedError

    async def _events(self, conn: Conn, key: dict[str, Any]) -> list[EventRow]:
        raise NotImplementedError

    # Script jobs

    async def create_job(self, row: ExecutionRow, events: Sequence[EventRow], job: JobRow) -> None:
        params = rows.execution_params(row, rows.as_utc, run_at=job.run_at)
        job_row = rows.job_params(job, rows.as_utc)
        await self._create(params, events, [(self._jsql.insert_job, job_row)])

    async def create_jobs(self, jobs: Sequence[NewJob]) -> list[Exception | None]:
        results: list[Exception | None] = [None] * len(jobs)
        event_rows: list[dict[str, Any]] = []
        job_rows: list[dict[str, Any]] = []
        async with (
            (await self._ready()).connection() as conn,
            conn.transaction(),
            conn.cursor() as cur,
        ):
            for index, (row, events, job) in enumerate(jobs):
                params = rows.execution_params(row, rows.as_utc, run_at=job.run_at)
                await cur.execute(self._jsql.insert_new_execution, params)
                if await cur.fetchone() is None:
                    results[index] = ExecutionExistsError(row.execution_id)
                    continue
                event_rows.extend(rows.event_params(event, rows.as_utc) for event in events)
                job_rows.append(rows.job_params(job, rows.as_utc))
            # executemany pipelines its statements: a few round trips for the whole batch.
            if event_rows:
                await cur.executemany(self._sql.insert_event, event_rows)
            if job_rows:
                await cur.executemany(self._jsql.insert_job, job_rows)
        return results

    async def get_job(self, execution_id: str) -> JobRun | None:
        key = {"b_execution_id": execution_id, "after_seq": -1}
        async with (await self._ready()).connection() as conn, conn.transaction():
            # One snapshot for the row and its events.
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            found = await (await conn.execute(self._jsql.select_job, key)).fetchone()
            if found is None:
                return None
            job = rows.job_run_from_row(found, read_time)
            job.run.execution.events = await self._events(conn, key)
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
        found = await self._fetchall(
            self._jsql.list_jobs[key], {**params, "limit": limit, "offset": offset}
        )
        return [rows.job_run_from_row(row, read_time) for row in found]

    async def count_jobs(
        self,
        *,
        name: str | None = None,
        type: str | None = None,
        states: Sequence[ExecutionState] | None = None,
    ) -> int:
        key, params = job_filters(name, type, states)
        return int((await self._fetchall(self._jsql.count_jobs[key], params))[0][0])

    # Timers

    async def release_due(self, now: datetime, limit: int) -> list[QueuedRun]:
        moment = rows.as_utc(now)
        params = {"now": moment, "b_updated_at": moment, "limit": limit, "offset": 0}
        # One statement: atomic on its own in autocommit mode.
        found = await self._fetchall(self._jsql.release_due, params)
        return rows.released_from_rows(found, read_time)

    async def next_due(self) -> datetime | None:
        ((earliest,),) = await self._fetchall(self._jsql.next_due)
        return None if earliest is None else read_time(earliest)

    # Live output of running steps

    async def append_logs(self, chunks: Sequence[LogChunk]) -> None:
        params = [rows.log_params(chunk, rows.as_utc) for chunk in chunks]
        if not params:
            return
        async with (
            (await self._ready()).connection() as conn,
            conn.transaction(),
            conn.cursor() as cur,
        ):
            await cur.executemany(self._jsql.append_log, params)

    async def read_logs(
        self, execution_id: str, step_id: str | None = None, after: int = 0
    ) -> list[LogChunk]:
        params = {"b_execution_id": execution_id, "step_id": step_id, "after": after}
        found = await self._fetchall(self._jsql.read_logs[step_id is not None], params)
        return [rows.log_from_row(row, read_time) for row in found]
