"""What every `OrchestratorStore` promises for the audit log, run against the in-memory,
SQLite and PostgreSQL stores: records come back newest first with ids, every filter
narrows, pages follow each other without gaps or repeats, and pruning deletes only records
older than the cutoff, at most `limit` per call."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

import pytest

from flux.engine.store import ExecutionStore
from flux.orchestrator.store import AuditQuery, AuditRecord, OrchestratorStore

from .conftest import T0


@pytest.fixture
def astore(store: ExecutionStore) -> OrchestratorStore:
    return cast(OrchestratorStore, store)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def record(
    minutes: float, action: str, actor: str = "key ab12cd34ef56 (alice)", **kw: object
) -> AuditRecord:
    return AuditRecord(at=at(minutes), actor=actor, action=action, **kw)  # type: ignore[arg-type]


async def seed(store: OrchestratorStore) -> None:
    await store.append_audit(
        [
            record(
                0,
                "execution.start",
                target="greet",
                status=200,
                role="operator",
                client="127.0.0.1",
                detail='{"execution_id":"e-1"}',
            ),
            record(1, "secret.set", target="API_KEY", status=204, role="admin"),
            record(2, "secret.read", target="API_KEY", status=200, role="admin"),
            record(3, "secret.read", actor="unauthenticated", target="API_KEY", status=401),
            record(4, "job.submit", actor="key 99ff00aa11bb (Bob_CI)", status=201),
        ]
    )


def actions(found: list[AuditRecord]) -> list[str]:
    return [f"{r.action}@{int((r.at - T0).total_seconds() // 60)}" for r in found]


async def test_records_come_back_newest_first_as_written(astore: OrchestratorStore) -> None:
    await seed(astore)
    found = await astore.list_audit(AuditQuery(), 100)
    assert actions(found) == [
        "job.submit@4",
        "secret.read@3",
        "secret.read@2",
        "secret.set@1",
        "execution.start@0",
    ]
    first = found[-1]
    assert (first.actor, first.role, first.target, first.status, first.client, first.detail) == (
        "key ab12cd34ef56 (alice)",
        "operator",
        "greet",
        200,
        "127.0.0.1",
        '{"execution_id":"e-1"}',
    )
    assert first.at == at(0)
    assert len({r.id for r in found}) == 5 and all(isinstance(r.id, int) for r in found)
    assert found[-1].role is None or found[0].role is None  # optional columns stay NULL


async def test_each_filter_narrows(astore: OrchestratorStore) -> None:
    await seed(astore)

    async def listed(**query: object) -> list[str]:
        return actions(await astore.list_audit(AuditQuery(**query), 100))  # type: ignore[arg-type]

    assert await listed(action="secret.read") == ["secret.read@3", "secret.read@2"]
    assert await listed(action="secret") == ["secret.read@3", "secret.read@2", "secret.set@1"]
    assert await listed(action="secret.re") == []  # exact unless a family without a dot
    assert await listed(actor="ALICE") == ["secret.read@2", "secret.set@1", "execution.start@0"]
    assert await listed(actor="bob_ci") == ["job.submit@4"]
    assert await listed(actor="bo_") == []  # "_" is a character, not a wildcard
    assert await listed(actor="a%e") == []
    assert await listed(actor="unauth") == ["secret.read@3"]
    assert await listed(target="API_KEY", since=at(2)) == ["secret.read@3", "secret.read@2"]
    assert await listed(since=at(1), until=at(3)) == ["secret.read@2", "secret.set@1"]
    assert await listed(target="nothing") == []


async def test_pages_follow_each_other(astore: OrchestratorStore) -> None:
    # Several records in one microsecond: the id breaks the tie.
    await astore.append_audit([record(0, "job.submit", target=f"j{i}") for i in range(7)])
    seen: list[str | None] = []
    before = None
    while True:
        page = await astore.list_audit(AuditQuery(action="job.submit", before=before), 3)
        seen += [r.target for r in page]
        if len(page) < 3:
            break
        last = page[-1]
        assert last.id is not None
        before = (last.at, last.id)
    assert sorted(seen) == [f"j{i}" for i in range(7)]
    assert seen == [f"j{i}" for i in reversed(range(7))]  # newest (last appended) first


async def test_prune_deletes_only_old_records_in_bounded_batches(
    astore: OrchestratorStore,
) -> None:
    await seed(astore)
    assert await astore.prune_audit(at(3), 2) == 2
    assert await astore.prune_audit(at(3), 2) == 1
    assert await astore.prune_audit(at(3), 2) == 0
    assert actions(await astore.list_audit(AuditQuery(), 100)) == ["job.submit@4", "secret.read@3"]
