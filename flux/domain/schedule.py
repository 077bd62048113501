"""Schedule values attached to workflows (`schedule=cron(...)`). The scheduler that fires them
lives in the orchestrator layer; here they are validated and describable only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone '{name}'") from exc


@dataclass(frozen=True, slots=True)
class CronSchedule:
    expression: str
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        from croniter import croniter

        fields = self.expression.split()
        if len(fields) != 5:
            raise ValueError(f"cron '{self.expression}' must have 5 fields, it has {len(fields)}")
        if not croniter.is_valid(self.expression):
            raise ValueError(f"malformed cron expression '{self.expression}'")
        _zone(self.timezone)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "cron", "expression": self.expression, "timezone": self.timezone}


@dataclass(frozen=True, slots=True)
class IntervalSchedule:
    every: timedelta

    def __post_init__(self) -> None:
        if self.every.total_seconds() <= 0:
            raise ValueError("interval must be positive")

    def to_dict(self) -> dict[str, Any]:
        return {"type": "interval", "seconds": self.every.total_seconds()}


@dataclass(frozen=True, slots=True)
class OnceSchedule:
    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("once(...) needs a timezone-aware datetime")

    def to_dict(self) -> dict[str, Any]:
        return {"type": "once", "at": self.at.isoformat()}


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
        every = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    return IntervalSchedule(every)


def once(at: datetime | str) -> OnceSchedule:
    return OnceSchedule(datetime.fromisoformat(at) if isinstance(at, str) else at)
