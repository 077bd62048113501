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
from typing import Any

from flux.domain.events import ExecutionState, utcnow
from flux.engine.store import ExecutionRow
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


def stamp(moment: datetime) -> str:
    return rows.as_utc(moment).isoformat(timespec="microseconds")


read_time = datetime.fromisoformat


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

    async def queued(self, limit: int) -> list[QueuedRun]:
        with self._read() as conn:
            found = conn.execute(self._lsql.queued, {"limit": limit, "offset": 0}).fetchall()
        return [rows.queued_from_row(row, read_time) for row in found]

    # Lease transitions

    def _lock_run(self, conn: sqlite3.Connection, execution_id: str) -> leases.LockedRun | None:
        found = conn.execute(self._lsql.lock_run, {"b_execution_id": execution_id}).fetchone()
        return None if found is None else leases.LockedRun.from_row(found, read_time)

    def _apply(self, conn: sqlite3.Connection, plan: leases.Plan, now: datetime) -> None:
        run = plan.run
        conn.execute(self._lsql.update_run, plan.update_params(stamp, now))
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
        offset = 0
        with self._write() as conn:
            while len(claimed) < limit:
                wanted = limit - len(claimed)
                page = {"limit": wanted, "offset": offset}
                found = conn.execute(self._lsql.queued_for_claim, page).fetchall()
                taken = 0
                for execution_id, requests in found:
                    if len(claimed) < limit and fits(requests):
                        locked = self._lock_run(conn, execution_id)
                        plan = leases.plan_claim(
                            locked, execution_id, worker_name, claimed_value, expires_at
                        )
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
        now = utcnow()
        params = leases.checkpoint_params(
            write.execution_id,
            write.worker_name,
            write.epoch,
            write.state,
            write.output,
            write.error,
            stamp(expires_at),
            stamp(now),
        )
        event_rows = [rows.event_params(event, stamp) for event in write.events]
        try:
            with self._write() as conn:
                found = conn.execute(self._lsql.checkpoint, params).fetchone()
                if found is None:
                    raise self._lease_lost(conn, write)
                conn.executemany(self._sql.insert_event, event_rows)
        except sqlite3.IntegrityError as exc:
            if exc.sqlite_errorname != "SQLITE_CONSTRAINT_PRIMARYKEY":
                raise
            raise self._conflict(write.execution_id, event_rows) from exc
        state, workflow_name, parent = found
        return Transition(write.execution_id, workflow_name, _S(state), write.worker_name, parent)

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
