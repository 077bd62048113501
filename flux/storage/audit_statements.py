"""The SQL of the audit log (table `audit_log`), written once against `schema.py` and
compiled per dialect, like `stats_statements.py`.

An `AuditQuery` has six optional filters, so its list statement (one per combination of
filters present) is compiled when first used and kept. Newest first is `(at, id)`
descending: `at` is the index's column, `id` breaks ties between records of one
microsecond.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.expression import Select

from flux.orchestrator.store import AuditQuery, AuditRecord
from flux.storage.schema import audit_log

# Column order of audit SELECTs (`record_from_row`); an insert binds all but `id`.
AUDIT_COLUMNS = ("id", "at", "actor", "role", "action", "target", "status", "client", "detail")
_WRITTEN = AUDIT_COLUMNS[1:]
_ESCAPE = "/"

# (actor, action exact, action family, target, since, until, before)
AuditKey = tuple[bool, bool, bool, bool, bool, bool, bool]


def _like_escaped(value: str) -> str:
    for char in (_ESCAPE, "%", "_"):
        value = value.replace(char, _ESCAPE + char)
    return value


def is_family(action: str) -> bool:
    """ "secret" names the family of "secret.read", "secret.set", ...; "secret.read" one
    action."""
    return "." not in action


def audit_params(
    query: AuditQuery, stamp: Callable[[datetime], Any]
) -> tuple[AuditKey, dict[str, Any]]:
    """The key of `query`'s statement and its parameters (times through `stamp`)."""
    action = query.action
    family = action is not None and is_family(action)
    before_at, before_id = query.before or (None, None)
    params: dict[str, Any] = {
        "actor": None if query.actor is None else f"%{_like_escaped(query.actor.lower())}%",
        "action": None if action is None else (f"{_like_escaped(action)}.%" if family else action),
        "target": query.target,
        "since": None if query.since is None else stamp(query.since),
        "until": None if query.until is None else stamp(query.until),
        "before_at": None if before_at is None else stamp(before_at),
        "before_id": before_id,
    }
    key: AuditKey = (
        query.actor is not None,
        action is not None and not family,
        family,
        query.target is not None,
        query.since is not None,
        query.until is not None,
        query.before is not None,
    )
    return key, params


def record_params(record: AuditRecord, stamp: Callable[[datetime], Any]) -> dict[str, Any]:
    params = {name: getattr(record, name) for name in _WRITTEN}
    params["at"] = stamp(record.at)
    return params


def record_from_row(row: Any, read_time: Callable[[Any], datetime]) -> AuditRecord:
    id_, at, actor, role, action, target, status, client, detail = row
    return AuditRecord(
        at=read_time(at),
        actor=actor,
        action=action,
        role=role,
        target=target,
        status=status,
        client=client,
        detail=detail,
        id=int(id_),
    )


class AuditStatements:
    """Compiled text of the audit log's statements for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._lists: dict[AuditKey, str] = {}
        c = audit_log.c
        self.insert = self._sql(
            insert(audit_log).values(
                {name: bindparam(name, type_=c[name].type) for name in _WRITTEN}
            )
        )
        oldest = (
            select(c.id)
            .where(c.at < bindparam("cutoff", type_=c.at.type))
            .order_by(c.at)
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))  # SQLite's dialect writes an OFFSET with any LIMIT
        )
        self.prune = self._sql(delete(audit_log).where(c.id.in_(oldest)))

    def _sql(self, statement: ClauseElement) -> str:
        return str(statement.compile(dialect=self._dialect))

    def list(self, key: AuditKey) -> str:
        if key not in self._lists:
            c = audit_log.c
            query = (
                _filtered(select(*(c[name] for name in AUDIT_COLUMNS)), key)
                .order_by(c.at.desc(), c.id.desc())
                .limit(bindparam("limit"))
                .offset(bindparam("offset"))
            )
            self._lists[key] = self._sql(query)
        return self._lists[key]


def _filtered(query: Select[Any], key: AuditKey) -> Select[Any]:
    by_actor, by_action, by_family, by_target, since, until, before = key
    c = audit_log.c
    if by_actor:
        # lower() on both sides: LIKE ignores case on SQLite, not on PostgreSQL.
        query = query.where(func.lower(c.actor).like(bindparam("actor"), escape=_ESCAPE))
    if by_action:
        query = query.where(c.action == bindparam("action"))
    if by_family:
        query = query.where(c.action.like(bindparam("action"), escape=_ESCAPE))
    if by_target:
        query = query.where(c.target == bindparam("target"))
    if since:
        query = query.where(c.at >= bindparam("since", type_=c.at.type))
    if until:
        query = query.where(c.at < bindparam("until", type_=c.at.type))
    if before:
        # The first condition alone bounds an index range on `at`; the second breaks ties.
        at = bindparam("before_at", type_=c.at.type)
        query = query.where(c.at <= at, (c.at < at) | (c.id < bindparam("before_id")))
    return query
