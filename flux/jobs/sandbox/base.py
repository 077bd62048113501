"""The sandbox interface: run one command under limits and say what happened.

Everything the command may see is mounted at the same path as on the host (so argv and env
need no translation): read-only mounts for the runtime and dependencies, the writable job
directory, a private /tmp. Backends differ in how strongly they isolate and enforce; each
result says which limits were actually enforced and by what.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from flux.errors import FluxError
from flux.jobs.spec import Limits


class SandboxError(FluxError):
    """The sandbox could not start the command (not: the command failed)."""


@dataclass(frozen=True, slots=True)
class SandboxSpec:
    argv: list[str]
    env: dict[str, str]  # the command's whole environment (nothing is inherited)
    job_dir: Path  # writable; also the working directory
    read_only: tuple[Path, ...] = ()  # host paths visible read-only at the same path
    limits: Limits = field(default_factory=Limits)
    # More host paths writable at the same path: a package manager's download cache while
    # dependencies install. Jobs never get any.
    writable: tuple[Path, ...] = ()
    # For backends that run a container image (docker): the image, which must hold argv[0]'s
    # program under the same base name on its PATH (`/usr/bin/node` -> `node`).
    image: str | None = None


@dataclass(slots=True)
class SandboxResult:
    exit_code: int | None  # None when killed by a signal
    signal: int | None
    output: bytes  # stdout and stderr, interleaved as written, at most max_output_bytes
    timed_out: bool = False
    oom: bool = False
    cpu_exceeded: bool = False
    pids_exceeded: bool = False
    output_exceeded: bool = False
    usage: dict[str, float] = field(default_factory=dict)
    enforced: dict[str, str] = field(default_factory=dict)
    backend: str = ""

    @property
    def limit(self) -> str | None:
        """The limit that stopped the command (a key of flux.jobs.spec.LIMIT_REASONS)."""
        for name, hit in (
            ("memory", self.oom),
            ("processes", self.pids_exceeded),
            ("output", self.output_exceeded),
            ("cpu_time", self.cpu_exceeded),
            ("wall_time", self.timed_out),
        ):
            if hit:
                return name
        return None


OutputCallback = Callable[[bytes], None]


class Sandbox(Protocol):
    name: str
    isolated: bool  # False: the command sees the host (process backend)

    def describe(self) -> str:
        """One line for logs and the worker's registration, e.g. `bwrap 0.8.0, cgroup v1`."""
        ...

    async def run(
        self, spec: SandboxSpec, on_output: OutputCallback | None = None
    ) -> SandboxResult:
        """Run to the end, or until a limit or cancellation kills it (the whole process
        tree is gone when this returns or raises CancelledError)."""
        ...
