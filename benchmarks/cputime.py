"""CPU time of the benchmark's own processes, read from ``/proc`` (Linux only).

Used to say where a server benchmark's time goes: the server process, its embedded worker,
and the worker's reaped children (a script job's sandbox: the ``/bin/sh`` gate, ``bwrap``
and everything run inside it, whose CPU time the kernel adds to the worker's ``cutime`` and
``cstime`` once it has reaped them).
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class CpuTimes:
    """Seconds of CPU: the process's own (user + system) and its reaped children's."""

    own: float = 0.0
    children: float = 0.0

    def __sub__(self, other: CpuTimes) -> CpuTimes:
        return CpuTimes(self.own - other.own, self.children - other.children)


def cpu_times(pid: int | None) -> CpuTimes:
    """Zero when ``pid`` is None or cannot be read (not Linux, the process is gone)."""
    if pid is None:
        return CpuTimes()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return CpuTimes()
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return CpuTimes((utime + stime) / TICKS, (cutime + cstime) / TICKS)


def child_pids(pid: int) -> list[int]:
    """The direct children of ``pid`` (every thread's), [] when unreadable."""
    found: list[int] = []
    with suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with suppress(OSError):
                found += [int(child) for child in (task / "children").read_text().split()]
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from ``/proc/stat``."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return 0.0, 0.0
    values = [int(value) for value in first[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"
