"""The SQL of script jobs, run-at timers and live step output, written once against
`schema.py` and compiled per dialect, as `statements.py` and `lease_statements.py` do.

A filter on a list of states cannot be an expanding parameter (the compiled text goes to the
raw driver as is), so it is one fixed slot per `ExecutionState`: `job_filters` fills the
states asked for and leaves the other slots NULL, which `IN` never matches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any, cast

from sqlalchemy import bindparam, exists, func, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.expression import ColumnElement, Select

from flux.domain.events import ExecutionState
from flux.storage.lease_statements import QUEUED_COLUMNS, RUN_COLUMNS, literal
from flux.storage.schema import execution_logs, executions, jobs
from flux.storage.statements import UpsertInsert

# Column order of the job SELECTs: the job's own columns, the execution's run_at, then
# the run (`lease_statements.RUN_COLUMNS`).
JOB_COLUMNS = ("execution_id", "name", "type", "runtime", "created_at")
LOG_COLUMNS = ("execution_id", "step_id", "position", "text", "time")
# What `release_due` returns: a `QueuedRun`, then the run_at it is sorted by, then its
# priority and limit keys.
RELEASED_COLUMNS = (*QUEUED_COLUMNS, "run_at", "priority", "concurrency_key", "rate_key")

_STATE_SLOTS = tuple(f"b_state_{i}" for i in range(len(ExecutionState)))

# (filter on name, filter on type, filter on states)
FilterKey = tuple[bool, bool, bool]


@dataclass(frozen=True, slots=True)
class JobStatements:
    insert_job: str
    # The execution of a job in a batch (`create_jobs`): returns its id when inserted,
    # nothing when the id is taken, so that one taken id does not abort the transaction.
    insert_new_execution: str
    select_job: str
    list_jobs: dict[FilterKey, str]
    count_jobs: dict[FilterKey, str]
    release_due: str
    next_due: str
    # Inserts nothing when the chunk is stored already or its execution does not exist.
    append_log: str
    # Keyed by filter on step_id.
    read_logs: dict[bool, str]


def compile_job_statements(
    dialect: Dialect, upsert: Callable[[Any], UpsertInsert]
) -> JobStatements:
    def sql(statement: ClauseElement) -> str:
        return str(statement.compile(dialect=dialect))

    keys: list[FilterKey] = [(a, b, c) for a, b, c in product((False, True), repeat=3)]
    return JobStatements(
        insert_job=sql(insert(jobs)),
        insert_new_execution=sql(_insert_new_execution(upsert)),
        select_job=sql(
            _filtered(_jobs(), False, False, False).where(
                jobs.c.execution_id == bindparam("b_execution_id")
            )
        ),
        list_jobs={key: sql(_list_jobs(*key)) for key in keys},
        count_jobs={key: sql(_filtered(select(func.count()), *key)) for key in keys},
        release_due=sql(_release_due()),
        next_due=sql(select(func.min(executions.c.run_at)).where(_waiting())),
        append_log=sql(_append_log(upsert)),
        read_logs={by_step: sql(_read_logs(by_step)) for by_step in (False, True)},
    )


def job_filters(
    name: str | None, type: str | None, states: Sequence[ExecutionState] | None
) -> tuple[FilterKey, dict[str, Any]]:
    """The key of the list/count statement and its parameters."""
    params: dict[str, Any] = {"name": name, "type": type}
    chosen: list[str | None] = []
    if states is not None:
        chosen.extend(sorted({state.value for state in states}))
    padded = chosen + [None] * (len(_STATE_SLOTS) - len(chosen))
    params.update(zip(_STATE_SLOTS, padded, strict=True))
    return (name is not None, type is not None, states is not None), params


def _jobs() -> Select[Any]:
    return select(
        *(jobs.c[name] for name in JOB_COLUMNS),
        executions.c.run_at,
        *(executions.c[name] for name in RUN_COLUMNS),
    )


def _filtered(query: Select[Any], by_name: bool, by_type: bool, by_states: bool) -> Select[Any]:
    query = query.select_from(
        jobs.join(executions, jobs.c.execution_id == executions.c.execution_id)
    )
    if by_name:
        query = query.where(jobs.c.name == bindparam("name"))
    if by_type:
        query = query.where(jobs.c.type == bindparam("type"))
    if by_states:
        slots = [bindparam(slot, type_=executions.c.state.type) for slot in _STATE_SLOTS]
        query = query.where(executions.c.state.in_(slots))
    return query


def _list_jobs(by_name: bool, by_type: bool, by_states: bool) -> Select[Any]:
    c = jobs.c
    # execution_id breaks ties so that paging never skips or repeats a row.
    return (
        _filtered(_jobs(), by_name, by_type, by_states)
        .order_by(c.created_at.desc(), c.execution_id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _created() -> ColumnElement[Any]:
    return literal(ExecutionState.CREATED.value)


def _waiting() -> ColumnElement[bool]:
    """CREATED top-level executions with a run_at: what the timer starts. Subworkflows are
    never dispatched on their own, so a run_at on one would never be released."""
    c = executions.c
    return (c.state == _created()) & c.run_at.is_not(None) & c.parent_execution_id.is_(None)


def _release_due() -> ClauseElement:
    c = executions.c
    due = (
        select(c.execution_id)
        .where(_waiting(), c.run_at <= bindparam("now", type_=c.run_at.type))
        .order_by(c.run_at, c.execution_id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        # PostgreSQL: replicas releasing at once lock disjoint rows. (SQLite's write
        # transaction already excludes every other writer; FOR UPDATE compiles away there.)
        .with_for_update(skip_locked=True)
        .cte("due")
        # Run once: as a plain `IN (subquery)` PostgreSQL may rescan it for each outer row,
        # and each rescan skips the rows this statement already moved and locks the next
        # ones, releasing more than `limit`.
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        update(executions)
        # The state check refuses a row another transaction moved after this snapshot.
        .where(c.execution_id.in_(select(due.c.execution_id)), c.state == _created())
        .values(
            state=literal(ExecutionState.SCHEDULED.value),
            updated_at=bindparam("b_updated_at", type_=c.updated_at.type),
        )
        .returning(*(c[name] for name in RELEASED_COLUMNS))
    )


def _insert_new_execution(upsert: Callable[[Any], UpsertInsert]) -> ClauseElement:
    # executions has no unique key but its primary key: a conflict is a taken id.
    statement: Any = upsert(executions).on_conflict_do_nothing()
    return cast(ClauseElement, statement.returning(executions.c.execution_id))


def _append_log(upsert: Callable[[Any], UpsertInsert]) -> ClauseElement:
    c = execution_logs.c
    values = [bindparam(name, type_=c[name].type) for name in LOG_COLUMNS]
    # INSERT ... SELECT ... WHERE EXISTS drops a chunk of an unknown execution without
    # failing the batch, as a foreign-key error would.
    known = exists().where(executions.c.execution_id == values[0])
    return (
        upsert(execution_logs)
        .from_select(list(LOG_COLUMNS), select(*values).where(known))
        .on_conflict_do_nothing()
    )


def _read_logs(by_step: bool) -> Select[Any]:
    c = execution_logs.c
    query = select(*(c[name] for name in LOG_COLUMNS)).where(
        c.execution_id == bindparam("b_execution_id"), c.position >= bindparam("after")
    )
    if by_step:
        query = query.where(c.step_id == bindparam("step_id"))
    return query.order_by(c.step_id, c.position)
