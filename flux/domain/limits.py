"""Queues and limits: what a workflow declares and what each of its runs is admitted under.

A workflow may declare (`@workflow.with_options(...)`, read from the uploaded file):

- `concurrency=N`: at most N of its runs hold a worker at once; with `concurrency_key=
  "field"`, at most N per value of that top-level field of a dict input;
- `rate_limit="10/m"`: at most 10 starts in any minute; with `rate_limit_key="field"`, per
  value of that field;
- `priority=P`: queued runs with a higher priority are dispatched first (a submission may
  give its own).

Pure values and rules, no I/O: the server turns them into a `RunLimits` per run when it is
submitted (the limit keys its input maps to), and the store admits a run under them in the
same transaction as its claim.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

MIN_PRIORITY, MAX_PRIORITY = -1000, 1000
MAX_CONCURRENCY = 10_000  # a run's slot is a row numbered below it: keep the numbers sane
MAX_RATE = 10_000
MAX_KEY_TEXT = 200  # longer key values are replaced by a digest
CONCURRENCY, RATE = "concurrency", "rate"  # the two kinds of limit

_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*([a-z]+)\s*")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,99}")


class LimitError(ValueError):
    """A limit or priority that cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `count` starts in any window of `period` seconds."""

    count: int
    period: float

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """`"10/m"`, `"5/s"`, `"100/h"`, `"1000/d"`, or with a number of units: `"10/30s"`,
        `"3/5min"`."""
        if not isinstance(text, str):
            raise LimitError(f"rate_limit must be text like '10/m', not {text!r}")
        found = _RATE.fullmatch(text.lower())
        unit = _unit(found.group(3)) if found else None
        if found is None or unit is None:
            raise LimitError(
                f"invalid rate_limit {text!r}: write starts/period, e.g. '10/m', '5/s', "
                "'100/h', '10/30s' (units s, m, h, d)"
            )
        count = int(found.group(1))
        period = float(found.group(2) or 1) * unit
        if not 1 <= count <= MAX_RATE:
            raise LimitError(f"rate_limit {text!r}: starts must be between 1 and {MAX_RATE}")
        if not 0 < period <= 366 * 86400 or not math.isfinite(period):
            raise LimitError(f"rate_limit {text!r}: the period must be above 0 and at most a year")
        return cls(count, period)


@dataclass(frozen=True, slots=True)
class Limits:
    """What a workflow declares; every field is optional."""

    concurrency: int | None = None
    concurrency_key: str | None = None
    rate_limit: str | None = None
    rate_limit_key: str | None = None

    def __post_init__(self) -> None:
        if self.concurrency is not None:
            check_concurrency(self.concurrency)
        if self.rate_limit is not None:
            RateLimit.parse(self.rate_limit)
        for option, key, limit in (
            ("concurrency_key", self.concurrency_key, self.concurrency),
            ("rate_limit_key", self.rate_limit_key, self.rate_limit),
        ):
            if key is None:
                continue
            if limit is None:
                needed = option.removesuffix("_key")
                raise LimitError(f"{option}= needs {needed}= (the limit per key value)")
            if not isinstance(key, str) or not _FIELD.fullmatch(key):
                raise LimitError(
                    f"{option} must name a top-level field of the input (letters, digits, "
                    f"'_', '.', '-'), not {key!r}"
                )

    @property
    def rate(self) -> RateLimit | None:
        return None if self.rate_limit is None else RateLimit.parse(self.rate_limit)

    def __bool__(self) -> bool:
        return self.concurrency is not None or self.rate_limit is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "concurrency_key": self.concurrency_key,
            "rate_limit": self.rate_limit,
            "rate_limit_key": self.rate_limit_key,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Limits | None:
        if not data:
            return None
        return cls(
            data.get("concurrency"),
            data.get("concurrency_key"),
            data.get("rate_limit"),
            data.get("rate_limit_key"),
        )


@dataclass(frozen=True, slots=True)
class RunLimits:
    """The limits one run is admitted under, stored with it when it is submitted: the keys
    its input maps to, with the capacity each had then."""

    concurrency_key: str | None = None
    concurrency: int | None = None
    rate_key: str | None = None
    rate: int | None = None
    period: float | None = None  # seconds

    def limit_keys(self) -> list[tuple[str, str]]:
        """(kind, key) of each limit."""
        found = []
        if self.concurrency_key is not None:
            found.append((CONCURRENCY, self.concurrency_key))
        if self.rate_key is not None:
            found.append((RATE, self.rate_key))
        return found

    def columns(self) -> tuple[str | None, int | None, str | None, int | None, float | None]:
        return (self.concurrency_key, self.concurrency, self.rate_key, self.rate, self.period)

    @classmethod
    def from_columns(
        cls,
        concurrency_key: str | None,
        concurrency: int | None,
        rate_key: str | None,
        rate: int | None,
        period: float | None,
    ) -> RunLimits | None:
        if concurrency_key is None and rate_key is None:
            return None
        return cls(concurrency_key, concurrency, rate_key, rate, period)


def _unit(text: str) -> float | None:
    # "minutes" is "minute"; but "ms" is not "m" (milliseconds are not offered).
    if text not in _UNITS and len(text) > 3 and text.endswith("s"):
        text = text[:-1]
    return _UNITS.get(text)


def check_concurrency(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LimitError(f"concurrency must be a whole number, not {value!r}")
    if not 1 <= value <= MAX_CONCURRENCY:
        raise LimitError(f"concurrency must be between 1 and {MAX_CONCURRENCY}, not {value}")
    return value


def check_priority(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LimitError(f"priority must be a whole number, not {value!r}")
    if not MIN_PRIORITY <= value <= MAX_PRIORITY:
        raise LimitError(f"priority must be between {MIN_PRIORITY} and {MAX_PRIORITY}, not {value}")
    return value


def key_value(input: Any, field: str) -> str:
    """The text of a run's key value: its input's top-level `field` as JSON. A missing
    field, a null one and a non-object input all give `null`, so such runs share one
    key (they are limited together, never left unlimited)."""
    value = input.get(field) if isinstance(input, dict) else None
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > MAX_KEY_TEXT:
        text = "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]
    return text


def limit_key(workflow_name: str, field: str | None, input: Any) -> str:
    """`name` for a workflow-wide limit, `name[field=value]` for one per key value."""
    if field is None:
        return workflow_name
    return f"{workflow_name}[{field}={key_value(input, field)}]"


def run_limits(workflow_name: str, limits: Limits | None, input: Any) -> RunLimits | None:
    """What a run of `workflow_name` with `input` is admitted under (None: no limits)."""
    if not limits:
        return None
    rate = limits.rate
    return RunLimits(
        concurrency_key=None
        if limits.concurrency is None
        else limit_key(workflow_name, limits.concurrency_key, input),
        concurrency=limits.concurrency,
        rate_key=None if rate is None else limit_key(workflow_name, limits.rate_limit_key, input),
        rate=None if rate is None else rate.count,
        period=None if rate is None else rate.period,
    )


def shown_rate(count: int, period: float) -> str:
    """A rate as text: `10/m`, `5/30s`."""
    for unit, seconds in (("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        if period == seconds:
            return f"{count}/{unit}"
    return f"{count}/{period:g}s"
