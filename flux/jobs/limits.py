"""A job's limits: the server's `jobs.*` settings are the defaults and the ceilings.

A submission may ask for less than the defaults (or for network when the policy allows it),
never for more: asking for more is refused with a message rather than quietly capped, so
nobody believes a job had 8 GiB when it had 1.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flux.config import JobsSettings
from flux.domain.sizes import parse_size
from flux.jobs.spec import JobSpecError, Limits


def default_limits(settings: JobsSettings) -> Limits:
    return Limits(
        memory_bytes=_size(settings.memory, "jobs.memory"),
        cpu_seconds=settings.cpu_seconds,
        wall_seconds=settings.timeout,
        max_processes=settings.max_processes,
        max_output_bytes=settings.max_output_bytes,
        network=settings.network,
    )


def job_limits(
    settings: JobsSettings,
    *,
    memory: str | int | None = None,
    timeout: float | None = None,
    cpu_seconds: float | None = None,
    max_processes: int | None = None,
    network: bool | None = None,
) -> Limits:
    """The defaults with a job's own requests applied; JobSpecError when one asks too much."""
    base = default_limits(settings)
    changes: dict[str, Any] = {}
    if memory is not None:
        changes["memory_bytes"] = _at_most(
            _size(memory, "memory"), base.memory_bytes, "memory", settings.memory
        )
    if timeout is not None:
        changes["wall_seconds"] = _at_most(
            _positive(timeout, "timeout"), base.wall_seconds, "timeout"
        )
    if cpu_seconds is not None:
        changes["cpu_seconds"] = _at_most(
            _positive(cpu_seconds, "cpuSeconds"), base.cpu_seconds, "cpuSeconds"
        )
    if max_processes is not None:
        if max_processes < 1:
            raise JobSpecError("maxProcesses must be at least 1")
        changes["max_processes"] = _at_most(max_processes, base.max_processes, "maxProcesses")
    if network is not None and network != base.network:
        if network and not settings.allow_network:
            raise JobSpecError("this server does not allow jobs to use the network")
        changes["network"] = network
    return replace(base, **changes)


def _size(value: str | int, what: str) -> int:
    try:
        size = parse_size(value)
    except ValueError as exc:
        raise JobSpecError(f"{what}: {exc}") from None
    if size is None or size <= 0:
        raise JobSpecError(f"{what} must be a positive size such as 256Mi")
    return size


def _positive(value: float, what: str) -> float:
    if not value > 0:
        raise JobSpecError(f"{what} must be a positive number of seconds")
    return float(value)


def _at_most(value: Any, ceiling: Any, what: str, shown: Any = None) -> Any:
    if value > ceiling:
        raise JobSpecError(
            f"{what} {value} is above this server's limit of {shown or ceiling} "
            f"(set by jobs.* settings)"
        )
    return value
