"""What every `ExecutionStore` promises, run against each of them (see `conftest.store`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from flux.domain.events import ExecutionState
from flux.engine.store import EventConflictError, ExecutionExistsError, ExecutionStore

from .conftest import T0, event, execution

UTC_PLUS_2 = timezone(timedelta(hours=2))


def assert_utc(*moments: datetime) -> None:
    for moment in moments:
        assert moment.utcoffset() == timedelta(0), moment


async def test_create_then_get_round_trips_every_field(store: ExecutionStore) -> None:
    row = replace(
        execution(created_at=T0.astimezone(UTC_PLUS_2)),
        workflow_version="v2",
        output=b"\x00out\xff",
        parent_execution_id="parent-1",
        requests='{"cpu": 2}',
    )
    events = [event("exec-1", 0, value=None), event("exec-1", 1, value=b"\x00\x01")]
    await store.create_execution(row, events)

    got = await store.get_execution("exec-1")

    assert got == replace(row, events=events)
    assert got is not None
    assert_utc(got.created_at, got.updated_at, *(e.time for e in got.events))


async def test_get_without_events_and_unknown_execution(store: ExecutionStore) -> None:
    await store.create_execution(execution(), [event("exec-1", 0)])

    got = await store.get_execution("exec-1", with_events=False)

    assert got is not None and got.events == []
    assert await store.get_execution("nope") is None


async def test_duplicate_create_is_refused_and_changes_nothing(store: ExecutionStore) -> None:
    await store.create_execution(execution(), [event("exec-1", 0)])

    with pytest.raises(ExecutionExistsError) as raised:
        await store.create_execution(execution(workflow_name="other"), [event("exec-1", 1)])

    assert raised.value.execution_id == "exec-1"
    got = await store.get_execution("exec-1")
    assert got is not None and got.workflow_name == "greet"
    assert [e.seq for e in got.events] == [0]


async def test_append_at_a_taken_seq_keeps_nothing_of_the_batch(store: ExecutionStore) -> None:
    await store.create_execution(execution(), [event("exec-1", 0), event("exec-1", 1)])

    with pytest.raises(EventConflictError) as raised:
        await store.append_events(
            "exec-1",
            [event("exec-1", 2), event("exec-1", 1)],
            state=ExecutionState.COMPLETED,
            output=b"late",
        )

    assert (raised.value.execution_id, raised.value.seq) == ("exec-1", 1)
    got = await store.get_execution("exec-1")
    assert got is not None
    assert [e.seq for e in got.events] == [0, 1]
    assert (got.state, got.output) == (ExecutionState.CREATED, None)


async def test_a_batch_repeating_a_seq_is_refused(store: ExecutionStore) -> None:
    await store.create_execution(execution(), [])

    with pytest.raises(EventConflictError) as raised:
        await store.append_events("exec-1", [event("exec-1", 0), event("exec-1", 0)])

    assert raised.value.seq == 0
    assert await store.get_events("exec-1") == []


async def test_append_to_an_unknown_execution_raises_key_error(store: ExecutionStore) -> None:
    with pytest.raises(KeyError):
        await store.append_events("nope", [event("nope", 0)], state=ExecutionState.RUNNING)

    assert await store.get_events("nope") == []


async def test_append_sets_state_and_output_and_none_keeps_them(store: ExecutionStore) -> None:
    await store.create_execution(execution(), [event("exec-1", 0)])

    await store.append_events(
        "exec-1", [event("exec-1", 1)], state=ExecutionState.RUNNING, output=b"partial"
    )
    await store.append_events("exec-1", [event("exec-1", 2)])

    got = await store.get_execution("exec-1")
    assert got is not None
    assert (got.state, got.output) == (ExecutionState.RUNNING, b"partial")
    assert [e.seq for e in got.events] == [0, 1, 2]
    assert got.updated_at > got.created_at
    assert_utc(got.updated_at)


async def test_append_without_events_only_moves_the_state(store: ExecutionStore) -> None:
    await store.create_execution(execution(), [])

    await store.append_events("exec-1", [], state=ExecutionState.CANCELLED)

    got = await store.get_execution("exec-1")
    assert got is not None and got.state is ExecutionState.CANCELLED


async def test_get_events_after_seq_in_order(store: ExecutionStore) -> None:
    await store.create_execution(execution(), [event("exec-1", 0), event("exec-1", 1)])
    await store.append_events("exec-1", [event("exec-1", 3), event("exec-1", 2)])

    assert [e.seq for e in await store.get_events("exec-1")] == [0, 1, 2, 3]
    assert [e.seq for e in await store.get_events("exec-1", after_seq=1)] == [2, 3]
    assert await store.get_events("exec-1", after_seq=3) == []
    assert await store.get_events("nope") == []


async def _three_workflows(store: ExecutionStore) -> None:
    for index, (name, state) in enumerate(
        [
            ("a", ExecutionState.COMPLETED),
            ("b", ExecutionState.RUNNING),
            ("a", ExecutionState.RUNNING),
            ("a", ExecutionState.COMPLETED),
            ("b", ExecutionState.COMPLETED),
        ]
    ):
        row = execution(
            f"exec-{index}",
            workflow_name=name,
            state=state,
            created_at=T0 + timedelta(seconds=index),
        )
        await store.create_execution(row, [event(row.execution_id, 0)])


async def test_list_executions_newest_first_with_filters(store: ExecutionStore) -> None:
    await _three_workflows(store)

    async def ids(**filters: object) -> list[str]:
        found = await store.list_executions(**filters)  # type: ignore[arg-type]
        assert all(row.events == [] for row in found)
        return [row.execution_id for row in found]

    assert await ids() == ["exec-4", "exec-3", "exec-2", "exec-1", "exec-0"]
    assert await ids(workflow_name="a") == ["exec-3", "exec-2", "exec-0"]
    assert await ids(state=ExecutionState.RUNNING) == ["exec-2", "exec-1"]
    assert await ids(workflow_name="a", state=ExecutionState.COMPLETED) == ["exec-3", "exec-0"]
    assert await ids(workflow_name="zzz") == []


async def test_list_executions_pages(store: ExecutionStore) -> None:
    await _three_workflows(store)

    pages = [
        [row.execution_id for row in await store.list_executions(limit=2, offset=offset)]
        for offset in (0, 2, 4, 6)
    ]

    assert pages == [["exec-4", "exec-3"], ["exec-2", "exec-1"], ["exec-0"], []]


async def test_list_executions_breaks_created_at_ties_stably(store: ExecutionStore) -> None:
    for execution_id in ("x1", "x3", "x2"):
        await store.create_execution(execution(execution_id), [])

    first = [row.execution_id for row in await store.list_executions(limit=2)]
    rest = [row.execution_id for row in await store.list_executions(limit=2, offset=2)]

    assert first + rest == ["x3", "x2", "x1"]


async def test_cache_get_set_expiry_and_overwrite(store: ExecutionStore) -> None:
    assert await store.cache_get("k", T0) is None

    await store.cache_set("forever", b"1", None)
    await store.cache_set("k", b"2", T0 + timedelta(seconds=10))

    assert await store.cache_get("forever", T0 + timedelta(days=3650)) == b"1"
    assert await store.cache_get("k", T0 + timedelta(seconds=9)) == b"2"
    assert await store.cache_get("k", T0 + timedelta(seconds=10)) is None
    assert await store.cache_get("k", T0.astimezone(UTC_PLUS_2)) == b"2"

    await store.cache_set("k", b"3", None)
    assert await store.cache_get("k", T0 + timedelta(seconds=60)) == b"3"


async def test_secrets_set_get_overwrite_delete_names(store: ExecutionStore) -> None:
    assert await store.secret_names() == []
    await store.secret_set("token", b"enc-1")
    await store.secret_set("api_key", b"enc-2")
    await store.secret_set("token", b"enc-3")

    assert await store.secret_get(["token", "missing", "api_key"]) == {
        "token": b"enc-3",
        "api_key": b"enc-2",
    }
    assert await store.secret_names() == ["api_key", "token"]
    assert await store.secret_delete("token") is True
    assert await store.secret_delete("token") is False
    assert await store.secret_get(["token"]) == {}
    assert await store.secret_names() == ["api_key"]


async def test_naive_datetimes_are_refused(store: ExecutionStore) -> None:
    naive = T0.replace(tzinfo=None)

    with pytest.raises(ValueError, match="naive"):
        await store.create_execution(execution(created_at=naive), [])
    with pytest.raises(ValueError, match="naive"):
        await store.cache_get("k", naive)
    assert await store.get_execution("exec-1") is None
