"""What this machine offers: CPUs, memory, disk, GPUs and installed Python packages.

Read from /proc and the standard library (with portable fallbacks) rather than psutil, so a
worker needs no compiled dependency. The server matches `ResourceRequest`s against this
report, so it must describe what is *free* (load-free CPUs, available memory), not only the
totals.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from flux.api.worker_protocol import GPUInfo, PackageInfo, WorkerResources

_MEMINFO = Path("/proc/meminfo")
_NVIDIA_QUERY = ("--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits")
_MIB = 1024 * 1024


def cpu_total() -> int:
    # sched_getaffinity honours a container's or taskset's CPU limit; cpu_count does not.
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def cpu_available(total: int) -> float:
    """CPUs not busy: the total less the one-minute load average, never below zero."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return float(total)
    return round(max(0.0, total - load), 2)


def parse_meminfo(text: str) -> tuple[int, int]:
    """(total, available) in bytes from the text of /proc/meminfo."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key.strip()] = int(parts[0]) * 1024  # the file counts in KiB
    total = values.get("MemTotal", 0)
    available = values.get("MemAvailable", values.get("MemFree", total))
    return total, available


def memory() -> tuple[int, int]:
    try:
        return parse_meminfo(_MEMINFO.read_text())
    except OSError:
        pass
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 0, 0
    return total, total


def disk(path: str | Path) -> tuple[int, int]:
    """(total, free) bytes of the file system holding `path` (or its nearest existing parent)."""
    target = Path(path).absolute()
    while not target.exists() and target != target.parent:
        target = target.parent
    try:
        usage = shutil.disk_usage(target)
    except OSError:
        return 0, 0
    return usage.total, usage.free


def parse_nvidia_smi(text: str) -> list[GPUInfo]:
    """GPUs from `nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,...`."""
    gpus: list[GPUInfo] = []
    for line in text.splitlines():
        fields = [field.strip() for field in line.rsplit(",", 2)]
        if len(fields) != 3 or not fields[1].isdigit() or not fields[2].isdigit():
            continue
        gpus.append(
            GPUInfo(
                name=fields[0],
                memory_total=int(fields[1]) * _MIB,
                memory_free=int(fields[2]) * _MIB,
            )
        )
    return gpus


def gpus() -> list[GPUInfo]:
    command = shutil.which("nvidia-smi")
    if command is None:
        return []
    try:
        done = subprocess.run(
            [command, *_NVIDIA_QUERY], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_nvidia_smi(done.stdout) if done.returncode == 0 else []


def packages() -> list[PackageInfo]:
    """Installed distributions, one per name (the first found on sys.path wins, as import
    would), sorted by name."""
    found: dict[str, PackageInfo] = {}
    for dist in metadata.distributions():
        try:
            name = dist.metadata["Name"]
        except KeyError:  # a broken install without metadata; newer Pythons raise here
            continue
        if name and name.lower() not in found:
            found[name.lower()] = PackageInfo(name=name, version=dist.version)
    return sorted(found.values(), key=lambda p: p.name.lower())


def snapshot(home: str | Path, known_gpus: list[GPUInfo] | None = None) -> WorkerResources:
    """The current resources. Asking nvidia-smi costs a subprocess, so heartbeats pass the
    GPUs found at registration as `known_gpus` instead."""
    total = cpu_total()
    mem_total, mem_available = memory()
    disk_total, disk_free = disk(home)
    return WorkerResources(
        cpu_total=total,
        cpu_available=cpu_available(total),
        memory_total=mem_total,
        memory_available=mem_available,
        disk_total=disk_total,
        disk_free=disk_free,
        gpus=gpus() if known_gpus is None else known_gpus,
    )


def python_version() -> str:
    return ".".join(str(part) for part in sys.version_info[:3])


def platform_name() -> str:
    return platform.platform()
