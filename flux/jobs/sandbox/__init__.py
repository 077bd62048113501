"""Sandboxes that run one command under limits: bwrap, Docker, or plain processes.

`choose_sandbox(settings.jobs)` picks the backend; each one's module says what it isolates
and how it enforces each limit, and every result repeats that in `enforced`.
"""

from flux.jobs.sandbox.base import (
    OutputCallback,
    Sandbox,
    SandboxError,
    SandboxResult,
    SandboxSpec,
)
from flux.jobs.sandbox.bwrap import BwrapSandbox
from flux.jobs.sandbox.docker import DockerSandbox
from flux.jobs.sandbox.process import ProcessSandbox
from flux.jobs.sandbox.select import choose_sandbox, describe

__all__ = [
    "BwrapSandbox",
    "DockerSandbox",
    "OutputCallback",
    "ProcessSandbox",
    "Sandbox",
    "SandboxError",
    "SandboxResult",
    "SandboxSpec",
    "choose_sandbox",
    "describe",
]
