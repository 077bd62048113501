"""When a schedule fires: pure functions of a schedule and instants (UTC in, UTC out).

Cron expressions are matched against wall-clock time in the schedule's timezone; each
matching wall time is then mapped to one instant:

- a wall time that exists once is that instant;
- a wall time that does not exist (the hour skipped when clocks spring forward, e.g. 02:30
  in New York on the second Sunday of March) fires at the first instant after the gap (03:00
  local time, when the clocks jump). Several skipped wall times (an every-15-minutes cron)
  collapse into that one instant, so the gap fires once;
- a wall time that occurs twice (the hour repeated when clocks fall back) fires once, at its
  first occurrence; the repeated hour does not fire again.

The mapping never goes backwards in time, so the next fire after an instant is the first
matching wall time, from that instant's own wall time on, whose instant is later.

Intervals fire at `anchor + k * every` (k >= 1), anchored at the schedule's creation, so a
restart does not shift them; a once schedule fires at its time.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flux.domain.schedule import (
    NEVER_FIRES_YEARS,
    CronSchedule,
    IntervalSchedule,
    OnceSchedule,
    Schedule,
    zone,
)

# Matching wall times skipped at most: those of one repeated hour (60 for `* * * * *`).
_MAX_SKIPPED = 10_000
_MICROSECOND = timedelta(microseconds=1)


def next_fire(
    schedule: Schedule, after: datetime, *, anchor: datetime | None = None
) -> datetime | None:
    """The first fire time strictly after `after`, in UTC; None when it never fires again.
    `anchor` is an interval's start (default: `after`)."""
    if isinstance(schedule, CronSchedule):
        return _cron_next(schedule, after)
    if isinstance(schedule, IntervalSchedule):
        return _interval_next(schedule, after, after if anchor is None else anchor)
    assert isinstance(schedule, OnceSchedule)
    at = schedule.at.astimezone(UTC)
    return at if at > after else None


def preview(
    schedule: Schedule, after: datetime, count: int, *, anchor: datetime | None = None
) -> list[datetime]:
    """The next `count` fire times after `after` (fewer when the schedule ends)."""
    times: list[datetime] = []
    moment: datetime | None = after
    while len(times) < count and moment is not None:
        moment = next_fire(schedule, moment, anchor=anchor)
        if moment is not None:
            times.append(moment)
    return times


def fires_between(
    schedule: Schedule,
    after: datetime,
    until: datetime,
    last: int,
    *,
    anchor: datetime | None = None,
) -> list[datetime]:
    """The last `last` fire times in (`after`, `until`], oldest first.

    Searched backwards from `until` in growing windows, so that catching up after a long
    outage of a frequent schedule does not walk every missed time since `after`."""
    if last <= 0 or until <= after:
        return []
    window = timedelta(minutes=1)
    while True:
        start = max(after, until - window)
        found: deque[datetime] = deque(maxlen=last)
        moment = next_fire(schedule, start, anchor=anchor)
        while moment is not None and moment <= until:
            found.append(moment)
            moment = next_fire(schedule, moment, anchor=anchor)
        if len(found) >= last or start == after:
            return list(found)
        window *= 8


def _interval_next(
    schedule: IntervalSchedule, after: datetime, anchor: datetime
) -> datetime | None:
    step = schedule.every
    steps = max(1, (after - anchor) // step + 1)
    try:
        return (anchor + steps * step).astimezone(UTC)
    except OverflowError:
        return None  # after the year 9999: it never fires again


def _cron_next(schedule: CronSchedule, after: datetime) -> datetime | None:
    from croniter import CroniterBadDateError, croniter

    where = zone(schedule.timezone)
    wall = after.astimezone(where).replace(tzinfo=None)
    # Naive wall times: croniter then does no DST arithmetic of its own; `_instant` does.
    matches = croniter(schedule.expression, wall, max_years_between_matches=NEVER_FIRES_YEARS)
    for _ in range(_MAX_SKIPPED):
        try:
            candidate = matches.get_next(datetime)
        except CroniterBadDateError:
            return None
        instant = _instant(candidate, where)
        if instant > after:
            return instant
    return None  # pragma: no cover - an overlap hides at most a few hours of wall times


def _instant(wall: datetime, where: ZoneInfo) -> datetime:
    """The instant a matching wall time fires at (see the module's docstring)."""
    first = wall.replace(tzinfo=where, fold=0).astimezone(UTC)
    if first.astimezone(where).replace(tzinfo=None) == wall:
        return first  # exists (fold=0 is the first of two occurrences)
    # In a gap, fold=0 and fold=1 read the wall time with the offsets before and after the
    # jump; the jump itself lies between the two instants: bisect to the microsecond.
    other = wall.replace(tzinfo=where, fold=1).astimezone(UTC)
    low, high = min(first, other), max(first, other)
    offset_after = high.astimezone(where).utcoffset()
    while high - low > _MICROSECOND:
        middle = low + (high - low) / 2
        if middle.astimezone(where).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return high
