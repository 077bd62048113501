"""Durable sleep, retry backoff, timeouts, timestamps and cache expiry on virtual time."""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from datetime import datetime, timedelta

import pytest

from flux import ExecutionContext, ExecutionEventType, task, workflow
from flux.errors import ExecutionTimeoutError, RetryError
from flux.tasks import now, sleep
from flux.testing import Harness, harness

from .conftest import START

E = ExecutionEventType
DAY = timedelta(days=1)
attempts: list[datetime] = []


@task
async def stamp(label: str) -> str:
    return label


@workflow
async def sleeps_a_day(ctx: ExecutionContext[None]) -> datetime:
    await stamp("before")
    await sleep(DAY)
    await stamp("after")
    return await now()


def test_a_day_of_sleep_finishes_in_under_a_second_with_a_day_recorded(h: Harness) -> None:
    started = time.perf_counter()
    result = h.run(sleeps_a_day)
    assert time.perf_counter() - started < 1

    assert result.succeeded
    before, after = result.steps_named("stamp")
    assert before.finished_at == START
    assert after.started_at == START + DAY
    assert result.duration == DAY
    assert result.events[0].time == START and result.events[-1].time == START + DAY
    assert result.output == datetime.fromtimestamp((START + DAY).timestamp())  # now(): local
    assert h.now == START + DAY


@task.with_options(retry_max_attempts=3, retry_delay=600, retry_backoff=1)
async def flaky_every_ten_minutes() -> str:
    attempts.append(datetime.now())
    return "ok"


@task.with_options(retry_max_attempts=3, retry_delay=600, retry_backoff=2)
async def flaky_with_backoff() -> str:
    return "ok"


@workflow
async def retries(ctx: ExecutionContext[str]) -> str:
    if ctx.input == "backoff":
        return await flaky_with_backoff()
    return await flaky_every_ten_minutes()


def test_retry_backoff_of_ten_minutes_three_times(h: Harness) -> None:
    h.fail(ConnectionError("gateway down"), task="flaky_every_ten_minutes", attempt=[1, 2, 3])
    started = time.perf_counter()
    result = h.run(retries, "flat")
    assert time.perf_counter() - started < 1

    assert result.succeeded and result.output == "ok"
    step = result.step("flaky_every_ten_minutes")
    assert step.retries == 3
    assert [a.started_at - START for a in step.attempts] == [
        timedelta(minutes=m) for m in (0, 10, 20, 30)
    ]
    assert [type(a.error) for a in step.attempts[1:]] == [
        ConnectionError,
        ConnectionError,
        type(None),
    ]
    assert result.event_types.count(E.TASK_RETRY_STARTED) == 3
    assert len(attempts) == 1  # the body itself ran once: three attempts were injected


def test_backoff_doubles_the_wait_and_exhausted_retries_fail_the_step(h: Harness) -> None:
    h.fail(ConnectionError, task="flaky_with_backoff")
    result = h.run(retries, "backoff")

    assert result.failed and isinstance(result.error, RetryError)
    step = result.step("flaky_with_backoff")
    assert step.failed and len(step.attempts) == 4
    gaps = [b.started_at - a.started_at for a, b in itertools.pairwise(step.attempts)]
    assert gaps == [timedelta(minutes=m) for m in (10, 20, 40)]
    assert result.finished_at == START + timedelta(minutes=70)


@task.with_options(timeout=60)
async def hangs_for_an_hour() -> None:
    await asyncio.sleep(3600)


@task.with_options(timeout=60, retry_max_attempts=1, retry_delay=5)
async def quick() -> str:
    return "quick"


@workflow
async def timeouts(ctx: ExecutionContext[str]) -> str | None:
    if ctx.input == "hang":
        await hangs_for_an_hour()
        return None
    return await quick()


def test_a_timeout_fires_on_virtual_time(h: Harness) -> None:
    started = time.perf_counter()
    result = h.run(timeouts, "hang")
    assert time.perf_counter() - started < 1

    assert result.failed and isinstance(result.error, ExecutionTimeoutError)
    assert result.step("hangs_for_an_hour").finished_at == START + timedelta(seconds=60)
    assert h.now == START + timedelta(seconds=60)


def test_an_injected_delay_counts_against_the_timeout(h: Harness) -> None:
    h.delay(timedelta(minutes=5), task="quick", attempt=1)
    result = h.run(timeouts, "quick")

    assert result.succeeded and result.output == "quick"
    first, second = h.calls("quick")
    assert isinstance(first.error, asyncio.CancelledError)  # cut off by the timeout
    assert first.finished_at == START + timedelta(seconds=60)
    assert second.started_at == START + timedelta(seconds=65) and second.succeeded


@task.with_options(cache=3600)
async def expensive(n: int) -> int:
    return n * n


@workflow
async def cached(ctx: ExecutionContext[int]) -> int:
    return await expensive(ctx.input)


def test_cache_expiry_follows_virtual_time(h: Harness) -> None:
    h.run(cached, 4)
    h.advance(timedelta(minutes=59))
    h.run(cached, 4)
    assert len(h.calls("expensive")) == 1
    h.advance(timedelta(minutes=2))
    assert h.run(cached, 4).output == 16
    assert len(h.calls("expensive")) == 2


@workflow
async def sleeps_then_stamps(ctx: ExecutionContext[None]) -> str:
    await sleep(DAY)
    return await stamp("woke")


def test_a_sleep_interrupted_by_a_crash_sleeps_only_what_is_left(h: Harness) -> None:
    h.kill_before(task="sleep")  # the step that waits, after its deadline is recorded
    crashed = h.run(sleeps_then_stamps)
    assert crashed.crashed and h.now == START

    h.advance(timedelta(hours=20))
    result = h.recover(crashed)
    assert result.succeeded
    assert result.finished_at == START + DAY
    assert h.now == START + DAY


def test_advance_moves_virtual_time_only(h: Harness) -> None:
    assert h.advance(timedelta(hours=3)) == []
    assert h.now == START + timedelta(hours=3)
    h.advance_to(START + DAY)
    assert h.now == START + DAY
    with pytest.raises(ValueError, match="advance"):
        h.advance(-1)


@workflow
async def polls_forever(ctx: ExecutionContext[None]) -> None:
    while True:
        await sleep(timedelta(hours=1))


def test_a_run_that_never_ends_hits_the_run_limit() -> None:
    with harness(start=START, run_limit=timedelta(days=2)) as h:
        with pytest.raises(TimeoutError, match="run_limit"):
            h.run(polls_forever)
        assert h.now == START + timedelta(days=2)


@task
async def read_socket() -> bytes:
    loop = asyncio.get_running_loop()
    left, right = socket.socketpair()
    left.setblocking(False)
    sender = threading.Timer(0.05, right.send, args=(b"hi",))
    sender.start()
    try:
        return await loop.sock_recv(left, 2)
    finally:
        sender.join()
        left.close()
        right.close()


@workflow
async def waits_for_io(ctx: ExecutionContext[None]) -> bytes:
    return await read_socket()


def test_real_io_with_no_timer_pending_is_waited_for(h: Harness) -> None:
    result = h.run(waits_for_io)
    assert result.output == b"hi"
    assert timedelta(seconds=0.04) < h.now - START < timedelta(seconds=5)
