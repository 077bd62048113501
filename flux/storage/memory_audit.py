"""The audit log on `InMemoryStore`, with the rules of the SQL adapters
(`audit_statements.py`): newest first by (time, id), the same filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from flux.orchestrator.store import AuditQuery, AuditRecord
from flux.storage.audit_statements import is_family
from flux.storage.rows import as_utc


def _matches(record: AuditRecord, query: AuditQuery) -> bool:
    action = query.action
    checks = (
        query.actor is None or query.actor.lower() in record.actor.lower(),
        action is None
        or (
            record.action.startswith(f"{action}.") if is_family(action) else record.action == action
        ),
        query.target in (None, record.target),
        query.since is None or record.at >= as_utc(query.since),
        query.until is None or record.at < as_utc(query.until),
        query.before is None
        or (record.at, record.id or 0) < (as_utc(query.before[0]), query.before[1]),
    )
    return all(checks)


class MemoryAudit:
    _audit: list[AuditRecord]  # in the order appended, so by id
    _audit_last_id: int

    async def append_audit(self, records: Sequence[AuditRecord]) -> None:
        for record in records:
            self._audit_last_id += 1
            self._audit.append(replace(record, at=as_utc(record.at), id=self._audit_last_id))

    async def list_audit(self, query: AuditQuery, limit: int) -> list[AuditRecord]:
        found = [record for record in self._audit if _matches(record, query)]
        found.sort(key=lambda record: (record.at, record.id or 0), reverse=True)
        return [replace(record) for record in found[:limit]]

    async def prune_audit(self, cutoff: datetime, limit: int) -> int:
        cutoff = as_utc(cutoff)
        old = sorted((r for r in self._audit if r.at < cutoff), key=lambda r: r.at)[:limit]
        gone = {id(record) for record in old}
        self._audit[:] = [record for record in self._audit if id(record) not in gone]
        return len(old)
