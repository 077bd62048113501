"""Schedules fire in virtual time, at the instants the server's arithmetic gives."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from flux import ExecutionContext, ExecutionState, cron, interval, once, task, workflow
from flux.domain.schedule_times import preview
from flux.tasks import sleep
from flux.testing import Harness, fire_times, harness

from .conftest import START

MINUTE = timedelta(minutes=1)


@task
async def report(label: str) -> str:
    return f"report {label}"


@workflow.with_options(schedule=interval(minutes=15))
async def every_quarter_hour(ctx: ExecutionContext[str]) -> str:
    return await report(ctx.input or "none")


@workflow.with_options(schedule=cron("0 9 * * *", timezone="Europe/Lisbon"))
async def morning_report(ctx: ExecutionContext[None]) -> str:
    return await report("morning")


@workflow
async def takes_25_minutes(ctx: ExecutionContext[None]) -> str:
    await sleep(timedelta(minutes=25))
    return "done"


def test_an_interval_schedule_fires_as_time_is_advanced(h: Harness) -> None:
    scheduled = h.schedule(every_quarter_hour, input="sales")
    fires = h.advance(timedelta(hours=1))

    assert [f.at for f in fires] == [START + 15 * MINUTE * k for k in (1, 2, 3, 4)]
    assert scheduled.fires == fires
    for fire in fires:
        assert fire.execution_id is not None
        run = h.get(fire.execution_id)
        assert run.succeeded and run.output == "report sales"
        assert run.started_at == fire.at
    assert h.advance(14 * MINUTE) == []
    assert len(h.advance(MINUTE)) == 1


def test_a_workflows_cron_fires_at_the_wall_time_of_its_timezone(h: Harness) -> None:
    scheduled = h.schedule(morning_report)
    h.advance(timedelta(days=2))
    # Lisbon is on UTC in January: 09:00 there is 09:00 UTC.
    assert [f.at for f in scheduled.fires] == [
        datetime(2030, 1, 1, 9, tzinfo=UTC),
        datetime(2030, 1, 2, 9, tzinfo=UTC),
    ]
    assert h.fire_times(morning_report.schedule, 2) == [  # type: ignore[arg-type]
        datetime(2030, 1, 3, 9, tzinfo=UTC),
        datetime(2030, 1, 4, 9, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("overlap", "started"),
    [("skip", [10, 40, 70]), ("allow", [10, 20, 30, 40, 50, 60, 70])],
)
def test_overlap_policy(h: Harness, overlap: str, started: list[int]) -> None:
    scheduled = h.schedule(takes_25_minutes, interval(minutes=10), overlap=overlap)  # type: ignore[arg-type]
    h.advance(timedelta(minutes=70))
    ran = [f.at for f in scheduled.fires if not f.skipped]
    assert ran == [START + MINUTE * m for m in started]
    assert len(scheduled.fires) == 7


def test_schedules_fire_while_another_run_sleeps(h: Harness) -> None:
    scheduled = h.schedule(every_quarter_hour)
    result = h.run(takes_25_minutes)
    assert result.succeeded
    assert [f.at for f in scheduled.fires] == [START + 15 * MINUTE]


def test_settle_lets_runs_in_flight_finish(h: Harness) -> None:
    h.schedule(takes_25_minutes, once(START + MINUTE))
    (fire,) = h.advance(2 * MINUTE)
    assert fire.execution_id is not None
    assert h.get(fire.execution_id).finished is False

    (result,) = h.settle()
    assert result.succeeded and result.execution_id == fire.execution_id
    assert h.now == START + 26 * MINUTE
    assert h.settle() == []


def test_unschedule_stops_fires(h: Harness) -> None:
    scheduled = h.schedule(every_quarter_hour)
    h.advance(15 * MINUTE)
    h.unschedule(scheduled)
    h.advance(timedelta(hours=1))
    assert len(scheduled.fires) == 1


def test_a_workflow_without_a_schedule_needs_one(h: Harness) -> None:
    with pytest.raises(ValueError, match="no schedule"):
        h.schedule(takes_25_minutes)


def test_fire_times_match_the_servers_preview() -> None:
    schedule = cron("*/20 * * * *")
    after = datetime(2030, 3, 1, 10, 5, tzinfo=UTC)
    assert fire_times(schedule, 3, after=after) == preview(schedule, after, 3)
    assert fire_times(schedule, 3, after=after)[0] == datetime(2030, 3, 1, 10, 20, tzinfo=UTC)
    anchor = datetime(2030, 3, 1, 10, 0, 30, tzinfo=UTC)
    assert fire_times(interval(minutes=5), 2, after=after, anchor=anchor) == [
        datetime(2030, 3, 1, 10, 5, 30, tzinfo=UTC),
        datetime(2030, 3, 1, 10, 10, 30, tzinfo=UTC),
    ]


def test_a_crashed_scheduled_run_is_recovered_like_any_other() -> None:
    with harness(start=START) as h:
        scheduled = h.schedule(takes_25_minutes, once(START + MINUTE))
        h.kill_after(task="sleep_deadline")
        h.advance(timedelta(hours=1))
        assert h.now == START + MINUTE  # the crash ended the advance
        (execution_id,) = scheduled.execution_ids
        assert h.crashed_runs == [execution_id]
        (result,) = h.recover_all()
        assert result.succeeded and result.finished_at == START + 26 * MINUTE


def test_a_run_fired_at_the_end_of_an_advance_has_done_what_was_due(h: Harness) -> None:
    scheduled = h.schedule(every_quarter_hour)
    (fire,) = h.advance(15 * MINUTE)
    assert fire.execution_id is not None
    # Read the store directly: no further harness call gets a chance to run the loop.
    row = asyncio.run(h.store.get_execution(fire.execution_id, with_events=False))
    assert row is not None and row.state is ExecutionState.COMPLETED
    assert scheduled.fires == [fire]
