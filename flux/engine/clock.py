"""Where the engine reads the time of day.

Event timestamps, execution rows, durable-sleep deadlines and cache expiry all come from the
`Clock` in the run's `Services`. Production keeps `SYSTEM_CLOCK`; a test harness
(`flux.testing`) injects a clock that moves with its virtual-time event loop, so a test can
skip a day of sleeping and still see a day between recorded timestamps.

Waiting (retry backoff, per-attempt timeouts, the sleep itself) is not done through this
clock: it goes through the event loop (`asyncio.sleep`, `asyncio.wait_for`), which is where
a harness virtualizes time. Both must agree, which is why the harness's clock reads the
loop's time.
"""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the Unix epoch, as `time.time()`."""

    def utcnow(self) -> datetime:
        """The current instant as an aware UTC datetime."""


class SystemClock:
    """The machine's clock: exactly what the engine read before clocks were injectable."""

    __slots__ = ()

    def time(self) -> float:
        return _time.time()

    def utcnow(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK: Clock = SystemClock()
