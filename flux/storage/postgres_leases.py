"""The orchestrator's half of `PostgresStore` (leases, dispatch queue, catalog, workers).

A mixin so that `postgres.py` stays about the engine's store. Each method is one transaction
on a pooled connection. Lease transitions lock the execution's row (`FOR UPDATE`) before
deciding; claim-next and the expired-lease sweep use `FOR UPDATE SKIP LOCKED`, so several
replicas and workers take disjoint rows instead of queueing behind each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, errors
from psycopg_pool import AsyncConnectionPool

from flux.domain.events import ExecutionState, utcnow
from flux.engine.store import EventConflictError, ExecutionRow
from flux.orchestrator.store import (
    CheckpointWrite,
    LeaseLostError,
    QueuedRun,
    ReleasePolicy,
    RunRow,
    Transition,
    WorkerRow,
    WorkflowRow,
    lease_lost_detail,
    server_event,
)
from flux.storage import leases, rows
from flux.storage.lease_statements import LeaseStatements
from flux.storage.statements import Statements

_S = ExecutionState
Conn = AsyncConnection[tuple[Any, ...]]
Pool = AsyncConnectionPool[Conn]


def _filters(workflow_name: str | None, state: ExecutionState | None) -> dict[str, Any]:
    return {"workflow_name": workflow_name, "state": None if state is None else state.value}


def read_time(moment: datetime) -> datetime:
    return rows.as_utc(moment)


class PostgresLeases:
    _sql: Statements
    _lsql: LeaseStatements

    async def _ready(self) -> Pool:
        raise NotImplementedError

    async def _conflict(
        self, conn: Conn, execution_id: str, event_rows: list[dict[str, Any]]
    ) -> EventConflictError:
        raise NotImplementedError

    async def ping(self) -> None:
        async with (await self._ready()).connection() as conn:
            await conn.execute(self._lsql.ping)

    async def _fetchall(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        async with (await self._ready()).connection() as conn:
            return await (await conn.execute(sql, params)).fetchall()

    # Reads

    async def _run(self, conn: Conn, execution_id: str, events: bool) -> RunRow | None:
        key = {"b_execution_id": execution_id, "after_seq": -1}
        found = await (await conn.execute(self._lsql.select_run, key)).fetchone()
        if found is None:
            return None
        run = rows.run_from_row(found, read_time)
        if events:
            found_events = await (await conn.execute(self._sql.select_events, key)).fetchall()
            run.execution.events = [rows.event_from_row(row, read_time) for row in found_events]
        return run

    async def get_run(self, execution_id: str, *, with_events: bool = True) -> RunRow | None:
        async with (await self._ready()).connection() as conn, conn.transaction():
            # One snapshot for the row and its events.
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            return await self._run(conn, execution_id, with_events)

    async def list_runs(
        self,
        *,
        workflow_name: str | None = None,
        state: ExecutionState | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[RunRow]:
        sql = self._lsql.list_runs[(workflow_name is not None, state is not None)]
        params = {**_filters(workflow_name, state), "limit": limit, "offset": offset}
        return [rows.run_from_row(row, read_time) for row in await self._fetchall(sql, params)]

    async def count_runs(
        self, *, workflow_name: str | None = None, state: ExecutionState | None = None
    ) -> int:
        sql = self._lsql.count_runs[(workflow_name is not None, state is not None)]
        return int((await self._fetchall(sql, _filters(workflow_name, state)))[0][0])

    async def count_by_state(self) -> dict[ExecutionState, int]:
        found = await self._fetchall(self._lsql.count_by_state)
        return {ExecutionState(state): count for state, count in found}

    async def queued(self, limit: int) -> list[QueuedRun]:
        found = await self._fetchall(self._lsql.queued, {"limit": limit, "offset": 0})
        return [rows.queued_from_row(row, read_time) for row in found]

    # Lease transitions

    async def _lock_run(self, conn: Conn, execution_id: str) -> leases.LockedRun | None:
        cur = await conn.execute(self._lsql.lock_run, {"b_execution_id": execution_id})
        found = await cur.fetchone()
        return None if found is None else leases.LockedRun.from_row(found, read_time)

    async def _apply(self, conn: Conn, plan: leases.Plan, now: datetime) -> None:
        run = plan.run
        await conn.execute(self._lsql.update_run, plan.update_params(rows.as_utc, now))
        if not plan.events:
            return
        key = {"b_execution_id": run.execution_id}
        found = await (await conn.execute(self._lsql.max_seq, key)).fetchone()
        first = (found[0] if found else -1) + 1
        event_rows = [
            rows.event_params(
                server_event(
                    run.execution_id,
                    first + i,
                    event.type,
                    run.workflow_name,
                    event.value,
                    now,
                    event.source_id,
                ),
                rows.as_utc,
            )
            for i, event in enumerate(plan.events)
        ]
        async with conn.cursor() as cur:
            await cur.executemany(self._sql.insert_event, event_rows)

    async def _claimed(self, conn: Conn, plan: leases.Plan) -> RunRow:
        await self._apply(conn, plan, utcnow())
        run = await self._run(conn, plan.run.execution_id, True)
        assert run is not None
        return run

    async def claim(
        self, execution_id: str, worker_name: str, claimed_value: bytes, expires_at: datetime
    ) -> RunRow:
        async with (await self._ready()).connection() as conn, conn.transaction():
            locked = await self._lock_run(conn, execution_id)
            plan = leases.plan_claim(locked, execution_id, worker_name, claimed_value, expires_at)
            return await self._claimed(conn, plan)

    async def claim_next(
        self,
        worker_name: str,
        claimed_value: bytes,
        expires_at: datetime,
        limit: int,
        fits: Callable[[str | None], bool],
    ) -> list[RunRow]:
        claimed: list[RunRow] = []
        offset = 0
        async with (await self._ready()).connection() as conn, conn.transaction():
            while len(claimed) < limit:
                # Lock only as many rows as may be claimed: a row locked here is skipped by every
                # other claimer until this transaction ends.
                wanted = limit - len(claimed)
                page = {"limit": wanted, "offset": offset}
                found = await (await conn.execute(self._lsql.queued_for_claim, page)).fetchall()
                taken = 0
                for execution_id, requests in found:
                    if len(claimed) < limit and fits(requests):
                        locked = await self._lock_run(conn, execution_id)
                        plan = leases.plan_claim(
                            locked, execution_id, worker_name, claimed_value, expires_at
                        )
                        claimed.append(await self._claimed(conn, plan))
                        taken += 1
                if len(found) < wanted:
                    break
                offset += len(found) - taken
        return claimed

    async def claim_child(
        self,
        parent: CheckpointWrite,
        child: ExecutionRow,
        claimed_value: bytes,
        expires_at: datetime,
    ) -> RunRow:
        parent_id, worker = parent.execution_id, parent.worker_name
        async with (await self._ready()).connection() as conn, conn.transaction():
            locked_parent = await self._lock_run(conn, parent_id)
            leases.require_held(locked_parent, parent_id, worker, parent.epoch)
            locked = await self._lock_run(conn, child.execution_id)
            if locked is None:
                params = rows.execution_params(child, rows.as_utc)
                params["state"] = _S.SCHEDULED.value
                await conn.execute(self._sql.insert_execution, params)
                locked = await self._lock_run(conn, child.execution_id)
            elif locked.state.is_terminal or locked.state is _S.PAUSED:
                run = await self._run(conn, child.execution_id, True)
                assert run is not None
                return run
            plan = leases.plan_claim(
                locked, child.execution_id, worker, claimed_value, expires_at, force=True
            )
            return await self._claimed(conn, plan)

    async def checkpoint(self, write: CheckpointWrite, expires_at: datetime) -> Transition:
        async with (await self._ready()).connection() as conn:
            return await self.checkpoint_on(conn, write, expires_at)

    async def checkpoint_on(
        self, conn: Conn, write: CheckpointWrite, expires_at: datetime
    ) -> Transition:
        params = leases.checkpoint_params(
            write.execution_id,
            write.worker_name,
            write.epoch,
            write.state,
            write.output,
            write.error,
            rows.as_utc(expires_at),
            utcnow(),
        )
        event_rows = [rows.event_params(event, rows.as_utc) for event in write.events]
        try:
            async with conn.transaction(), conn.cursor() as cur:
                await cur.execute(self._lsql.checkpoint, params)
                found = await cur.fetchone()
                if found is None:
                    raise await self._lease_lost(conn, write)
                if event_rows:
                    await cur.executemany(self._sql.insert_event, event_rows)
        except errors.UniqueViolation as exc:
            raise await self._conflict(conn, write.execution_id, event_rows) from exc
        state, workflow_name, parent = found
        return Transition(write.execution_id, workflow_name, _S(state), write.worker_name, parent)

    async def _lease_lost(self, conn: Conn, write: CheckpointWrite) -> Exception:
        locked = await self._lock_run(conn, write.execution_id)
        if locked is None:
            return KeyError(write.execution_id)
        detail = lease_lost_detail(locked.state, locked.lease, write.worker_name, write.epoch)
        return LeaseLostError(write.execution_id, detail)

    async def renew(
        self,
        worker_name: str,
        held: Sequence[tuple[str, int]],
        expires_at: datetime,
        resources: str | None,
        now: datetime,
    ) -> list[str]:
        params = [
            {
                "b_execution_id": execution_id,
                "b_worker_name": worker_name,
                "b_lease_epoch": epoch,
                "b_lease_expires_at": rows.as_utc(expires_at),
            }
            for execution_id, epoch in held
        ]
        renewed: set[str] = set()
        touch = {"b_name": worker_name, "b_now": rows.as_utc(now), "b_resources": resources}
        async with (await self._ready()).connection() as conn, conn.transaction():
            async with conn.cursor() as cur:
                if params:
                    # One round trip (pipeline mode); each statement has its own result.
                    await cur.executemany(self._lsql.renew, params, returning=True)
                    while True:
                        renewed.update(row[0] for row in await cur.fetchall())
                        if not cur.nextset():
                            break
            await conn.execute(self._lsql.touch_worker, touch)
        return [execution_id for execution_id, _ in held if execution_id not in renewed]

    async def release(self, execution_id: str, worker_name: str, epoch: int) -> Transition:
        async with (await self._ready()).connection() as conn, conn.transaction():
            locked = await self._lock_run(conn, execution_id)
            plan = leases.plan_release(locked, execution_id, worker_name, epoch)
            await self._apply(conn, plan, utcnow())
        return plan.run.transition()

    async def _crash_release(
        self, conn: Conn, found: list[Any], policy: ReleasePolicy, now: datetime
    ) -> list[Transition]:
        released: list[Transition] = []
        for row in found:
            plan = leases.plan_crash_release(leases.LockedRun.from_row(row, read_time), policy)
            await self._apply(conn, plan, now)
            released.append(plan.run.transition())
        return released

    async def release_worker(
        self, worker_name: str, connection_id: str | None, policy: ReleasePolicy, now: datetime
    ) -> list[Transition]:
        async with (await self._ready()).connection() as conn, conn.transaction():
            if connection_id is not None:
                gone = {"b_name": worker_name, "b_connection_id": connection_id}
                if (await conn.execute(self._lsql.worker_disconnected, gone)).rowcount == 0:
                    return []
            cur = await conn.execute(self._lsql.lock_worker_runs, {"worker_name": worker_name})
            return await self._crash_release(conn, await cur.fetchall(), policy, now)

    async def release_expired(
        self, now: datetime, policy: ReleasePolicy, limit: int
    ) -> list[Transition]:
        params = {"now": rows.as_utc(now), "limit": limit, "offset": 0}
        async with (await self._ready()).connection() as conn, conn.transaction():
            found = await (await conn.execute(self._lsql.lock_expired, params)).fetchall()
            return await self._crash_release(conn, found, policy, now)

    async def resume(self, execution_id: str, value: bytes | None, now: datetime) -> Transition:
        async with (await self._ready()).connection() as conn, conn.transaction():
            locked = await self._lock_run(conn, execution_id)
            key = {"b_execution_id": execution_id, "limit": 1, "offset": 0}
            pause = await (await conn.execute(self._lsql.last_pause, key)).fetchone()
            step = None if pause is None else str(pause[0])
            plan = leases.plan_resume(locked, execution_id, value, step)
            await self._apply(conn, plan, now)
        return plan.run.transition()

    async def cancel(self, execution_id: str, now: datetime) -> Transition:
        async with (await self._ready()).connection() as conn, conn.transaction():
            plan = leases.plan_cancel(await self._lock_run(conn, execution_id), execution_id)
            await self._apply(conn, plan, now)
        return plan.run.transition()

    # Catalog

    async def save_workflows(self, workflows: Sequence[WorkflowRow]) -> None:
        params = [rows.workflow_params(w, rows.as_utc) for w in workflows]
        async with (
            (await self._ready()).connection() as conn,
            conn.transaction(),
            conn.cursor() as cur,
        ):
            await cur.executemany(self._lsql.save_workflow, params)

    async def get_workflow(self, name: str, version: str | None = None) -> WorkflowRow | None:
        if version is None:
            sql, params = self._lsql.latest_workflow, {"name": name, "limit": 1, "offset": 0}
        else:
            sql, params = self._lsql.select_workflow, {"name": name, "version": version}
        found = await self._fetchall(sql, params)
        return rows.workflow_from_row(found[0], read_time) if found else None

    async def list_workflows(self) -> list[WorkflowRow]:
        latest: dict[str, WorkflowRow] = {}
        for row in await self._fetchall(self._lsql.all_workflows):
            latest.setdefault(row[0], rows.workflow_from_row(row, read_time))
        return list(latest.values())

    async def workflow_versions(self, name: str) -> list[str]:
        found = await self._fetchall(self._lsql.workflow_versions, {"name": name})
        return [version for (version,) in found]

    # Worker registry

    async def save_worker(self, worker: WorkerRow) -> None:
        async with (await self._ready()).connection() as conn:
            await conn.execute(self._lsql.save_worker, rows.worker_params(worker, rows.as_utc))

    async def get_worker(self, name: str) -> WorkerRow | None:
        found = await self._fetchall(self._lsql.select_worker, {"name": name})
        return rows.worker_from_row(found[0], read_time) if found else None

    async def list_workers(self) -> list[WorkerRow]:
        found = await self._fetchall(self._lsql.all_workers)
        return [rows.worker_from_row(row, read_time) for row in found]

    async def worker_connected(self, name: str, connection_id: str, now: datetime) -> None:
        params = {"b_name": name, "b_connection_id": connection_id, "b_now": rows.as_utc(now)}
        async with (await self._ready()).connection() as conn:
            await conn.execute(self._lsql.worker_connected, params)
