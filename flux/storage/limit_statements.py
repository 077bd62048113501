"""The SQL of limits (docs/production.md, "Queues and limits"), written once against
`schema.py` and compiled per dialect, like `lease_statements.py`.

Taking a slot is one statement: `INSERT ... ON CONFLICT` on the slot's primary key, so two
claims can never both hold slot n of a limit. On PostgreSQL the statement first takes a
transaction-level advisory lock on the slot with `pg_try_advisory_xact_lock`, and inserts
nothing when another transaction has it: a claim never waits for another claim's slot
(which, with claim-next taking several runs in one transaction, could deadlock), it just
tries the next free slot or leaves the run queued. On SQLite the write transaction already
excludes every other claim.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.expression import ColumnElement, Select

from flux.domain.limits import CONCURRENCY, RATE
from flux.orchestrator.store import HELD_STATES
from flux.storage.schema import executions, limit_slots

SLOT_COLUMNS = (
    "kind",
    "limit_key",
    "slot",
    "execution_id",
    "capacity",
    "acquired_at",
    "free_at",
)
# Column order of the queued-run SELECT: a `QueuedRun`, then its limits and their rooms.
QUEUE_COLUMNS = (
    "execution_id",
    "workflow_name",
    "workflow_version",
    "requests",
    "created_at",
    "priority",
    "concurrency_key",
    "rate_key",
)


@dataclass(frozen=True, slots=True)
class LimitStatements:
    busy_slots: str
    acquire_concurrency: str
    acquire_rate: str
    free: str
    release_orphans: str
    slots_of: str
    all_slots: str
    waiting_concurrency: str
    waiting_rate: str
    next_free: str


def compile_limit_statements(
    dialect: Dialect, upsert: Callable[[Any], Any], *, advisory_locks: bool
) -> LimitStatements:
    def sql(statement: ClauseElement) -> str:
        return str(statement.compile(dialect=dialect))

    s = limit_slots.c
    of_key = and_(s.kind == bindparam("kind"), s.limit_key == bindparam("limit_key"))
    return LimitStatements(
        busy_slots=sql(select(s.slot).where(of_key, _busy()).order_by(s.slot)),
        acquire_concurrency=sql(_acquire(upsert, advisory_locks, reuse=False)),
        acquire_rate=sql(_acquire(upsert, advisory_locks, reuse=True)),
        free=sql(delete(limit_slots).where(of_key, s.execution_id == bindparam("execution_id"))),
        release_orphans=sql(_release_orphans()),
        slots_of=sql(_slots().where(of_key, _busy()).order_by(s.slot)),
        all_slots=sql(_slots().where(_busy()).order_by(s.kind, s.limit_key, s.slot)),
        waiting_concurrency=sql(
            _waiting(CONCURRENCY, executions.c.concurrency_key, executions.c.concurrency_limit)
        ),
        waiting_rate=sql(_waiting(RATE, executions.c.rate_key, executions.c.rate_limit)),
        next_free=sql(
            select(func.min(s.free_at)).where(s.free_at > bindparam("now", type_=s.free_at.type))
        ),
    )


def _busy() -> ColumnElement[bool]:
    """A concurrency slot is busy while its row exists; a rate slot until `free_at`."""
    s = limit_slots.c
    return or_(s.free_at.is_(None), s.free_at > bindparam("now", type_=s.free_at.type))


def _busy_count(kind: str, key: ColumnElement[Any]) -> ColumnElement[Any]:
    s = limit_slots.c
    return (
        select(func.count())
        .select_from(limit_slots)
        .where(s.kind == literal_column(f"'{kind}'"), s.limit_key == key, _busy())
        .scalar_subquery()
    )


def room(kind: str, key: ColumnElement[Any], capacity: ColumnElement[Any]) -> ColumnElement[Any]:
    """How many more runs the limit `key` of an `executions` row admits now (NULL without
    one). Evaluated only for rows that have the limit, so runs without limits pay nothing."""
    return case((key.is_(None), null()), else_=capacity - _busy_count(kind, key))


def admissible() -> ColumnElement[bool]:
    """Queued rows whose limits have room now (a hint: the claim decides)."""
    c = executions.c
    return and_(
        or_(
            c.concurrency_key.is_(None),
            _busy_count(CONCURRENCY, c.concurrency_key) < c.concurrency_limit,
        ),
        or_(c.rate_key.is_(None), _busy_count(RATE, c.rate_key) < c.rate_limit),
    )


def queue_columns() -> list[ColumnElement[Any]]:
    """`QUEUE_COLUMNS`, then the concurrency and rate rooms."""
    c = executions.c
    return [
        *(c[name] for name in QUEUE_COLUMNS),
        room(CONCURRENCY, c.concurrency_key, c.concurrency_limit).label("concurrency_room"),
        room(RATE, c.rate_key, c.rate_limit).label("rate_room"),
    ]


def _acquire(upsert: Callable[[Any], Any], advisory_locks: bool, *, reuse: bool) -> Any:
    s = limit_slots.c
    values = select(
        *(bindparam(name, type_=s[name].type) for name in SLOT_COLUMNS if name != "slot"),
        bindparam("slot", type_=Integer),
    )
    if advisory_locks:
        lock = func.pg_try_advisory_xact_lock(
            func.hashtext(bindparam("lock_key")), bindparam("slot", type_=Integer)
        )
        values = values.where(lock)
    else:
        # SQLite needs a WHERE on an INSERT ... SELECT with an ON CONFLICT clause.
        values = values.where(literal_column("1") == literal_column("1"))
    names = [name for name in SLOT_COLUMNS if name != "slot"] + ["slot"]
    statement = upsert(limit_slots).from_select(names, values)
    if not reuse:
        return statement.on_conflict_do_nothing().returning(s.slot)
    # A rate slot is reused once its window has passed.
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[s.kind, s.limit_key, s.slot],
        set_={name: new[name] for name in ("execution_id", "capacity", "acquired_at", "free_at")},
        where=and_(s.free_at.is_not(None), s.free_at <= new.acquired_at),
    ).returning(s.slot)


def _release_orphans() -> ClauseElement:
    s, c = limit_slots.c, executions.c
    held = c.state.in_([literal_column(f"'{state.value}'") for state in HELD_STATES])
    holding = exists().where(c.execution_id == s.execution_id, held)
    return delete(limit_slots).where(s.kind == literal_column(f"'{CONCURRENCY}'"), ~holding)


def _slots() -> Select[Any]:
    s, c = limit_slots.c, executions.c
    return select(*(s[name] for name in SLOT_COLUMNS), c.workflow_name, c.state).select_from(
        limit_slots.outerjoin(executions, c.execution_id == s.execution_id)
    )


def _waiting(kind: str, key: ColumnElement[Any], capacity: ColumnElement[Any]) -> Select[Any]:
    c = executions.c
    period = c.rate_period if kind == RATE else null()
    return (
        select(
            key,
            c.workflow_name,
            func.max(capacity),
            func.max(period),
            func.count(),
        )
        .where(
            c.state == literal_column("'SCHEDULED'"),
            c.parent_execution_id.is_(None),
            key.is_not(None),
        )
        .group_by(key, c.workflow_name)
    )
