"""The scheduler with a fake clock: DST gaps and overlaps in real timezones, catch-up
policies after a simulated outage, overlap skip, once and interval schedules, pause and
resume, schedules from uploaded workflows, and refusals that store nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flux.errors import ScheduleError, WorkflowNotFoundError
from flux.orchestrator import scheduler as scheduler_module
from flux.storage.memory import InMemoryStore
from flux.storage.sqlite import SqliteStore

from .scheduling import REPORT, FakeClock, Replica, replica

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)  # a Monday


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture(params=["memory", "sqlite"])
async def env(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Replica]:
    store: Any = (
        InMemoryStore()
        if request.param == "memory"
        else SqliteStore(f"sqlite:///{tmp_path / 'flux.db'}")
    )
    async with replica(store, FakeClock(T0), tmp_path / ".flux") as made:
        await made.orchestrator.register("report.py", REPORT)
        yield made
    await store.close()


# DST


@pytest.mark.parametrize(
    ("timezone", "expression", "day_before", "expected"),
    [
        # New York springs forward at 02:00 -> 03:00: 02:30 does not exist that day.
        ("America/New_York", "30 2 * * *", utc(2025, 3, 8, 12), utc(2025, 3, 9, 7, 0)),
        # Lisbon springs forward at 01:00 -> 02:00: 01:30 does not exist that day.
        ("Europe/Lisbon", "30 1 * * *", utc(2025, 3, 29, 12), utc(2025, 3, 30, 1, 0)),
    ],
)
async def test_a_wall_time_in_the_dst_gap_fires_when_the_clocks_jump(
    env: Replica, timezone: str, expression: str, day_before: datetime, expected: datetime
) -> None:
    env.clock.set(day_before)
    key = await env.create(cron=expression, timezone=timezone, overlap="allow")

    await env.drive(day_before + timedelta(days=2, hours=12))

    fired = [t for t, _ in await env.fire_times(key)]
    # The first instant after the gap (03:00 / 02:00 local), then the wall time again the
    # next day (02:30 EDT / 01:30 WEST): once a day, the gap day included.
    assert fired == [expected, expected + timedelta(hours=23, minutes=30)]


@pytest.mark.parametrize(
    ("timezone", "day_before", "first_occurrence", "next_day"),
    [
        # New York falls back at 02:00 -> 01:00: 01:30 happens twice (EDT, then EST).
        (
            "America/New_York",
            utc(2025, 11, 1, 12),
            utc(2025, 11, 2, 5, 30),
            utc(2025, 11, 3, 6, 30),
        ),
        # Lisbon falls back at 02:00 -> 01:00: 01:30 happens twice (WEST, then WET).
        (
            "Europe/Lisbon",
            utc(2025, 10, 25, 12),
            utc(2025, 10, 26, 0, 30),
            utc(2025, 10, 27, 1, 30),
        ),
    ],
)
async def test_a_wall_time_that_happens_twice_fires_once_at_the_first(
    env: Replica,
    timezone: str,
    day_before: datetime,
    first_occurrence: datetime,
    next_day: datetime,
) -> None:
    env.clock.set(day_before)
    key = await env.create(cron="30 1 * * *", timezone=timezone, overlap="allow")

    await env.drive(day_before + timedelta(days=2))

    fired = [t for t, _ in await env.fire_times(key)]
    assert fired == [first_occurrence, next_day]


async def test_a_frequent_cron_through_the_gap_fires_once_at_the_jump(env: Replica) -> None:
    env.clock.set(utc(2025, 3, 9, 6, 20))  # 01:20 EST
    key = await env.create(cron="*/15 * * * *", timezone="America/New_York", overlap="allow")

    await env.drive(utc(2025, 3, 9, 7, 20))

    local = [
        t.astimezone(_zone("America/New_York")).strftime("%H:%M")
        for t, _ in await env.fire_times(key)
    ]
    assert local == ["01:30", "01:45", "03:00", "03:15"]


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


# Catch-up after a 3-hour outage (every 15 minutes; the 09:15 run happened before it)


async def _outage(env: Replica, **policy: Any) -> str:
    key = await env.create(cron="*/15 * * * *", overlap="allow", **policy)
    await env.drive(T0 + timedelta(minutes=15))
    env.clock.set(T0 + timedelta(hours=3, minutes=5))  # 09:30 ... 12:00 were missed
    await env.scheduler.fire_due()
    return key


async def test_catchup_skip_runs_none_of_the_missed_times(env: Replica) -> None:
    key = await _outage(env, catchup="skip")

    assert [t for t, _ in await env.fire_times(key)] == [T0 + timedelta(minutes=15)]
    view = await env.schedules.get(key)
    assert view.next_fire_at == T0 + timedelta(hours=3, minutes=15)


async def test_catchup_latest_runs_the_latest_missed_time_once(env: Replica) -> None:
    key = await _outage(env, catchup="latest")

    fired = [t for t, _ in await env.fire_times(key)]
    assert fired == [T0 + timedelta(minutes=15), T0 + timedelta(hours=3)]
    assert (await env.schedules.get(key)).next_fire_at == T0 + timedelta(hours=3, minutes=15)


async def test_catchup_all_runs_every_missed_time(env: Replica) -> None:
    key = await _outage(env, catchup="all")

    fired = [t for t, _ in await env.fire_times(key)]
    assert fired == [T0 + timedelta(minutes=15 * i) for i in range(1, 13)]  # 09:15 ... 12:00
    runs = await env.store.list_runs(workflow_name="report", limit=100)
    assert len(runs) == 12


async def test_catchup_all_is_bounded_by_its_limit(env: Replica) -> None:
    key = await _outage(env, catchup="all", catchup_limit=4)

    fired = [t for t, _ in await env.fire_times(key)]
    assert fired[1:] == [T0 + timedelta(hours=2, minutes=15 * i) for i in range(1, 5)]


async def test_a_punctual_fire_is_within_the_grace_of_catchup_skip(env: Replica) -> None:
    key = await env.create(cron="*/15 * * * *", catchup="skip", overlap="allow")
    env.clock.set(T0 + timedelta(minutes=15, seconds=20))  # a slow wake-up, not an outage

    await env.scheduler.fire_due()

    assert len(await env.fire_times(key)) == 1


# Overlap


async def test_overlap_skip_skips_while_the_previous_run_is_going(env: Replica) -> None:
    key = await env.create(cron="*/15 * * * *", overlap="skip")
    await env.drive(T0 + timedelta(minutes=30))  # 09:15 starts a run; 09:30 finds it going
    first = (await env.schedules.get(key)).last_execution_id
    assert first is not None
    await env.finish(first)
    await env.drive(T0 + timedelta(minutes=45))

    assert await env.fire_times(key) == [
        (T0 + timedelta(minutes=15), "COMPLETED"),
        (T0 + timedelta(minutes=30), "SKIPPED"),
        (T0 + timedelta(minutes=45), "SCHEDULED"),
    ]
    view = await env.schedules.get(key)
    assert (view.runs_started, view.runs_skipped) == (2, 1)


async def test_overlap_allow_starts_beside_a_running_one(env: Replica) -> None:
    key = await env.create(cron="*/15 * * * *", overlap="allow")

    await env.drive(T0 + timedelta(minutes=30))

    assert [s for _, s in await env.fire_times(key)] == ["SCHEDULED", "SCHEDULED"]


# Once, interval, pause


async def test_once_fires_once(env: Replica) -> None:
    key = await env.create(once_at=(T0 + timedelta(minutes=10)).isoformat())

    await env.drive(T0 + timedelta(days=3))
    await env.scheduler.fire_due()

    assert [t for t, _ in await env.fire_times(key)] == [T0 + timedelta(minutes=10)]
    assert (await env.schedules.get(key)).next_fire_at is None


async def test_interval_is_anchored_at_creation(env: Replica) -> None:
    env.clock.set(T0 + timedelta(seconds=7))
    key = await env.create(interval_seconds=600, catchup="latest")

    await env.drive(T0 + timedelta(minutes=25))
    env.clock.set(T0 + timedelta(hours=2))  # an outage: the latest missed time runs once
    await env.scheduler.fire_due()

    fired = [t - T0 for t, _ in await env.fire_times(key)]
    assert fired == [
        timedelta(minutes=10, seconds=7),
        timedelta(minutes=20, seconds=7),
        timedelta(minutes=110, seconds=7),
    ]


async def test_pause_stops_firing_and_resume_goes_on_from_now(env: Replica) -> None:
    key = await env.create(cron="*/15 * * * *")
    paused = await env.schedules.pause("every-15")  # by name

    await env.drive(T0 + timedelta(hours=1))
    assert paused.state == "paused" and await env.fire_times(key) == []

    resumed = await env.schedules.resume(key)
    assert resumed.state == "active"
    assert resumed.next_fire_at == T0 + timedelta(hours=1, minutes=15)


async def test_a_run_that_cannot_start_is_skipped_with_the_reason(env: Replica) -> None:
    key = await env.create(name="gone", cron="*/15 * * * *")
    # The workflow disappears from the catalog (as if the database were restored without it).
    row = await env.store.get_schedule(key)
    assert row is not None
    row.workflow_name = "deleted_workflow"
    assert await env.store.update_schedule(row)
    env.clock.set(T0 + timedelta(minutes=30))
    await env.scheduler.fire_due()

    view = await env.schedules.get(key)
    assert view.last_error == "workflow 'deleted_workflow' not found"
    assert [s for _, s in await env.fire_times(key)] == ["SKIPPED"]
    assert view.next_fire_at == T0 + timedelta(minutes=45)


# Refusals


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"cron": "*/0 * * * *"}, "malformed cron expression '*/0 * * * *'"),
        ({"cron": "61 * * * *"}, "malformed cron expression '61 * * * *'"),
        ({"cron": "0 0 30 2 *"}, "cron '0 0 30 2 *' never fires"),
        ({"cron": "0 9 * * *", "timezone": "Europe/Atlantis"}, "unknown timezone"),
        ({"cron": "0 9 * *"}, "must have 5 fields"),
        ({"interval_seconds": 0}, "positive"),
        ({"once_at": "2020-01-01T00:00:00Z"}, "in the past"),
        ({"once_at": "tomorrow"}, "not an ISO-8601"),
        ({}, "exactly one of"),
        ({"cron": "0 9 * * *", "interval_seconds": 5}, "exactly one of"),
        ({"cron": "0 9 * * *", "overlap": "queue"}, "'overlap' must be one of"),
        ({"cron": "0 9 * * *", "catchup": "some"}, "'catchup' must be one of"),
        ({"cron": "0 9 * * *", "catchup_limit": 0}, "'catchup_limit'"),
        ({"cron": "0 9 * * *", "name": ""}, "'name'"),
        ({"cron": "0 9 * * *", "workflow": "flux.job"}, "cannot be scheduled directly"),
    ],
)
async def test_bad_schedules_are_refused_and_nothing_is_stored(
    env: Replica, body: dict[str, Any], message: str
) -> None:
    with pytest.raises(ScheduleError, match=message.replace("*", r"\*")):
        await env.create(**body)

    assert await env.store.list_schedules() == []


async def test_an_unknown_workflow_or_taken_name_is_refused(env: Replica) -> None:
    with pytest.raises(WorkflowNotFoundError):
        await env.create(cron="0 9 * * *", workflow="nope")
    await env.create(cron="0 9 * * *")
    with pytest.raises(Exception, match="already exists"):
        await env.create(cron="0 10 * * *")
    assert len(await env.store.list_schedules()) == 1


async def test_preview_shows_the_next_times_in_the_schedule_timezone(env: Replica) -> None:
    env.clock.set(utc(2025, 3, 8, 12))
    shown = env.schedules.preview_spec({"cron": "30 2 * * *", "timezone": "America/New_York"}, 3)

    assert [t.isoformat() for t in shown.fire_times] == [
        "2025-03-09T03:00:00-04:00",
        "2025-03-10T02:30:00-04:00",
        "2025-03-11T02:30:00-04:00",
    ]


# Schedules of uploaded workflows


def _scheduled_file(schedule: str | None) -> bytes:
    options = f".with_options(schedule={schedule})" if schedule else ""
    return f"""
from flux import workflow, cron, interval

@workflow{options}
async def nightly(ctx):
    return 1
""".encode()


async def test_an_uploaded_schedule_is_created_updated_and_removed(env: Replica) -> None:
    await env.orchestrator.register(
        "nightly.py", _scheduled_file('cron("0 9 * * *", timezone="Europe/Lisbon")')
    )
    made = await env.schedules.get("nightly")
    assert (made.source, made.workflow, made.schedule["timezone"]) == (
        "workflow",
        "nightly",
        "Europe/Lisbon",
    )
    assert made.next_fire_at == utc(2025, 1, 6, 9, 0) + timedelta(days=1)  # 09:00 WET
    await env.schedules.pause("nightly")

    await env.orchestrator.register("nightly.py", _scheduled_file("interval(hours=1)"))
    changed = await env.schedules.get("nightly")
    assert changed.id == made.id and changed.state == "paused"
    assert changed.schedule == {"type": "interval", "seconds": 3600.0}

    await env.orchestrator.register("nightly.py", _scheduled_file(None))
    assert await env.store.list_schedules() == []


async def test_an_impossible_schedule_in_an_upload_is_refused(env: Replica) -> None:
    from flux.catalog import CatalogError

    with pytest.raises(CatalogError, match="never fires"):
        await env.orchestrator.register("nightly.py", _scheduled_file('cron("0 0 30 2 *")'))
    assert await env.store.list_schedules() == []


# The loop


class _FlakyStore:
    """A store whose schedule queries fail while `down` is set (a database restarting)."""

    def __init__(self, inner: Any):
        self._inner = inner
        self.down = False
        self.failures = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name not in ("due_schedules", "next_schedule_due"):
            return attribute

        async def guarded(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                self.failures += 1
                raise ConnectionError("the database is restarting")
            return await attribute(*args, **kwargs)

        return guarded


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def test_the_loop_keeps_firing_through_a_database_outage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler_module, "_RESCAN", 0.05)
    store = _FlakyStore(InMemoryStore())
    async with replica(store, _SystemClock(), tmp_path / ".flux") as env:  # type: ignore[arg-type]
        await env.orchestrator.register("report.py", REPORT)
        # overlap "allow": no worker finishes these runs here.
        body = {"name": "often", "workflow": "report", "interval_seconds": 0.1, "overlap": "allow"}
        key = (await env.schedules.create(body)).id
        env.scheduler.start()
        try:
            await _until(lambda: _started(env, key), 1)
            store.down = True
            await _until(lambda: _failed_reads(store), 3)
            before = (await env.schedules.get(key)).runs_started
            store.down = False
            await _until(lambda: _started(env, key), before + 2)
        finally:
            await env.scheduler.stop()


async def _started(env: Replica, key: str) -> int:
    return (await env.schedules.get(key)).runs_started


async def _failed_reads(store: _FlakyStore) -> int:
    return store.failures


async def _until(read: Any, at_least: int, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while await read() < at_least:
        assert asyncio.get_running_loop().time() < deadline, f"fewer than {at_least}"
        await asyncio.sleep(0.02)
