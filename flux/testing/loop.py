"""An asyncio event loop whose clock skips idle time, and the engine clock that reads it.

`loop.time()` is virtual: it starts at 0 and only moves when the loop would otherwise wait.
Whenever no callback is ready, no I/O is pending and the next timer lies in the future, the
loop moves its clock straight to that timer instead of sleeping. `asyncio.sleep`,
`asyncio.wait_for`, `asyncio.timeout` and `call_later` all schedule timers on `loop.time()`,
so a day of sleeps, retry backoff or a per-attempt timeout passes in microseconds.

Only the public seams of asyncio are used: `time()` is overridden, and the selector handed to
`SelectorEventLoop` is a wrapper deciding, each time the loop is about to block, whether to
wait for real or to jump. Two cases wait for real, letting virtual time run at real speed
meanwhile: while work submitted with `run_in_executor` (and so `asyncio.to_thread`) is in
flight, because a thread's progress cannot be fast-forwarded and a timeout guarding it must
not fire early; and when no timer is scheduled at all, since only I/O or another thread can
then wake the loop.

A `horizon` is an instant virtual time may not pass; reaching it calls `on_horizon`. The
harness uses it to bound a call's virtual duration, and, set to the current instant, to learn
when everything due now has run (the loop would otherwise have to wait).
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, TypeVarTuple

from flux.engine.clock import Clock

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")
_Ready = list[tuple[selectors.SelectorKey, int]]


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._now = 0.0
        self._threads_in_flight = 0
        self._real_time = False
        # A virtual instant time may not pass: reaching it calls `on_horizon` (once) instead.
        # Not a timer, so it never makes the loop jump while real I/O is awaited.
        self.horizon: float | None = None
        self.on_horizon: Callable[[], None] | None = None
        super().__init__(_JumpingSelector(selectors.DefaultSelector(), self))

    def time(self) -> float:
        return self._now

    def follow_real_time(self, enabled: bool = True) -> None:
        """Let virtual time pass only as fast as real time (used while shutting down, when
        asyncio's own bookkeeping waits on threads it did not start through us)."""
        self._real_time = enabled

    @property
    def waits_for_real(self) -> bool:
        return self._real_time or self._threads_in_flight > 0

    @property
    def pinned(self) -> bool:
        """No time may pass at all: the loop is only to finish what is due now."""
        return self.horizon is not None and self.horizon <= self._now

    def _advance(self, seconds: float | None) -> None:
        """Let `seconds` pass (None: until whatever comes, which only a horizon bounds)."""
        horizon = self.horizon
        if horizon is not None and (seconds is None or self._now + seconds >= horizon):
            self._now = max(self._now, horizon)
            self.horizon = None
            if self.on_horizon is not None:
                self.on_horizon()
        elif seconds is not None and seconds > 0:
            self._now += seconds

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[*_Ts], _T], *args: *_Ts
    ) -> asyncio.Future[_T]:
        future = super().run_in_executor(executor, func, *args)
        self._threads_in_flight += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, _: asyncio.Future[Any]) -> None:
        self._threads_in_flight -= 1


class _JumpingSelector(selectors.BaseSelector):
    """The loop's real selector, except that a wait with nothing to wait for becomes a jump
    of the virtual clock. `timeout` is how long the loop would sleep: until its next timer,
    or None when it has none."""

    def __init__(self, real: selectors.BaseSelector, loop: VirtualTimeLoop):
        self._real = real
        self._loop = loop

    def select(self, timeout: float | None = None) -> _Ready:
        if timeout is not None and timeout <= 0:
            return self._real.select(0)
        loop = self._loop
        if not loop.waits_for_real and (timeout is not None or loop.pinned):
            ready = self._real.select(0)
            if not ready:
                loop._advance(timeout)
            return ready
        started = time.monotonic()
        ready = self._real.select(timeout)
        loop._advance(time.monotonic() - started)
        return ready

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()


class VirtualClock(Clock):
    """The engine's clock on a `VirtualTimeLoop`: `start` plus the loop's virtual seconds.

    Virtual time does not pass while code computes, only when the loop jumps, so timestamps
    under it are exact: a run that sleeps one day records events exactly one day apart."""

    def __init__(self, loop: VirtualTimeLoop, start: datetime):
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("the virtual clock's start must be a timezone-aware datetime")
        self._loop = loop
        self._start = start.astimezone(UTC)
        self._epoch = self._start.timestamp()

    @property
    def start(self) -> datetime:
        return self._start

    def time(self) -> float:
        return self._epoch + self._loop.time()

    def utcnow(self) -> datetime:
        # Datetime arithmetic keeps microseconds exact where a float epoch would round.
        return self._start + timedelta(seconds=self._loop.time())

    def at(self, moment: datetime) -> float:
        """The loop time at which the virtual clock shows `moment`."""
        return (moment - self._start).total_seconds()
