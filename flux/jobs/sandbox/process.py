"""The plain-process sandbox: limits without isolation, for hosts without bwrap or Docker.

The command runs as the worker's user, in its own session, and sees the host's files: every
result says `"filesystem": "not isolated"`. Limits still hold: the memory and process limits
through the job's cgroup when one is writable (rlimits otherwise), CPU time through rlimits,
wall time and output through the worker. Without network, a root worker runs the command
in an empty network namespace (`unshare --net`, whose loopback is down); other workers
cannot, and say `"network": "not enforced"`.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess

from flux.jobs.sandbox.base import OutputCallback, SandboxResult, SandboxSpec
from flux.jobs.sandbox.cgroups import Cgroups, find_cgroups, job_cgroup
from flux.jobs.sandbox.supervisor import Launch, plan_limits, supervise

logger = logging.getLogger(__name__)


@functools.cache
def _unshare_net() -> str | None:
    """`unshare` when it can make a network namespace here (root with CAP_SYS_ADMIN)."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        return None
    try:
        done = subprocess.run([unshare, "--net", "--", "true"], capture_output=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return unshare if done.returncode == 0 else None


class ProcessSandbox:
    name = "process"
    isolated = False

    def __init__(self, *, use_cgroups: bool = True) -> None:
        self.cgroups: Cgroups | None = find_cgroups() if use_cgroups else None

    def unavailable(self) -> str | None:
        return None  # a process can always be started

    def describe(self) -> str:
        limits = self.cgroups.label() if self.cgroups is not None else "rlimits only"
        return f"process, not isolated ({limits})"

    def command(self, spec: SandboxSpec) -> tuple[list[str], str]:
        """The host command and how the network is handled."""
        if spec.limits.network:
            return list(spec.argv), "host network (asked for)"
        unshare = _unshare_net()
        if unshare is None:
            return list(spec.argv), "not enforced"
        return [unshare, "--net", "--", *spec.argv], "namespace (unshare)"

    async def run(
        self, spec: SandboxSpec, on_output: OutputCallback | None = None
    ) -> SandboxResult:
        cgroup = job_cgroup(self.cgroups, spec.limits)
        rlimits, enforced = plan_limits(spec.limits, self.cgroups, cgroup)
        argv, network = self.command(spec)
        enforced["network"] = network
        enforced["filesystem"] = "not isolated"
        launch = Launch(
            argv=argv,
            env=dict(spec.env),
            limits=spec.limits,
            backend=self.name,
            enforced=enforced,
            cwd=spec.job_dir,
            cgroup=cgroup,
            rlimits=rlimits,
            rusage_complete=True,
        )
        try:
            return await supervise(launch, on_output)
        finally:
            if cgroup is not None:
                await cgroup.remove()
