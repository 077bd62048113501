"""Filling a server's SQLite database with many finished executions before it starts.

The store creates the schema (migrations); the rows then go in with one bulk INSERT per
table, because 10,000 runs written one transaction at a time would take most of a minute on
a busy test machine. The rows look like real ones: Python workflow runs with a step each,
script jobs (with their `jobs` row) with an attempt each, some failed, some cancelled, spread
over the last hours so that throughput charts have something to show.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flux.storage.factory import create_orchestrator_store

WORKFLOWS = ("nightly_report", "ingest_orders", "send_invoices", "sync_crm")
SPACING_S = 3.0


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _value(value: Any) -> bytes:
    return b"J" + json.dumps(value).encode()  # the JSON serializer's tagged form


def _state(n: int) -> str:
    if n % 17 == 0:
        return "FAILED"
    if n % 41 == 0:
        return "CANCELLED"
    return "COMPLETED"


async def _migrate(url: str) -> None:
    store = create_orchestrator_store(url)
    try:
        await store.ping()
    finally:
        await store.close()


def seed(database: Path, count: int, worker: str = "seeded-worker") -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    # In a thread of its own: the browser's driver may hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _migrate(f"sqlite:///{database}")).result()
    now = datetime.now(UTC)
    executions, events, jobs = [], [], []
    for n in range(count):
        created = now - timedelta(seconds=(count - n) * SPACING_S)
        ended = created + timedelta(seconds=1.25)
        state = _state(n)
        is_job = n % 5 == 0
        execution_id = f"job-seeded{n:06d}" if is_job else f"seeded{n:06d}"
        workflow = "flux.job" if is_job else WORKFLOWS[n % len(WORKFLOWS)]
        error = None
        if state == "FAILED":
            error = "ScriptError: exit code 1" if is_job else f"ValueError: batch {n} was malformed"
        if is_job:
            value: Any = {
                "script": {
                    "runtime": "bash",
                    "source": f"echo batch {n}",
                    "filename": "job.sh",
                    "payload": {"batch": n},
                    "dependencies": [],
                    "limits": {},
                },
                "maxRetries": 0,
                "name": "seeded-job",
                "type": "GENERIC_SCRIPT",
            }
            jobs.append((execution_id, "seeded-job", "GENERIC_SCRIPT", "bash", _stamp(created)))
        else:
            value = {"batch": n}
        executions.append(
            (
                execution_id,
                workflow,
                "builtin" if is_job else "v1",
                state,
                _value(value),
                _value({"rows": n}) if state == "COMPLETED" else None,
                _stamp(created),
                _stamp(ended),
                worker,
                1,
                error,
            )
        )
        events.extend(_events(execution_id, workflow, is_job, state, created, ended, n))
    with sqlite3.connect(database) as conn:
        conn.executemany(
            "INSERT INTO executions (execution_id, workflow_name, workflow_version, state, input,"
            " output, created_at, updated_at, worker_name, attempts, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            executions,
        )
        conn.executemany(
            "INSERT INTO events (execution_id, seq, id, type, source_id, name, value, time)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            events,
        )
        conn.executemany(
            "INSERT INTO jobs (execution_id, name, type, runtime, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            jobs,
        )


def _events(
    execution_id: str,
    workflow: str,
    is_job: bool,
    state: str,
    created: datetime,
    ended: datetime,
    n: int,
) -> list[tuple[Any, ...]]:
    step = "script_attempt" if is_job else "process_batch"
    started = created + timedelta(milliseconds=20)
    if is_job:
        record = {
            "exit_code": 1 if state == "FAILED" else 0,
            "started_at": started.isoformat(),
            "finished_at": ended.isoformat(),
            "logs": f"batch {n}\n",
            "sandbox": "bwrap",
            "reason": "exit code 1" if state == "FAILED" else None,
        }
        step_end, step_value = "TASK_COMPLETED", _value(record)
    elif state == "FAILED":
        step_end, step_value = "TASK_FAILED", _value(f"ValueError: batch {n} was malformed")
    else:
        step_end, step_value = "TASK_COMPLETED", _value({"rows": n})
    run_end = {"COMPLETED": "WORKFLOW_COMPLETED", "FAILED": "WORKFLOW_FAILED"}.get(
        state, "WORKFLOW_CANCELLED"
    )
    rows = [
        ("WORKFLOW_SCHEDULED", execution_id, workflow, None, created),
        ("WORKFLOW_STARTED", execution_id, workflow, _value({"batch": n}), started),
        ("TASK_STARTED", "0", step, _value([n]), started),
        (step_end, "0", step, step_value, ended - timedelta(milliseconds=5)),
        (run_end, execution_id, workflow, None, ended),
    ]
    return [
        (execution_id, seq, f"{execution_id}-{seq}", kind, source, name, value, _stamp(at))
        for seq, (kind, source, name, value, at) in enumerate(rows)
    ]
