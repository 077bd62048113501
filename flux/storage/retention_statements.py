"""The SQL of retention (pruning finished executions), compiled per dialect like
`schedule_statements.py`.

A prune is one bounded DELETE per workflow: the subquery picks the oldest finished
executions of that workflow through the (workflow_name, created_at) index, and the foreign
keys' ON DELETE CASCADE takes their events, logs and job rows along.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.expression import ColumnElement, Select

from flux.domain.events import FINISHED_STATES
from flux.storage.lease_statements import literal
from flux.storage.schema import executions


@dataclass(frozen=True, slots=True)
class RetentionStatements:
    workflow_names: str
    prune: str  # binds workflow, cutoff, limit, offset (0)
    count: str  # binds workflow, cutoff


def compile_retention_statements(dialect: Dialect) -> RetentionStatements:
    def sql(statement: ClauseElement) -> str:
        return str(statement.compile(dialect=dialect))

    oldest = (
        _prunable(select(executions.c.execution_id))
        .order_by(executions.c.created_at)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))  # SQLite's dialect writes an OFFSET with any LIMIT
    )
    return RetentionStatements(
        workflow_names=sql(select(executions.c.workflow_name).distinct()),
        prune=sql(delete(executions).where(executions.c.execution_id.in_(oldest))),
        count=sql(_prunable(select(func.count()).select_from(executions))),
    )


def _prunable(query: Select[Any]) -> Select[Any]:
    finished: ColumnElement[bool] = executions.c.state.in_(
        [literal(state.value) for state in FINISHED_STATES]
    )
    return query.where(
        executions.c.workflow_name == bindparam("workflow"),
        finished,
        # created_at first: it is the index's second column, and a run ends after it starts.
        executions.c.created_at < bindparam("cutoff"),
        executions.c.updated_at < bindparam("cutoff"),
    )
