"""The SQL of schedules, written once against `schema.py` and compiled per dialect, as
`job_statements.py` does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.expression import ColumnElement, Select

from flux.storage.lease_statements import literal
from flux.storage.schema import executions, schedule_fires, schedules

# Column order of schedule SELECTs (`rows.schedule_from_row`) and of a fire's
# (`rows.fire_from_row`, then the run's state).
SCHEDULE_COLUMNS = tuple(column.name for column in schedules.columns)
FIRE_COLUMNS = ("schedule_id", "fire_time", "execution_id", "created_at")
# What an update may change: everything but the identity and the creation time. Bound as
# `v_<column>`: an UPDATE may not bind a parameter under a column's own name.
UPDATED_COLUMNS = tuple(c for c in SCHEDULE_COLUMNS if c not in ("id", "created_at"))


@dataclass(frozen=True, slots=True)
class ScheduleStatements:
    insert_schedule: str
    select_by_id: str
    select_by_name: str
    list_schedules: str
    # Matches nothing unless the row is still at `b_revision`.
    update_schedule: str
    delete_schedule: str
    due_schedules: str
    next_due: str
    insert_fire: str
    list_fires: str


def compile_schedule_statements(dialect: Dialect) -> ScheduleStatements:
    def sql(statement: ClauseElement) -> str:
        return str(statement.compile(dialect=dialect))

    c = schedules.c
    columns = [c[name] for name in SCHEDULE_COLUMNS]
    return ScheduleStatements(
        insert_schedule=sql(insert(schedules)),
        select_by_id=sql(select(*columns).where(c.id == bindparam("key"))),
        select_by_name=sql(select(*columns).where(c.name == bindparam("key"))),
        list_schedules=sql(select(*columns).order_by(c.name)),
        update_schedule=sql(
            update(schedules)
            .where(c.id == bindparam("b_id"), c.revision == bindparam("b_revision"))
            .values({name: bindparam(f"v_{name}", type_=c[name].type) for name in UPDATED_COLUMNS})
        ),
        delete_schedule=sql(delete(schedules).where(c.id == bindparam("b_id"))),
        due_schedules=sql(
            select(*columns)
            .where(_active(), c.next_fire_at <= bindparam("now", type_=c.next_fire_at.type))
            .order_by(c.next_fire_at, c.id)
            .limit(bindparam("limit"))
            # SQLite compiles LIMIT with an OFFSET parameter; callers pass offset 0.
            .offset(bindparam("offset"))
        ),
        next_due=sql(select(func.min(c.next_fire_at)).where(_active())),
        insert_fire=sql(insert(schedule_fires)),
        list_fires=sql(_list_fires()),
    )


def _active() -> ColumnElement[bool]:
    c = schedules.c
    return (c.state == literal("active")) & c.next_fire_at.is_not(None)


def _list_fires() -> Select[Any]:
    f = schedule_fires.c
    joined = schedule_fires.outerjoin(executions, f.execution_id == executions.c.execution_id)
    return (
        select(*(f[name] for name in FIRE_COLUMNS), executions.c.state)
        .select_from(joined)
        .where(f.schedule_id == bindparam("b_id"))
        .order_by(f.fire_time.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
