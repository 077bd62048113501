"""The orchestrator's half of `SqliteStore` (leases, dispatch queue, catalog, workers).

A mixin so that `sqlite.py` stays about the engine's store. Each method is one write (or read)
transaction of the store's single connection, run inline on the event loop like the rest of
the store: SQLite's write lock makes `FOR UPDATE` unnecessary, and SKIP LOCKED moot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from functools import cache
from typing import Any

from flux.domain.events import ExecutionState, utcnow
from flux.domain.limits import CONCURRENCY, RATE
from flux.engine.store import ExecutionRow
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


def stamp(moment: datetime) -> str:
    return rows.as_utc(moment).isoformat(timespec="microseconds")


read_time = datetime.fromisoformat


@cache
def _limit_sql() -> LimitStatements:
    from sqlalchemy import create_engine
    from sqlalchemy.dialects.sqlite import insert

    dialect = create_engine("sqlite://", paramstyle="named").dialect
    return compile_limit_statements(dialect, insert, advisory_locks=False)


def _filters(workflow_name: str | None, state: ExecutionState | None) -> dict[str, Any]:
    return {"workflow_name": workflow_name, "state": None if state is None else state.value}


class SqliteLeases:
    _conn: sqlite3.Connection
    _sql: Statements
    _lsql: LeaseStatements

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _conflict(self, execution_id: str, event_rows: list[dict[str, Any]]) -> Exception:
        raise NotImplementedError

    def _conflict_on(
        self, conn: sqlite3.Connection, execution_id: str, event_rows: list[dict[str, Any]]
    ) -> Exception:
        raise NotImplementedError

    async def ping(self) -> None:
        with self._read() as conn:
            conn.execute(self._lsql.ping).fetchone()

    # Reads

    def _run(self, conn: sqlite3.Connection, execution_id: str, events: bool) -> RunRow | None:
        key = {"b_execution_id": execution_id, "after_seq": -1}
        found = conn.execute(self._lsql.select_run, key).fetchone()
        if found is None:
            return None
        run = rows.run_from_row(found, read_time)
        if events:
            run.execution.events = [
                rows.event_from_row(row, read_time)
                for row in conn.execute(self._sql.select_events, key)
            ]
        return run

    async def get_run(self, execution_id: str, *, with_events: bool = True) -> RunRow | None:
        with self._read() as conn:
            return self._run(conn, execution_id, with_events)

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
        with self._read() as conn:
            found = conn.execute(sql, params).fetchall()
        return [rows.run_from_row(row, read_time) for row in found]

    async def count_runs(
        self, *, workflow_name: str | None = None, state: ExecutionState | None = None
    ) -> int:
        sql = self._lsql.count_runs[(workflow_name is not None, state is not None)]
        with self._read() as conn:
            return int(conn.execute(sql, _filters(workflow_name, state)).fetchone()[0])

    async def count_by_state(self) -> dict[ExecutionState, int]:
        with self._read() as conn:
            found = conn.execute(self._lsql.count_by_state).fetchall()
        return {ExecutionState(state): count for state, count in found}

    async def queued(self, limit: int, offset: int = 0) -> list[QueuedRun]:
        wanted = limit + offset
        found: list[Any] = []
        now = stamp(utcnow())
        with self._read() as conn:
            for band in self._lsql.queued:  # priority bands, in dispatch order
                params = {"limit": wanted - len(found), "offset": 0, "now": now}
                found += conn.execute(band, params).fetchall()
                if len(found) >= wanted:
                    break
        return [rows.dispatch_queued_from_row(row, read_time) for row in found[offset:]]

    # Lease transitions

    def _lock_run(self, conn: sqlite3.Connection, execution_id: str) -> leases.LockedRun | None:
        found = conn.execute(self._lsql.lock_run, {"b_execution_id": execution_id}).fetchone()
        return None if found is None else leases.LockedRun.from_row(found, read_time)

    def _apply(self, conn: sqlite3.Connection, plan: leases.Plan, now: datetime) -> None:
        run = plan.run
        conn.execute(self._lsql.update_run, plan.update_params(stamp, now))
        freed = leases.concurrency_release(run)
        if freed is not None:
            conn.execute(_limit_sql().free, freed)
        if not plan.events:
            return
        key = {"b_execution_id": run.execution_id}
        first = conn.execute(self._lsql.max_seq, key).fetchone()[0] + 1
        conn.executemany(
            self._sql.insert_event,
            [
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
                    stamp,
                )
                for i, event in enumerate(plan.events)
            ],
        )

    def _claimed(self, conn: sqlite3.Connection, plan: leases.Plan) -> RunRow:
        self._apply(conn, plan, utcnow())
        run = self._run(conn, plan.run.execution_id, True)
        assert run is not None
        return run

    def _admit(self, conn: sqlite3.Connection, run: leases.LockedRun) -> str | None:
        """Take a slot of each of the run's limits; None when admitted, else why not
        (with the slots taken for its other limits given back)."""
        now = utcnow()
        lsql = _limit_sql()
        taken: list[leases.SlotRequest] = []
        for request in leases.slot_requests(run.limits, now):
            found = conn.execute(lsql.busy_slots, leases.busy_params(request, now, stamp))
            busy = {slot for (slot,) in found}
            acquire = lsql.acquire_concurrency if request.free_at is None else lsql.acquire_rate
            got = False
            for slot in request.candidates(busy):
                params = leases.slot_params(request, slot, run.execution_id, now, stamp)
                if conn.execute(acquire, params).fetchone() is not None:
                    got = True
                    break
            if not got:
                for done in taken:
                    conn.execute(
                        lsql.free, leases.free_params(done.kind, done.key, run.execution_id)
                    )
                return request.refusal(len(busy))
            taken.append(request)
        return None

    async def claim(
        self, execution_id: str, worker_name: str, claimed_value: bytes, expires_at: datetime
    ) -> RunRow:
        with self._write() as conn:
            plan = leases.plan_claim(
                self._lock_run(conn, execution_id),
                execution_id,
                worker_name,
                claimed_value,
                expires_at,
            )
            refused = None if plan.run.limits is None else self._admit(conn, plan.run)
            if refused is not None:
                raise NotAdmittedError(execution_id, refused)
            return self._claimed(conn, plan)

    async def claim_next(
        self,
        worker_name: str,
        claimed_value: bytes,
        expires_at: datetime,
        limit: int,
        fits: Callable[[str | None], bool],
    ) -> list[RunRow]:
        claimed: list[RunRow] = []
        with self._write() as conn:
            for band in self._lsql.queued_for_claim:  # priority bands, in dispatch order
                offset = 0
                while len(claimed) < limit:
                    wanted = limit - len(claimed)
                    page = {"limit": wanted, "offset": offset, "now": stamp(utcnow())}
                    found = conn.execute(band, page).fetchall()
                    taken = 0
                    for execution_id, requests in found:
                        if len(claimed) < limit and fits(requests):
                            locked = self._lock_run(conn, execution_id)
                            plan = leases.plan_claim(
                                locked, execution_id, worker_name, claimed_value, expires_at
                            )
                            if plan.run.limits is not None and self._admit(conn, plan.run):
                                continue  # stays queued; the query's rooms were a hint
                            claimed.append(self._claimed(conn, plan))
                            taken += 1
                    if len(found) < wanted:
                        break
                    # Claimed rows left the queue; the ones that did not fit are still there.
                    offset += len(found) - taken
        return claimed

    async def claim_child(
        self,
        parent: CheckpointWrite,
        child: ExecutionRow,
        claimed_value: bytes,
        expires_at: datetime,
    ) -> RunRow:
        with self._write() as conn:
            leases.require_held(
                self._lock_run(conn, parent.execution_id),
                parent.execution_id,
                parent.worker_name,
                parent.epoch,
            )
            locked = self._lock_run(conn, child.execution_id)
            if locked is None:
                params = rows.execution_params(child, stamp)
                params["state"] = _S.SCHEDULED.value
                conn.execute(self._sql.insert_execution, params)
                locked = self._lock_run(conn, child.execution_id)
            elif locked.state.is_terminal or locked.state is _S.PAUSED:
                run = self._run(conn, child.execution_id, True)
                assert run is not None
                return run
            plan = leases.plan_claim(
                locked,
                child.execution_id,
                parent.worker_name,
                claimed_value,
                expires_at,
                force=True,
            )
            return self._claimed(conn, plan)

    async def checkpoint(self, write: CheckpointWrite, expires_at: datetime) -> Transition:
        event_rows = [rows.event_params(event, stamp) for event in write.events]
        try:
            with self._write() as conn:
                return self._checkpoint_on(conn, write, event_rows, stamp(expires_at))
        except sqlite3.IntegrityError as exc:
            if exc.sqlite_errorname != "SQLITE_CONSTRAINT_PRIMARYKEY":
                raise
            raise self._conflict(write.execution_id, event_rows) from exc

    async def checkpoint_many(
        self, writes: Sequence[CheckpointWrite], expires_at: datetime
    ) -> list[Transition | Exception]:
        # One transaction for the whole batch (its COMMIT was most of a checkpoint's cost),
        # each write in a savepoint of its own so that a refused one leaves no trace.
        expires = stamp(expires_at)
        results: list[Transition | Exception] = []
        with self._write() as conn:
            for write in writes:
                event_rows = [rows.event_params(event, stamp) for event in write.events]
                conn.execute("SAVEPOINT checkpoint_item")
                try:
                    results.append(self._checkpoint_on(conn, write, event_rows, expires))
                except (KeyError, LeaseLostError) as exc:
                    results.append(exc)  # refused before anything was written
                except sqlite3.IntegrityError as exc:
                    if exc.sqlite_errorname != "SQLITE_CONSTRAINT_PRIMARYKEY":
                        raise
                    conn.execute("ROLLBACK TO checkpoint_item")
                    results.append(self._conflict_on(conn, write.execution_id, event_rows))
                conn.execute("RELEASE checkpoint_item")
        return results

    def _checkpoint_on(
        self,
        conn: sqlite3.Connection,
        write: CheckpointWrite,
        event_rows: list[dict[str, Any]],
        expires: str,
    ) -> Transition:
        params = leases.checkpoint_params(
            write.execution_id,
            write.worker_name,
            write.epoch,
            write.state,
            write.output,
            write.error,
            expires,
            stamp(utcnow()),
        )
        found = conn.execute(self._lsql.checkpoint, params).fetchone()
        if found is None:
            raise self._lease_lost(conn, write)
        conn.executemany(self._sql.insert_event, event_rows)
        state, workflow_name, parent, key = found
        ended = _S(state) not in HELD_STATES
        if key is not None and ended:
            # A pause or an end: the run's concurrency slot is free again.
            freed = leases.free_params(CONCURRENCY, key, write.execution_id)
            conn.execute(_limit_sql().free, freed)
        return Transition(
            write.execution_id,
            workflow_name,
            _S(state),
            write.worker_name,
            parent,
            freed=key is not None and ended,
        )

    def _lease_lost(self, conn: sqlite3.Connection, write: CheckpointWrite) -> Exception:
        locked = self._lock_run(conn, write.execution_id)
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
        lost: list[str] = []
        with self._write() as conn:
            for execution_id, epoch in held:
                params = {
                    "b_execution_id": execution_id,
                    "b_worker_name": worker_name,
                    "b_lease_epoch": epoch,
                    "b_lease_expires_at": stamp(expires_at),
                }
                if conn.execute(self._lsql.renew, params).fetchone() is None:
                    lost.append(execution_id)
            touch = {"b_name": worker_name, "b_now": stamp(now), "b_resources": resources}
            conn.execute(self._lsql.touch_worker, touch)
        return lost

    async def release(self, execution_id: str, worker_name: str, epoch: int) -> Transition:
        with self._write() as conn:
            plan = leases.plan_release(
                self._lock_run(conn, execution_id), execution_id, worker_name, epoch
            )
            self._apply(conn, plan, utcnow())
        return plan.run.transition()

    def _crash_release(
        self, conn: sqlite3.Connection, found: list[Any], policy: ReleasePolicy, now: datetime
    ) -> list[Transition]:
        released: list[Transition] = []
        for row in found:
            plan = leases.plan_crash_release(leases.LockedRun.from_row(row, read_time), policy)
            self._apply(conn, plan, now)
            released.append(plan.run.transition())
        return released

    async def release_worker(
        self, worker_name: str, connection_id: str | None, policy: ReleasePolicy, now: datetime
    ) -> list[Transition]:
        with self._write() as conn:
            if connection_id is not None:
                gone = {"b_name": worker_name, "b_connection_id": connection_id}
                if conn.execute(self._lsql.worker_disconnected, gone).rowcount == 0:
                    return []
            found = conn.execute(
                self._lsql.lock_worker_runs, {"worker_name": worker_name}
            ).fetchall()
            return self._crash_release(conn, found, policy, now)

    async def release_expired(
        self, now: datetime, policy: ReleasePolicy, limit: int
    ) -> list[Transition]:
        params = {"now": stamp(now), "limit": limit, "offset": 0}
        with self._write() as conn:
            found = conn.execute(self._lsql.lock_expired, params).fetchall()
            return self._crash_release(conn, found, policy, now)

    async def resume(self, execution_id: str, value: bytes | None, now: datetime) -> Transition:
        with self._write() as conn:
            key = {"b_execution_id": execution_id, "limit": 1, "offset": 0}
            pause = conn.execute(self._lsql.last_pause, key).fetchone()
            step = None if pause is None else str(pause[0])
            plan = leases.plan_resume(self._lock_run(conn, execution_id), execution_id, value, step)
            self._apply(conn, plan, now)
        return plan.run.transition()

    async def cancel(self, execution_id: str, now: datetime) -> Transition:
        with self._write() as conn:
            plan = leases.plan_cancel(self._lock_run(conn, execution_id), execution_id)
            self._apply(conn, plan, now)
        return plan.run.transition()

    # Catalog

    async def save_workflows(self, workflows: Sequence[WorkflowRow]) -> None:
        with self._write() as conn:
            conn.executemany(
                self._lsql.save_workflow, [rows.workflow_params(w, stamp) for w in workflows]
            )

    async def get_workflow(self, name: str, version: str | None = None) -> WorkflowRow | None:
        if version is None:
            sql, params = self._lsql.latest_workflow, {"name": name, "limit": 1, "offset": 0}
        else:
            sql, params = self._lsql.select_workflow, {"name": name, "version": version}
        with self._read() as conn:
            found = conn.execute(sql, params).fetchone()
        return None if found is None else rows.workflow_from_row(found, read_time)

    async def list_workflows(self) -> list[WorkflowRow]:
        with self._read() as conn:
            found = conn.execute(self._lsql.all_workflows).fetchall()
        latest: dict[str, WorkflowRow] = {}
        for row in found:
            latest.setdefault(row[0], rows.workflow_from_row(row, read_time))
        return list(latest.values())

    async def workflow_versions(self, name: str) -> list[str]:
        with self._read() as conn:
            found = conn.execute(self._lsql.workflow_versions, {"name": name}).fetchall()
        return [version for (version,) in found]

    # Limits

    async def limit_slots(self, kind: str, key: str, now: datetime) -> list[SlotRow]:
        params = {"kind": kind, "limit_key": key, "now": stamp(now)}
        with self._read() as conn:
            found = conn.execute(_limit_sql().slots_of, params).fetchall()
        return [rows.slot_from_row(row, read_time) for row in found]

    async def limit_usage(self, now: datetime) -> LimitUsage:
        lsql = _limit_sql()
        with self._read() as conn:
            slots = conn.execute(lsql.all_slots, {"now": stamp(now)}).fetchall()
            concurrency = conn.execute(lsql.waiting_concurrency).fetchall()
            rate = conn.execute(lsql.waiting_rate).fetchall()
        return LimitUsage(
            [rows.slot_from_row(row, read_time) for row in slots],
            [rows.waiting_from_row(CONCURRENCY, row) for row in concurrency]
            + [rows.waiting_from_row(RATE, row) for row in rate],
        )

    async def next_slot_free(self, now: datetime) -> datetime | None:
        with self._read() as conn:
            (found,) = conn.execute(_limit_sql().next_free, {"now": stamp(now)}).fetchone()
        return None if found is None else read_time(found)

    async def release_orphan_slots(self) -> int:
        with self._write() as conn:
            return int(conn.execute(_limit_sql().release_orphans).rowcount)

    # Worker registry

    async def save_worker(self, worker: WorkerRow) -> None:
        with self._write() as conn:
            conn.execute(self._lsql.save_worker, rows.worker_params(worker, stamp))

    async def get_worker(self, name: str) -> WorkerRow | None:
        with self._read() as conn:
            found = conn.execute(self._lsql.select_worker, {"name": name}).fetchone()
        return None if found is None else rows.worker_from_row(found, read_time)

    async def list_workers(self) -> list[WorkerRow]:
        with self._read() as conn:
            found = conn.execute(self._lsql.all_workers).fetchall()
        return [rows.worker_from_row(row, read_time) for row in found]

    async def worker_connected(self, name: str, connection_id: str, now: datetime) -> None:
        params = {"b_name": name, "b_connection_id": connection_id, "b_now": stamp(now)}
        with self._write() as conn:
            conn.execute(self._lsql.worker_connected, params)
