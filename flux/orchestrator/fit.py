"""Whether a worker can run an execution: its `ResourceRequest` against the worker's report.

Totals decide (CPU cores, memory, GPUs, disk): a request that fits a worker's machine waits
for it even when that worker is busy now, while one that fits no connected machine is
reported as such (`pending_reason`) instead of waiting silently. Packages must be installed,
at a version that satisfies the requirement when one is given (`pandas>=2`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from flux.api.worker_protocol import PackageInfo, WorkerResources
from flux.domain.sizes import parse_size

__all__ = ["Capacity", "fits", "parse_size", "shortfall"]


@dataclass(frozen=True, slots=True)
class Capacity:
    """What a worker reported, in the form fit checks need."""

    cpu: int = 0
    memory: int = 0
    gpus: int = 0
    disk: int = 0
    packages: dict[str, str] = field(default_factory=dict)
    runtimes: frozenset[str] = frozenset()  # script job families the worker can run

    @classmethod
    def of(cls, resources: WorkerResources, packages: list[PackageInfo]) -> Capacity:
        return cls(
            cpu=resources.cpu_total,
            memory=resources.memory_total,
            gpus=len(resources.gpus),
            disk=resources.disk_total,
            packages={canonicalize_name(p.name): p.version for p in packages},
            runtimes=frozenset(
                family for family, versions in resources.runtimes.items() if versions
            ),
        )


def shortfall(requests: str | None, capacity: Capacity) -> str | None:
    """Why a worker of `capacity` cannot run an execution with `requests` (JSON of a
    ResourceRequest), or None when it can."""
    if not requests:
        return None
    wanted = _parsed(requests)
    for name, have in (("cpu", capacity.cpu), ("gpu", capacity.gpus)):
        need = wanted.get(name)
        if need and need > have:
            return f"needs {name}={need}, the worker has {have}"
    for name, have in (("memory", capacity.memory), ("disk", capacity.disk)):
        need = wanted.get(name)
        if need and need > have:
            return f"needs {name}={wanted[f'{name}_text']}, the worker has {have} bytes"
    runtime = wanted.get("runtime")
    if runtime and runtime not in capacity.runtimes:
        offered = ", ".join(sorted(capacity.runtimes)) or "none"
        return f"needs the {runtime} runtime for script jobs, the worker has: {offered}"
    for requirement in wanted.get("packages", []):
        if not _installed(requirement, capacity.packages):
            return f"needs package {requirement}"
    return None


@lru_cache(maxsize=1024)
def _parsed_cached(requests: str) -> tuple[tuple[str, Any], ...]:
    data = json.loads(requests) or {}
    parsed: dict[str, Any] = {
        "cpu": data.get("cpu"),
        "gpu": data.get("gpu"),
        "packages": tuple(data.get("packages") or ()),
        "runtime": data.get("runtime"),
    }
    for name in ("memory", "disk"):
        parsed[name] = parse_size(data.get(name))
        parsed[f"{name}_text"] = data.get(name)
    return tuple(parsed.items())


def _parsed(requests: str) -> dict[str, Any]:
    return dict(_parsed_cached(requests))


def _installed(requirement: str, packages: dict[str, str]) -> bool:
    try:
        parsed = Requirement(requirement)
    except InvalidRequirement:
        return canonicalize_name(requirement) in packages
    version = packages.get(canonicalize_name(parsed.name))
    if version is None:
        return False
    if not parsed.specifier:
        return True
    try:
        return Version(version) in parsed.specifier
    except InvalidVersion:
        return False


def fits(requests: str | None, capacity: Capacity) -> bool:
    try:
        return shortfall(requests, capacity) is None
    except ValueError:
        return False
