"""The orchestrator's half of `PostgresStore` (leases, dispatch queue, catalog, workers).

A mixin so that `postgres.py` stays about the engine's store. Each method is one transaction
on a pooled connection. Lease transitions lock the execution's row (`FOR UPDATE`) before
deciding; claim-next and the expired-lease sweep use `FOR UPDATE SKIP LOCKED`, so several
replicas and workers take disjoint rows instead of queueing behind each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from psycopg import AsyncConnection, errors
from psycopg_pool import AsyncConnectionPool

from flux.domain.events import ExecutionState, utcnow
from flux.domain.limits import CONCURRENCY, RATE
from flux.engine.store import EventConflictError, ExecutionRow
from flux.orchestrator.store import (
    HELD_STATES,
    CheckpointWrite,
    LeaseLostError,
    LimitUsage,
    NotAdmittedError,
    QueuedRun,
    ReleasePolicy,
    RunRow,
    SlotRow,
    Transition,
    WorkerRow,
    WorkflowRow,
    lease_lost_detail,
    server_event,
)
from flux.storage import leases, rows
from flux.storage.lease_statements import LeaseStatements
from flux.storage.limit_statements import LimitStatements, compile_limit_statements
from flux.storage.statements import Statements

_S = ExecutionState
Conn = AsyncConnection[tuple[Any, ...]]
Pool = AsyncConnectionPool[Conn]


@cache
def _limit_sql() -> LimitStatements:
    from sqlalchemy import create_engine
    from sqlalchemy.dialects.postgresql import insert

    dialect = create_engine("postgresql+psycopg://").dialect
    return compile_limit_statements(dialect, insert, advisory_locks=True)


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

    async def queued(self, limit: int, offset: int = 0) -> list[QueuedRun]:
        wanted = limit + offset
        found: list[Any] = []
        now = utcnow()
        async with (await self._ready()).connection() as conn:
            for band in self._lsql.queued:  # priority bands, in dispatch order
                params = {"limit": wanted - len(found), "offset": 0, "now": now}
                found += await (await conn.execute(band, params)).fetchall()
                if len(found) >= wanted:
                    break
        return [rows.dispatch_queued_from_row(row, read_time) for row in found[offset:]]

    # Lease transitions

    async def _lock_run(self, conn: Conn, execution_id: str) -> leases.LockedRun | None:
        cur = await conn.execute(self._lsql.lock_run, {"b_execution_id": execution_id})
        found = await cur.fetchone()
        return None if found is None else leases.LockedRun.from_row(found, read_time)

    async def _apply(self, conn: Conn, plan: leases.Plan, now: datetime) -> None:
        run = plan.run
        await conn.execute(self._lsql.update_run, plan.update_params(rows.as_utc, now))
        freed = leases.concurrency_release(run)
        if freed is not None:
            await conn.execute(_limit_sql().free, freed)
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

    async def _admit(self, conn: Conn, run: leases.LockedRun) -> str | None:
        """Take a slot of each of the run's limits; None when admitted, else why not
        (with the slots taken for its other limits given back). Never waits for another
        claim: a slot whose advisory lock is taken is skipped (see limit_statements)."""
        now = utcnow()
        lsql = _limit_sql()
        taken: list[leases.SlotRequest] = []
        for request in leases.slot_requests(run.limits, now):
            cur = await conn.execute(lsql.busy_slots, leases.busy_params(request, now, rows.as_utc))
            busy = {slot for (slot,) in await cur.fetchall()}
            acquire = lsql.acquire_concurrency if request.free_at is None else lsql.acquire_rate
            got = False
            for slot in request.candidates(busy):
                params = leases.slot_params(request, slot, run.execution_id, now, rows.as_utc)
                if await (await conn.execute(acquire, params)).fetchone() is not None:
                    got = True
                    break
            if not got:
                for done in taken:
                    await conn.execute(
                        lsql.free, leases.free_params(done.kind, done.key, run.execution_id)
                    )
                return request.refusal(len(busy))
            taken.append(request)
        return None

    async def claim(
        self, execution_id: str, worker_name: str, claimed_value: bytes, expires_at: datetime
    ) -> RunRow:
        async with (await self._ready()).connection() as conn, conn.transaction():
            locked = await self._lock_run(conn, execution_id)
            plan = leases.plan_claim(locked, execution_id, worker_name, claimed_value, expires_at)
            refused = None if plan.run.limits is None else await self._admit(conn, plan.run)
            if refused is not None:
                raise NotAdmittedError(execution_id, refused)
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
        async with (await self._ready()).connection() as conn, conn.transaction():
            for band in self._lsql.queued_for_claim:  # priority bands, in dispatch order
                offset = 0
                while len(claimed) < limit:
                    # Lock only as many rows as may be claimed: a row locked here is skipped
                    # by every other claimer until this transaction ends.
                    wanted = limit - len(claimed)
                    page = {"limit": wanted, "offset": offset, "now": utcnow()}
                    found = await (await conn.execute(band, page)).fetchall()
                    taken = 0
                    for execution_id, requests in found:
                        if len(claimed) < limit and fits(requests):
                            locked = await self._lock_run(conn, execution_id)
                            plan = leases.plan_claim(
                                locked, execution_id, worker_name, claimed_value, expires_at
                            )
                            if plan.run.limits is not None and await self._admit(conn, plan.run):
                                continue  # stays queued; the query's rooms were a hint
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

    async def checkpoint_many(
        self, writes: Sequence[CheckpointWrite], expires_at: datetime
    ) -> list[Transition | Exception]:
        # One transaction for the batch; `checkpoint_on`'s own transaction block becomes a
        # savepoint inside it, so a refused write leaves no trace and the others commit.
        results: list[Transition | Exception] = []
        async with (await self._ready()).connection() as conn, conn.transaction():
            for write in writes:
                try:
                    results.append(await self.checkpoint_on(conn, write, expires_at))
                except (KeyError, LeaseLostError, EventConflictError) as exc:
                    results.append(exc)
        return results

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
                key = found[3]
                if key is not None and _S(found[0]) not in HELD_STATES:
                    # A pause or an end: the run's concurrency slot is free again.
                    freed = leases.free_params(CONCURRENCY, key, write.execution_id)
                    await cur.execute(_limit_sql().free, freed)
        except errors.UniqueViolation as exc:
            raise await self._conflict(conn, write.execution_id, event_rows) from exc
        state, workflow_name, parent, key = found
        return Transition(
            write.execution_id,
            workflow_name,
            _S(state),
            write.worker_name,
            parent,
            freed=key is not None and _S(state) not in HELD_STATES,
        )

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

    # Limits

    async def limit_slots(self, kind: str, key: str, now: datetime) -> list[SlotRow]:
        params = {"kind": kind, "limit_key": key, "now": rows.as_utc(now)}
        found = await self._fetchall(_limit_sql().slots_of, params)
        return [rows.slot_from_row(row, read_time) for row in found]

    async def limit_usage(self, now: datetime) -> LimitUsage:
        lsql = _limit_sql()
        async with (await self._ready()).connection() as conn, conn.transaction():
            # One snapshot: a slot and the queue it was taken from agree.
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            slots = await (await conn.execute(lsql.all_slots, {"now": rows.as_utc(now)})).fetchall()
            concurrency = await (await conn.execute(lsql.waiting_concurrency)).fetchall()
            rate = await (await conn.execute(lsql.waiting_rate)).fetchall()
        return LimitUsage(
            [rows.slot_from_row(row, read_time) for row in slots],
            [rows.waiting_from_row(CONCURRENCY, row) for row in concurrency]
            + [rows.waiting_from_row(RATE, row) for row in rate],
        )

    async def next_slot_free(self, now: datetime) -> datetime | None:
        found = await self._fetchall(_limit_sql().next_free, {"now": rows.as_utc(now)})
        return None if not found or found[0][0] is None else read_time(found[0][0])

    async def release_orphan_slots(self) -> int:
        async with (await self._ready()).connection() as conn:
            return (await conn.execute(_limit_sql().release_orphans)).rowcount

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
