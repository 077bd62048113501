"""Schedule values attached to workflows (`schedule=cron(...)`) or stored by the schedules API.

Here they are validated, described and turned into JSON and back; when they fire is
computed by `flux.domain.schedule_times`, and the scheduler that starts runs lives in the
orchestrator layer. Every refusal is a `ScheduleError` (a ValueError) with a message meant
for the person who wrote the schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flux.errors import ScheduleError

# A cron with no fire time this far ahead can never fire (`0 0 30 2 *`). Four years would
# already cover leap days; croniter stops searching at this bound instead of looping.
NEVER_FIRES_YEARS = 5


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"unknown timezone '{name}'") from exc


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A 5-field cron expression (minute hour day-of-month month day-of-week) read as wall
    time in `timezone`."""

    expression: str
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        from croniter import CroniterBadDateError, croniter

        if not isinstance(self.expression, str):
            raise ScheduleError("a cron expression must be a string")
        fields = self.expression.split()
        if len(fields) != 5:
            raise ScheduleError(
                f"cron '{self.expression}' must have 5 fields "
                f"(minute hour day-of-month month day-of-week), it has {len(fields)}"
            )
        # is_valid refuses out-of-range values (`61 * * * *`) and zero steps (`*/0`).
        if not croniter.is_valid(self.expression):
            raise ScheduleError(f"malformed cron expression '{self.expression}'")
        where = zone(self.timezone)
        start = datetime.now(where).replace(tzinfo=None)
        try:
            croniter(self.expression, start, max_years_between_matches=NEVER_FIRES_YEARS).get_next(
                datetime
            )
        except CroniterBadDateError:
            raise ScheduleError(
                f"cron '{self.expression}' never fires (no matching date within "
                f"{NEVER_FIRES_YEARS} years)"
            ) from None

    def to_dict(self) -> dict[str, Any]:
        return {"type": "cron", "expression": self.expression, "timezone": self.timezone}

    def describe(self) -> str:
        return f"cron '{self.expression}' ({self.timezone})"


@dataclass(frozen=True, slots=True)
class IntervalSchedule:
    """Every `every`, counted from the schedule's anchor (when it was created)."""

    every: timedelta

    def __post_init__(self) -> None:
        if self.every.total_seconds() <= 0:
            raise ScheduleError("interval must be positive")

    def to_dict(self) -> dict[str, Any]:
        return {"type": "interval", "seconds": self.every.total_seconds()}

    def describe(self) -> str:
        return f"every {self.every.total_seconds():g} s"


@dataclass(frozen=True, slots=True)
class OnceSchedule:
    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ScheduleError("once(...) needs a timezone-aware datetime")

    def to_dict(self) -> dict[str, Any]:
        return {"type": "once", "at": self.at.isoformat()}

    def describe(self) -> str:
        return f"once at {self.at.isoformat()}"


Schedule = CronSchedule | IntervalSchedule | OnceSchedule


def cron(expression: str, timezone: str = "UTC") -> CronSchedule:
    return CronSchedule(expression, timezone)


def interval(
    every: timedelta | None = None,
    *,
    days: float = 0,
    hours: float = 0,
    minutes: float = 0,
    seconds: float = 0,
) -> IntervalSchedule:
    if every is None:
        try:
            every = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        except OverflowError:
            raise ValueError(
                f"an interval must be shorter than {timedelta.max.days} days"
            ) from None
    return IntervalSchedule(every)


def once(at: datetime | str) -> OnceSchedule:
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at)
        except ValueError:
            raise ScheduleError(f"once: '{at}' is not an ISO-8601 date and time") from None
    return OnceSchedule(at)


def schedule_from_dict(spec: dict[str, Any]) -> Schedule:
    """The schedule of a `to_dict()` value (as stored in a workflow's metadata or a
    schedule's row)."""
    kind = spec.get("type") if isinstance(spec, dict) else None
    try:
        if kind == "cron":
            return CronSchedule(spec["expression"], spec.get("timezone") or "UTC")
        if kind == "interval":
            return IntervalSchedule(timedelta(seconds=float(spec["seconds"])))
        if kind == "once":
            return once(spec["at"])
    except (KeyError, TypeError) as exc:
        raise ScheduleError(f"incomplete {kind} schedule {spec!r}: {exc}") from None
    raise ScheduleError(f"unknown schedule {spec!r}: its type must be cron, interval or once")


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
