"""Sizes written the way people write them: `512Mi`, `2GB`, `1.5G`, or plain bytes."""

from __future__ import annotations

import re

_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "m": 10**6,
    "mb": 10**6,
    "g": 10**9,
    "gb": 10**9,
    "t": 10**12,
    "tb": 10**12,
    "ki": 2**10,
    "kib": 2**10,
    "mi": 2**20,
    "mib": 2**20,
    "gi": 2**30,
    "gib": 2**30,
    "ti": 2**40,
    "tib": 2**40,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*")


def parse_size(value: str | int | None) -> int | None:
    """Bytes of `512Mi`, `2GB`, `1.5G`, `1024` (decimal units K/M/G/T, binary Ki/Mi/Gi/Ti)."""
    if value is None or isinstance(value, int):
        return value
    match = _SIZE.fullmatch(value)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(f"cannot read size '{value}': use e.g. 512Mi, 2Gi, 4GB or bytes")
    return int(float(match.group(1)) * _UNITS[unit])
