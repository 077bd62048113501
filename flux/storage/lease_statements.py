"""The orchestrator's SQL (leases, dispatch queue, catalog, workers), written once against
`schema.py` and compiled per dialect, as `statements.py` does for the engine's.

`FOR UPDATE [SKIP LOCKED]` is written here once: SQLAlchemy's SQLite dialect compiles it to
nothing, which is right there since SQLite's write transaction already excludes every other
writer. Fixed state lists are literal SQL (not expanding parameters), so the compiled text
can go to the raw driver as is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    bindparam,
    case,
    func,
    literal_column,
    null,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.expression import ColumnElement, Select

from flux.orchestrator.store import HELD_STATES
from flux.storage.leases import LOCK_COLUMNS
from flux.storage.limit_statements import admissible, queue_columns
from flux.storage.schema import events, executions, workers, workflows
from flux.storage.statements import EXECUTION_COLUMNS, UpsertInsert

LEASE_COLUMNS = ("worker_name", "lease_epoch", "lease_expires_at", "attempts", "error")
# The run's priority and limits (`rows.execution_params`).
ADMISSION_COLUMNS = (
    "priority",
    "concurrency_key",
    "concurrency_limit",
    "rate_key",
    "rate_limit",
    "rate_period",
)
RUN_COLUMNS = EXECUTION_COLUMNS + LEASE_COLUMNS + ADMISSION_COLUMNS
QUEUED_COLUMNS = ("execution_id", "workflow_name", "workflow_version", "requests", "created_at")
WORKFLOW_COLUMNS = ("name", "version", "filename", "source", "metadata", "created_at")
WORKER_COLUMNS = (
    "name",
    "session_token_hash",
    "resources",
    "packages",
    "python_version",
    "platform",
    "max_concurrency",
    "status",
    "registered_at",
    "last_seen_at",
    "connection_id",
)


@dataclass(frozen=True, slots=True)
class LeaseStatements:
    ping: str
    select_run: str
    list_runs: dict[tuple[bool, bool], str]
    count_runs: dict[tuple[bool, bool], str]
    count_by_state: str
    # One statement per band of priorities, in dispatch order (see `_band`).
    queued: tuple[str, ...]
    queued_for_claim: tuple[str, ...]
    lock_run: str
    lock_worker_runs: str
    lock_expired: str
    update_run: str
    checkpoint: str
    renew: str
    touch_worker: str
    max_seq: str
    last_pause: str
    save_workflow: str
    select_workflow: str
    latest_workflow: str
    all_workflows: str
    workflow_versions: str
    save_worker: str
    select_worker: str
    all_workers: str
    worker_connected: str
    worker_disconnected: str


def compile_lease_statements(
    dialect: Dialect, upsert: Callable[[Any], UpsertInsert]
) -> LeaseStatements:
    def sql(statement: ClauseElement) -> str:
        return str(statement.compile(dialect=dialect))

    keys = [(by_name, by_state) for by_name in (False, True) for by_state in (False, True)]
    return LeaseStatements(
        ping=sql(select(literal_column("1"))),
        select_run=sql(_runs().where(_is_execution())),
        list_runs={key: sql(_list_runs(*key)) for key in keys},
        count_runs={key: sql(_filtered(select(func.count()), *key)) for key in keys},
        count_by_state=sql(select(executions.c.state, func.count()).group_by(executions.c.state)),
        queued=tuple(
            _priority_index(
                dialect,
                sql(
                    _band(band, queue_columns())
                    .limit(bindparam("limit"))
                    .offset(bindparam("offset"))
                ),
                (band,),
            )
            for band in BANDS
        ),
        queued_for_claim=tuple(
            _priority_index(
                dialect,
                sql(
                    _band(band, [executions.c.execution_id, executions.c.requests])
                    .limit(bindparam("limit"))
                    .offset(bindparam("offset"))
                    .with_for_update(skip_locked=True)
                ),
                (band,),
            )
            for band in BANDS
        ),
        lock_run=sql(_lock().where(_is_execution()).with_for_update()),
        lock_worker_runs=sql(
            _lock()
            .where(_held(), executions.c.worker_name == bindparam("worker_name"))
            .with_for_update()
        ),
        lock_expired=sql(_lock_expired()),
        update_run=sql(_update_run()),
        checkpoint=sql(_checkpoint()),
        renew=sql(_renew()),
        touch_worker=sql(_touch_worker()),
        max_seq=sql(
            select(func.coalesce(func.max(events.c.seq), literal_column("-1"))).where(
                events.c.execution_id == bindparam("b_execution_id")
            )
        ),
        last_pause=sql(_last_pause()),
        save_workflow=sql(_save_workflow(upsert)),
        select_workflow=sql(
            _workflows().where(
                workflows.c.name == bindparam("name"), workflows.c.version == bindparam("version")
            )
        ),
        latest_workflow=sql(_newest_workflows().where(workflows.c.name == bindparam("name"))),
        all_workflows=sql(_workflows().order_by(workflows.c.name, *_newest_first())),
        workflow_versions=sql(
            select(workflows.c.version)
            .where(workflows.c.name == bindparam("name"))
            .order_by(*_newest_first())
        ),
        save_worker=sql(_save_worker(upsert)),
        select_worker=sql(_workers().where(workers.c.name == bindparam("name"))),
        all_workers=sql(_workers().order_by(workers.c.name)),
        worker_connected=sql(_worker_connected()),
        worker_disconnected=sql(_worker_disconnected()),
    )


def literal(value: str) -> ColumnElement[Any]:
    """`value` as SQL text, not a parameter: the compiled statement needs no value for it."""
    return literal_column(f"'{value}'")


def _held() -> ColumnElement[bool]:
    return executions.c.state.in_([literal(state.value) for state in HELD_STATES])


def _is_execution() -> ColumnElement[bool]:
    return executions.c.execution_id == bindparam("b_execution_id")


def _runs() -> Select[Any]:
    return select(*(executions.c[name] for name in RUN_COLUMNS))


def _lock() -> Select[Any]:
    return select(*(executions.c[name] for name in LOCK_COLUMNS))


def _filtered(query: Select[Any], by_name: bool, by_state: bool) -> Select[Any]:
    if by_name:
        query = query.where(executions.c.workflow_name == bindparam("workflow_name"))
    if by_state:
        query = query.where(executions.c.state == bindparam("state"))
    return query.select_from(executions)


def _list_runs(by_name: bool, by_state: bool) -> Select[Any]:
    c = executions.c
    return (
        _filtered(_runs(), by_name, by_state)
        .order_by(c.created_at.desc(), c.execution_id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


# Dispatch order is higher priority first, then oldest. Most runs have the default priority
# 0, and they must not pay for priorities: the queue is read band after band (until a read
# has enough rows), runs above 0 and below 0 through a partial index that holds only them
# (`ix_executions_priority`), and runs at 0 in created_at order through the (state,
# created_at) index, as before priorities existed. A run at priority 0 adds no index entry,
# and reading it costs no sort.
BANDS = ("above", "zero", "below")


def _band(band: str, columns: list[ColumnElement[Any]]) -> Select[Any]:
    c = executions.c
    zero: ColumnElement[Any] = literal_column("0")
    # Subworkflows are never dispatched on their own: they run inline in their parent.
    query = select(*columns).where(
        c.state == literal("SCHEDULED"), c.parent_execution_id.is_(None), admissible()
    )
    if band == "zero":
        return query.where(c.priority == zero).order_by(c.created_at, c.execution_id)
    side = c.priority > zero if band == "above" else c.priority < zero
    # `priority <> 0` word for word as in the partial index's WHERE: SQLite uses a partial
    # index only when the query's WHERE has each of its terms.
    return query.where(c.priority != zero, side).order_by(
        c.priority.desc(), c.created_at, c.execution_id
    )


def _priority_index(dialect: Dialect, text: str, bands: tuple[str, ...]) -> str:
    """Make SQLite read the prioritized bands through their partial index. Without
    statistics it prefers a (state, ...) index and sorts every queued run (4 ms with 5,000
    queued, against 0.1 ms); SQLAlchemy renders no table hints for SQLite, hence the text
    edit (each band has one `FROM executions`, in `bands` order). PostgreSQL's planner picks
    the partial index by itself."""
    if dialect.name != "sqlite":
        return text
    plain = "FROM executions \nWHERE"
    parts = text.split(plain)
    assert len(parts) == len(bands) + 1, text
    hinted = "FROM executions INDEXED BY ix_executions_priority \nWHERE"
    joined = parts[0]
    for band, part in zip(bands, parts[1:], strict=True):
        joined += (plain if band == "zero" else hinted) + part
    return joined


def _lock_expired() -> Select[Any]:
    c = executions.c
    expired = c.lease_expires_at < bindparam("now", type_=c.lease_expires_at.type)
    return (
        _lock()
        .where(_held(), expired)
        .order_by(c.lease_expires_at)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .with_for_update(skip_locked=True)
    )


def _update_run() -> ClauseElement:
    c = executions.c
    names = ("state", "worker_name", "lease_epoch", "lease_expires_at", "attempts", "error")
    values = {name: bindparam(f"b_{name}", type_=c[name].type) for name in names}
    values["updated_at"] = bindparam("b_updated_at", type_=c.updated_at.type)
    return update(executions).where(_is_execution()).values(**values)


def _checkpoint() -> ClauseElement:
    c = executions.c
    new_state = bindparam("b_state", type_=c.state.type)
    asked = bindparam("b_keep_cancelling", type_=Integer) == literal_column("1")
    keep = (c.state == literal("CANCELLING")) & asked
    return (
        update(executions)
        .where(
            _is_execution(),
            c.worker_name == bindparam("b_worker_name"),
            c.lease_epoch == bindparam("b_lease_epoch"),
            _held(),
        )
        .values(
            state=case((new_state.is_(None), c.state), (keep, c.state), else_=new_state),
            output=func.coalesce(bindparam("b_output", type_=c.output.type), c.output),
            error=func.coalesce(bindparam("b_error", type_=c.error.type), c.error),
            lease_expires_at=bindparam("b_lease_expires_at", type_=c.lease_expires_at.type),
            updated_at=bindparam("b_updated_at", type_=c.updated_at.type),
        )
        .returning(c.state, c.workflow_name, c.parent_execution_id, c.concurrency_key)
    )


def _renew() -> ClauseElement:
    c = executions.c
    return (
        update(executions)
        .where(
            _is_execution(),
            c.worker_name == bindparam("b_worker_name"),
            c.lease_epoch == bindparam("b_lease_epoch"),
            _held(),
        )
        .values(lease_expires_at=bindparam("b_lease_expires_at", type_=c.lease_expires_at.type))
        .returning(c.execution_id)
    )


def _touch_worker() -> ClauseElement:
    c = workers.c
    return (
        update(workers)
        .where(c.name == bindparam("b_name"))
        .values(
            last_seen_at=bindparam("b_now", type_=c.last_seen_at.type),
            resources=func.coalesce(bindparam("b_resources", type_=c.resources.type), c.resources),
        )
    )


def _last_pause() -> Select[Any]:
    c = events.c
    return (
        select(c.source_id)
        .where(c.execution_id == bindparam("b_execution_id"), c.type == literal("WORKFLOW_PAUSED"))
        .order_by(c.seq.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _workflows() -> Select[Any]:
    return select(*(workflows.c[name] for name in WORKFLOW_COLUMNS))


def _newest_first() -> tuple[ColumnElement[Any], ...]:
    return (workflows.c.created_at.desc(), workflows.c.version.desc())


def _newest_workflows() -> Select[Any]:
    return (
        _workflows()
        .order_by(*_newest_first())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _save_workflow(upsert: Callable[[Any], UpsertInsert]) -> ClauseElement:
    statement = upsert(workflows)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[workflows.c.name, workflows.c.version],
        set_={"created_at": new.created_at, "filename": new.filename, "metadata": new.metadata},
    )


def _workers() -> Select[Any]:
    return select(*(workers.c[name] for name in WORKER_COLUMNS))


def _save_worker(upsert: Callable[[Any], UpsertInsert]) -> ClauseElement:
    statement = upsert(workers)
    new = statement.excluded
    changed = [name for name in WORKER_COLUMNS if name not in ("name", "connection_id")]
    return statement.on_conflict_do_update(
        index_elements=[workers.c.name], set_={name: new[name] for name in changed}
    )


def _worker_connected() -> ClauseElement:
    c = workers.c
    return (
        update(workers)
        .where(c.name == bindparam("b_name"))
        .values(
            status=literal("connected"),
            connection_id=bindparam("b_connection_id"),
            last_seen_at=bindparam("b_now", type_=c.last_seen_at.type),
        )
    )


def _worker_disconnected() -> ClauseElement:
    c = workers.c
    return (
        update(workers)
        .where(c.name == bindparam("b_name"), c.connection_id == bindparam("b_connection_id"))
        .values(status=literal("disconnected"), connection_id=null())
    )
