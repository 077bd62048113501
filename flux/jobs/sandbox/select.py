"""Which sandbox runs this worker's jobs (`jobs.sandbox`).

`auto` takes the strongest one that works here: bwrap when a probe sandbox starts, else
Docker when a daemon answers, else plain processes, with a warning that jobs are not
isolated. Naming a backend that does not work here is a configuration error, not a silent
downgrade: whoever asked for isolation must not get less without knowing.
"""

from __future__ import annotations

import logging

from flux.config import JobsSettings
from flux.errors import ConfigurationError
from flux.jobs.sandbox.base import Sandbox
from flux.jobs.sandbox.bwrap import BwrapSandbox
from flux.jobs.sandbox.docker import DockerSandbox
from flux.jobs.sandbox.process import ProcessSandbox

logger = logging.getLogger(__name__)


def choose_sandbox(settings: JobsSettings) -> Sandbox:
    wanted = settings.sandbox
    if wanted == "process":
        return ProcessSandbox()
    if wanted in ("bwrap", "docker"):
        backend: BwrapSandbox | DockerSandbox = (
            BwrapSandbox() if wanted == "bwrap" else DockerSandbox()
        )
        reason = backend.unavailable()
        if reason is not None:
            raise ConfigurationError(f"jobs.sandbox is '{wanted}', but {reason}")
        return backend
    bwrap = BwrapSandbox()
    bwrap_reason = bwrap.unavailable()
    if bwrap_reason is None:
        return bwrap
    docker = DockerSandbox()
    docker_reason = docker.unavailable()
    if docker_reason is None:
        return docker
    logger.warning(
        "jobs are not isolated: they run as plain processes of this worker's user "
        "(bwrap: %s; docker: %s). Install bubblewrap to isolate them.",
        bwrap_reason,
        docker_reason,
    )
    return ProcessSandbox()


def describe(sandbox: Sandbox) -> str:
    """`bwrap: bubblewrap 0.8.0 (cgroup v1)`, for logs and the worker's registration."""
    return f"{sandbox.name}: {sandbox.describe()}"
