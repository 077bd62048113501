"""Ages on the command line (`--older-than 7d`): one parser for every command that takes one."""

from __future__ import annotations

import re
from datetime import timedelta

import click

_AGE = re.compile(r"^(\d+)([smhdw])$")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    """A click callback: '30m', '12h', '7d', '2w' -> timedelta; None stays None."""
    if value is None:
        return None
    match = _AGE.match(value.strip())
    if match is None:
        raise click.BadParameter(f"'{value}' is not an age like 30m, 12h, 7d or 2w")
    return timedelta(**{_UNIT[match.group(2)]: int(match.group(1))})
