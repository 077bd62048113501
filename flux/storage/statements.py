"""The SQL every adapter runs, written once against `schema.py` and compiled per dialect.

Why compile instead of executing through SQLAlchemy: the hot path (`append_events`) must cost
tens of microseconds, and a SQLAlchemy `Connection.execute` alone costs more than the whole
SQLite write. So each adapter compiles these Core statements once, at init, with its own
dialect and its driver's paramstyle (`:name` for sqlite3, `%(name)s` for psycopg), and hands
the resulting strings straight to the raw driver. The statement text is written once, quoting
and casts come from the dialect, and the only dialect-specific input is what the adapter
passes in (its dialect and its `INSERT ... ON CONFLICT` constructor).

Parameters are bound by name. Names that would collide with a column in a SET clause carry a
`b_` prefix; the adapters fill them from `ExecutionRow` / `EventRow` values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement, column, table
from sqlalchemy.sql.expression import ColumnElement, Select

from flux.storage.schema import events, executions, secrets, task_cache

# Column order of the SELECTs below; the adapters build rows positionally from it.
EXECUTION_COLUMNS = (
    "execution_id",
    "workflow_name",
    "state",
    "input",
    "created_at",
    "updated_at",
    "workflow_version",
    "output",
    "parent_execution_id",
    "requests",
)
EVENT_COLUMNS = ("execution_id", "seq", "id", "type", "source_id", "name", "value", "time")


class UpsertInsert(Protocol):
    """What `sqlalchemy.dialects.{sqlite,postgresql}.insert()` return (identical ON CONFLICT)."""

    @property
    def excluded(self) -> Any: ...

    def from_select(self, names: Any, select: Any) -> UpsertInsert: ...

    def on_conflict_do_update(self, *, index_elements: Any, set_: Any) -> ClauseElement: ...

    def on_conflict_do_nothing(self) -> ClauseElement: ...


@dataclass(frozen=True, slots=True)
class Statements:
    insert_execution: str
    insert_event: str
    # Sets updated_at and, when the bound value is not NULL, state / output. Matching no row
    # is how an append learns that the execution does not exist.
    touch_execution: str
    select_execution: str
    select_events: str
    # Keyed by (filter on workflow_name, filter on state).
    list_executions: dict[tuple[bool, bool], str]
    taken_seqs: str
    cache_get: str
    cache_set: str
    secret_get: str
    secret_set: str
    secret_delete: str
    secret_names: str
    schema_revision: str


def compile_statements(dialect: Dialect, upsert: Callable[[Any], UpsertInsert]) -> Statements:
    def sql(statement: ClauseElement) -> str:
        return str(statement.compile(dialect=dialect))

    return Statements(
        insert_execution=sql(insert(executions)),
        insert_event=sql(insert(events)),
        touch_execution=sql(_touch_execution()),
        select_execution=sql(_select_executions().where(_is_execution())),
        select_events=sql(_select_events()),
        list_executions={
            (by_name, by_state): sql(_list_executions(by_name, by_state))
            for by_name in (False, True)
            for by_state in (False, True)
        },
        taken_seqs=sql(_taken_seqs()),
        cache_get=sql(_cache_get()),
        cache_set=sql(_cache_set(upsert)),
        secret_get=sql(select(secrets.c.value).where(secrets.c.name == bindparam("name"))),
        secret_set=sql(_secret_set(upsert)),
        secret_delete=sql(delete(secrets).where(secrets.c.name == bindparam("name"))),
        secret_names=sql(select(secrets.c.name).order_by(secrets.c.name)),
        schema_revision=sql(select(column("version_num")).select_from(table("alembic_version"))),
    )


def _is_execution() -> ColumnElement[bool]:
    return executions.c.execution_id == bindparam("b_execution_id")


def _touch_execution() -> ClauseElement:
    c = executions.c
    return (
        update(executions)
        .where(_is_execution())
        .values(
            state=func.coalesce(bindparam("b_state", type_=c.state.type), c.state),
            output=func.coalesce(bindparam("b_output", type_=c.output.type), c.output),
            updated_at=bindparam("b_updated_at", type_=c.updated_at.type),
        )
    )


def _select_executions() -> Select[Any]:
    return select(*(executions.c[name] for name in EXECUTION_COLUMNS))


def _select_events() -> Select[Any]:
    c = events.c
    return (
        select(*(c[name] for name in EVENT_COLUMNS))
        .where(c.execution_id == bindparam("b_execution_id"), c.seq > bindparam("after_seq"))
        .order_by(c.seq)
    )


def _list_executions(by_name: bool, by_state: bool) -> Select[Any]:
    c = executions.c
    query = _select_executions()
    if by_name:
        query = query.where(c.workflow_name == bindparam("workflow_name"))
    if by_state:
        query = query.where(c.state == bindparam("state"))
    # execution_id breaks ties so that paging never skips or repeats a row.
    return (
        query.order_by(c.created_at.desc(), c.execution_id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _taken_seqs() -> Select[Any]:
    c = events.c
    return select(c.seq).where(
        c.execution_id == bindparam("b_execution_id"),
        c.seq.between(bindparam("first_seq"), bindparam("last_seq")),
    )


def _cache_get() -> Select[Any]:
    c = task_cache.c
    return select(c.value).where(
        c.key == bindparam("key"),
        (c.expires_at.is_(None)) | (c.expires_at > bindparam("now", type_=c.expires_at.type)),
    )


def _cache_set(upsert: Callable[[Any], UpsertInsert]) -> ClauseElement:
    statement = upsert(task_cache)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[task_cache.c.key],
        set_={"value": new.value, "expires_at": new.expires_at, "created_at": new.created_at},
    )


def _secret_set(upsert: Callable[[Any], UpsertInsert]) -> ClauseElement:
    statement = upsert(secrets)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[secrets.c.name],
        set_={"value": new.value, "updated_at": new.updated_at},
    )
