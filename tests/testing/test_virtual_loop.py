"""The virtual-time event loop on its own: idle time is skipped, threads are waited for."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from flux.testing import VirtualClock, VirtualTimeLoop

T = TypeVar("T")


def run_virtual(main: Callable[[VirtualTimeLoop], Awaitable[T]]) -> tuple[T, float]:
    """`main(loop)` on a fresh virtual loop; its result and the real seconds it took."""
    loop = VirtualTimeLoop()
    started = time.perf_counter()
    with asyncio.Runner(loop_factory=lambda: loop) as runner:

        async def body() -> T:
            return await main(loop)

        result = runner.run(body())
    return result, time.perf_counter() - started


def test_a_day_of_sleep_takes_no_real_time() -> None:
    async def main(loop: VirtualTimeLoop) -> float:
        await asyncio.sleep(86_400)
        return loop.time()

    virtual, real = run_virtual(main)
    assert virtual == 86_400
    assert real < 0.5


def test_timers_fire_in_virtual_order_at_their_exact_times() -> None:
    async def main(loop: VirtualTimeLoop) -> list[tuple[str, float]]:
        seen: list[tuple[str, float]] = []

        async def after(name: str, seconds: float) -> None:
            await asyncio.sleep(seconds)
            seen.append((name, loop.time()))

        await asyncio.gather(after("c", 3600), after("a", 60), after("b", 600))
        return seen

    seen, _ = run_virtual(main)
    assert seen == [("a", 60), ("b", 600), ("c", 3600)]


def test_a_timeout_fires_at_its_virtual_deadline_not_earlier() -> None:
    async def main(loop: VirtualTimeLoop) -> tuple[bool, float]:
        fast = await asyncio.wait_for(asyncio.sleep(59, result=True), timeout=60)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.sleep(3600), timeout=60)
        return fast, loop.time()

    (fast, virtual), real = run_virtual(main)
    assert fast is True
    assert virtual == 59 + 60
    assert real < 0.5


def test_ready_work_runs_before_time_jumps() -> None:
    # A callback made ready in the same turn must not be overtaken by a far timer.
    async def main(loop: VirtualTimeLoop) -> list[str]:
        order: list[str] = []
        loop.call_later(3600, order.append, "timer")
        loop.call_soon(order.append, "ready")
        await asyncio.sleep(3601)
        return order

    order, _ = run_virtual(main)
    assert order == ["ready", "timer"]


def test_time_follows_real_time_while_a_thread_works() -> None:
    # A thread's work cannot be fast-forwarded: a timeout guarding it must not fire early.
    async def main(loop: VirtualTimeLoop) -> tuple[str, float]:
        def slow() -> str:
            time.sleep(0.05)
            return "done"

        result = await asyncio.wait_for(asyncio.to_thread(slow), timeout=30)
        return result, loop.time()

    (result, virtual), _ = run_virtual(main)
    assert result == "done"
    assert 0.04 < virtual < 5


def test_jumps_resume_once_the_thread_is_done() -> None:
    async def main(loop: VirtualTimeLoop) -> dict[str, float]:
        done: dict[str, float] = {}
        release = threading.Event()

        def worker() -> None:
            release.wait(5)

        async def sleeper() -> None:
            await asyncio.sleep(86_400)
            done["sleep"] = loop.time()

        async def thread() -> None:
            await loop.run_in_executor(None, worker)
            done["thread"] = loop.time()

        loop.call_later(0.01, release.set)
        await asyncio.gather(sleeper(), thread())
        return done

    done, real = run_virtual(main)
    assert done["thread"] < 1  # the sleeper's day did not pass while the thread ran
    assert done["sleep"] == pytest.approx(86_400, abs=1)
    assert real < 2


def test_virtual_clock_reads_start_plus_loop_time() -> None:
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    async def main(loop: VirtualTimeLoop) -> tuple[datetime, float]:
        clock = VirtualClock(loop, start)
        await asyncio.sleep(timedelta(days=1, microseconds=7).total_seconds())
        return clock.utcnow(), clock.time()

    (now, epoch_seconds), _ = run_virtual(main)
    assert now == start + timedelta(days=1, microseconds=7)
    assert epoch_seconds == pytest.approx(now.timestamp())


def test_virtual_clock_needs_an_aware_start() -> None:
    loop = VirtualTimeLoop()
    try:
        with pytest.raises(ValueError, match="timezone-aware"):
            VirtualClock(loop, datetime(2030, 1, 1))
    finally:
        loop.close()


def test_the_system_clock_is_untouched() -> None:
    async def main(loop: VirtualTimeLoop) -> Any:
        await asyncio.sleep(86_400)
        return time.time()

    wall, _ = run_virtual(main)
    assert abs(wall - time.time()) < 5
