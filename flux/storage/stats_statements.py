"""The dashboard's read queries (filtered execution lists, finished runs per minute),
written once against `schema.py` and compiled per dialect like `lease_statements.py`.

A `RunQuery` has seven optional filters, so its statements (one per combination of filters
present) are compiled when first used and kept, instead of all at start. A list of states
cannot be an expanding parameter (the compiled text goes to the raw driver as is): it is
one slot per `ExecutionState`, the unused ones NULL, which `IN` never matches.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, literal_column, select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.expression import ColumnElement, Select

from flux.domain.events import FINISHED_STATES, ExecutionState
from flux.orchestrator.store import RunQuery
from flux.storage.lease_statements import RUN_COLUMNS, literal
from flux.storage.schema import executions, workflows

_STATE_SLOTS = tuple(f"b_state_{i}" for i in range(len(ExecutionState)))

# (workflow_name, excluded_workflow, states, created_after, created_before, after_run,
# parent, top_level, file mode); file mode 0: no file filter, 1: runs of a version stored
# under that file name, 2: all other runs.
QueryKey = tuple[bool, bool, bool, bool, bool, bool, bool, bool, int]
# The minute an updated_at falls in, as SQL: text on SQLite, a timestamp on PostgreSQL.
MinuteOf = Callable[[ColumnElement[Any]], ColumnElement[Any]]


def query_params(
    query: RunQuery, stamp: Callable[[datetime], Any]
) -> tuple[QueryKey, dict[str, Any]]:
    """The key of `query`'s statements and their parameters (times through `stamp`)."""
    chosen: list[str | None] = [*sorted({state.value for state in query.states})]
    chosen += [None] * (len(_STATE_SLOTS) - len(chosen))
    params: dict[str, Any] = dict(zip(_STATE_SLOTS, chosen, strict=True))
    params["workflow_name"] = query.workflow_name
    params["excluded_workflow"] = query.excluded_workflow
    params["created_after"] = None if query.created_after is None else stamp(query.created_after)
    params["created_before"] = None if query.created_before is None else stamp(query.created_before)
    after_at, after_id = query.after_run or (None, None)
    params["after_at"] = None if after_at is None else stamp(after_at)
    params["after_id"] = after_id
    params["parent_execution_id"] = query.parent_execution_id
    params["catalog_file"] = query.catalog_file or ""
    file_mode = 0 if query.catalog_file is None else (2 if query.other_file else 1)
    key: QueryKey = (
        query.workflow_name is not None,
        query.excluded_workflow is not None,
        bool(query.states),
        query.created_after is not None,
        query.created_before is not None,
        query.after_run is not None,
        query.parent_execution_id is not None,
        query.top_level,
        file_mode,
    )
    return key, params


class StatsStatements:
    """Compiled text of the dashboard's queries for one dialect, built on first use."""

    def __init__(self, dialect: Dialect, minute_of: MinuteOf) -> None:
        self._dialect = dialect
        self._search: dict[QueryKey, str] = {}
        self._count: dict[QueryKey, str] = {}
        self.finished_by_minute = self._sql(_finished_by_minute(minute_of))

    def _sql(self, statement: ClauseElement) -> str:
        return str(statement.compile(dialect=self._dialect))

    def search(self, key: QueryKey) -> str:
        if key not in self._search:
            c = executions.c
            query = _filtered(select(*(c[name] for name in RUN_COLUMNS)), key)
            query = (
                query.order_by(c.created_at.desc(), c.execution_id.desc())
                .limit(bindparam("limit"))
                .offset(bindparam("offset"))
            )
            self._search[key] = self._sql(query)
        return self._search[key]

    def count(self, key: QueryKey) -> str:
        if key not in self._count:
            self._count[key] = self._sql(_filtered(select(func.count()), key))
        return self._count[key]


def _filtered(query: Select[Any], key: QueryKey) -> Select[Any]:
    by_name, excluded, by_states, after, before, after_run, by_parent, top_level, file_mode = key
    c = executions.c
    query = query.select_from(executions)
    if by_name:
        query = query.where(c.workflow_name == bindparam("workflow_name"))
    if excluded:
        query = query.where(c.workflow_name != bindparam("excluded_workflow"))
    if by_states:
        slots = [bindparam(slot, type_=c.state.type) for slot in _STATE_SLOTS]
        query = query.where(c.state.in_(slots))
    if after:
        query = query.where(c.created_at >= bindparam("created_after", type_=c.created_at.type))
    if before:
        query = query.where(c.created_at < bindparam("created_before", type_=c.created_at.type))
    if after_run:
        # The first condition alone bounds an index range on created_at; the second one
        # breaks ties between runs created in the same microsecond.
        at = bindparam("after_at", type_=c.created_at.type)
        query = query.where(
            c.created_at <= at, (c.created_at < at) | (c.execution_id < bindparam("after_id"))
        )
    if by_parent:
        query = query.where(c.parent_execution_id == bindparam("parent_execution_id"))
    if top_level:
        query = query.where(c.parent_execution_id.is_(None))
    if file_mode:
        # The catalog's primary key (name, version) finds the run's version directly.
        w = workflows.c
        stored_so = exists().where(
            w.name == c.workflow_name,
            w.version == c.workflow_version,
            w.filename == bindparam("catalog_file", type_=w.name.type),
        )
        query = query.where(stored_so if file_mode == 1 else ~stored_so)
    return query


def _finished_by_minute(minute_of: MinuteOf) -> Select[Any]:
    c = executions.c
    minute = minute_of(c.updated_at)
    return (
        select(minute, c.state, func.count())
        .where(
            c.state.in_([literal(state.value) for state in FINISHED_STATES]),
            c.updated_at >= bindparam("since", type_=c.updated_at.type),
        )
        .group_by(minute, c.state)
    )


def sqlite_minute(column: ColumnElement[Any]) -> ColumnElement[Any]:
    # Stored as fixed-width ISO text, so the first 16 characters are "YYYY-MM-DDTHH:MM".
    return func.substr(column, literal_column("1"), literal_column("16"))


def postgres_minute(column: ColumnElement[Any]) -> ColumnElement[Any]:
    # In UTC whatever the session's TimeZone: the result is a timestamp without zone.
    return func.date_trunc(literal("minute"), func.timezone(literal("UTC"), column))
