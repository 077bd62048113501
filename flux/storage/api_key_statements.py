"""The SQL of API keys (table `api_keys`), written once against `schema.py` and compiled per
dialect, like `audit_statements.py`. A handful of rows: nothing here is on a hot path except
`select`, which a verified key's cache spares most requests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

from flux.domain.access import Role
from flux.orchestrator.store import ApiKeyRow
from flux.storage.schema import api_keys

# Column order of key SELECTs (`key_from_row`), and what an insert binds.
KEY_COLUMNS = (
    "id",
    "name",
    "role",
    "secret_hash",
    "created_at",
    "created_by",
    "revoked_at",
    "last_used_at",
)
_TIMES = ("created_at", "revoked_at", "last_used_at")


def key_params(key: ApiKeyRow, stamp: Callable[[datetime], Any]) -> dict[str, Any]:
    params = {name: getattr(key, name) for name in KEY_COLUMNS}
    for name in _TIMES:
        if params[name] is not None:
            params[name] = stamp(params[name])
    return params


def key_from_row(row: Any, read_time: Callable[[Any], datetime]) -> ApiKeyRow:
    key_id, name, role, secret_hash, created_at, created_by, revoked_at, last_used_at = row
    return ApiKeyRow(
        id=key_id,
        name=name,
        role=role,
        secret_hash=secret_hash,
        created_at=read_time(created_at),
        created_by=created_by,
        revoked_at=None if revoked_at is None else read_time(revoked_at),
        last_used_at=None if last_used_at is None else read_time(last_used_at),
    )


class ApiKeyStatements:
    """Compiled text of the key statements for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        c = api_keys.c
        columns = [c[name] for name in KEY_COLUMNS]
        self.insert = self._sql(
            insert(api_keys).values(
                {name: bindparam(name, type_=c[name].type) for name in KEY_COLUMNS}
            )
        )
        self.select = self._sql(select(*columns).where(c.id == bindparam("id")))
        self.list = self._sql(select(*columns).order_by(c.created_at, c.id))
        self.admin_exists = self._sql(
            select(c.id).where(c.role == Role.ADMIN.value, c.revoked_at.is_(None)).limit(1),
            literal=True,
        )
        at = bindparam("at", type_=c.revoked_at.type)
        self.revoke = self._sql(
            update(api_keys)
            .where(c.id == bindparam("id"))
            .values(revoked_at=func.coalesce(c.revoked_at, at))
        )
        used = bindparam("at", type_=c.last_used_at.type)
        self.touch = self._sql(
            update(api_keys)
            .where(c.id == bindparam("id"), (c.last_used_at.is_(None)) | (c.last_used_at < used))
            .values(last_used_at=used)
        )

    def _sql(self, statement: ClauseElement, *, literal: bool = False) -> str:
        kwargs = {"literal_binds": True} if literal else {}
        return str(statement.compile(dialect=self._dialect, compile_kwargs=kwargs))
