"""The bubblewrap sandbox: namespaces, a read-only view of the system, no network by default.

What a job sees: `/usr` (and the `/bin`, `/lib*`, `/sbin` links or directories beside it)
read-only, a short list of `/etc` files that programs need to start, resolve names and check
certificates (not `/etc/ssl/private`, not `/etc/shadow`), its runtime's directory and its
dependency directories read-only at their host paths, its job directory writable (also the
current directory), a private `/tmp`, fresh `/proc` and `/dev`. Nothing else of the host's
files exists for it: not the Flux home (database, keys, uploaded workflows), not other jobs'
directories, not the worker's working directory. It runs as uid/gid 65534 in its own user,
PID, IPC, UTS, cgroup and (unless it asked for the network) network namespaces, with no
capabilities and `no_new_privs`.

bwrap's options travel in a memfd (`--args FD`), not on its command line: the job's
environment (payload, the job's own env values) would otherwise be readable by every local
user in /proc/<pid>/cmdline for as long as the job runs. They are not passed in bwrap's own
environment either: bwrap runs outside the sandbox, and a job choosing LD_PRELOAD for it
would escape.

When the worker runs as root, the user namespace maps the job's uid 65534 to host root, so
file permissions do not hide root-only files inside what is mounted: that is why the mounts
are a short curated list. (Running bwrap as an unprivileged host user would need every
runtime directory, such as pyenv's under a 0700 /root, to be reachable by that user.)
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

from flux.jobs.sandbox.base import OutputCallback, SandboxResult, SandboxSpec
from flux.jobs.sandbox.cgroups import Cgroups, find_cgroups, job_cgroup
from flux.jobs.sandbox.supervisor import Launch, plan_limits, supervise

logger = logging.getLogger(__name__)

SANDBOX_UID = 65534  # "nobody" on most distributions
HOSTNAME = "flux-job"
_TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
# What programs read at start-up, for name resolution, TLS, users and time; never secrets.
# Each entry is one more mount per job (~0.1 ms): files only tools like ldconfig or
# update-ca-certificates read are left out.
_ETC = (
    "ld.so.cache",
    "ssl/certs",
    "ssl/openssl.cnf",
    "pki/tls/certs",
    "pki/ca-trust/extracted",
    "crypto-policies",
    "resolv.conf",
    "hosts",
    "host.conf",
    "nsswitch.conf",
    "passwd",
    "group",
    "localtime",
    "alternatives",
    "mime.types",
    "protocols",
    "services",
    "os-release",
)
_probes: dict[str, str | None] = {}
_versions: dict[str, str] = {}


def system_mounts() -> list[str]:
    """bwrap options for the read-only system view, as this host lays it out."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in _TOP_LEVEL:
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for entry in _ETC:
        path = Path("/etc") / entry
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def _isolation(hostname: str, network: bool) -> list[str]:
    args = ["--unshare-all"]
    if network:
        args.append("--share-net")
    return [
        *args,
        "--die-with-parent",  # the job dies with the worker
        "--new-session",  # no TIOCSTI into the worker's terminal
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_UID),
        "--hostname",
        hostname,
    ]


def _extra_mounts(paths: tuple[Path, ...], skip_under: tuple[Path, ...]) -> list[Path]:
    """Paths to bind, without those the system view or an earlier path already shows."""
    chosen: list[Path] = []
    for path in sorted({Path(os.path.abspath(p)) for p in paths}, key=lambda p: len(p.parts)):
        if any(path == s or path.is_relative_to(s) for s in (*skip_under, *chosen)):
            continue
        chosen.append(path)
    return chosen


class BwrapSandbox:
    name = "bwrap"
    isolated = True

    def __init__(
        self,
        executable: str | None = None,
        *,
        use_cgroups: bool = True,
        hostname: str = HOSTNAME,
    ) -> None:
        self.executable = executable or shutil.which("bwrap") or "bwrap"
        self.cgroups: Cgroups | None = find_cgroups() if use_cgroups else None
        self.hostname = hostname
        self._system = system_mounts()

    def unavailable(self) -> str | None:
        """Why bwrap cannot run jobs here (not installed, user namespaces disabled...), or
        None when it can. Runs `bwrap ... true` once per process."""
        if self.executable not in _probes:
            _probes[self.executable] = self._probe()
        return _probes[self.executable]

    def _probe(self) -> str | None:
        if shutil.which(self.executable) is None:
            return f"{self.executable} is not installed (apt-get install bubblewrap)"
        argv = [
            self.executable,
            *self._system,
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            *_isolation(self.hostname, False),
            "--",
            "true",
        ]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=10, check=False)
            version = subprocess.run(
                [self.executable, "--version"], capture_output=True, timeout=5, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{self.executable} does not run: {exc}"
        if done.returncode != 0:
            err = done.stderr.decode(errors="replace").strip()
            return f"{self.executable} cannot make a sandbox here: {err or done.returncode}"
        _versions[self.executable] = version.stdout.decode(errors="replace").strip()
        return None

    def describe(self) -> str:
        version = _versions.get(self.executable) or "bwrap"
        limits = self.cgroups.label() if self.cgroups is not None else "rlimits only"
        return f"{version} ({limits})"

    def options(self, spec: SandboxSpec) -> list[str]:
        """Everything bwrap is told, except the command itself."""
        args = [*self._system, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        job_dir = Path(os.path.abspath(spec.job_dir))
        for path in _extra_mounts(spec.read_only, (Path("/usr"),)):
            args += ["--ro-bind", str(path), str(path)]
        for path in _extra_mounts(spec.writable, ()):
            args += ["--bind", str(path), str(path)]
        args += ["--bind", str(job_dir), str(job_dir), "--chdir", str(job_dir)]
        args += ["--remount-ro", "/"]  # the sandbox's own root: no new files beside /tmp
        args += _isolation(self.hostname, spec.limits.network)
        args.append("--clearenv")
        for key, value in spec.env.items():
            args += ["--setenv", key, value]
        return args

    async def run(
        self, spec: SandboxSpec, on_output: OutputCallback | None = None
    ) -> SandboxResult:
        cgroup = job_cgroup(self.cgroups, spec.limits)
        rlimits, enforced = plan_limits(spec.limits, self.cgroups, cgroup)
        enforced["network"] = "host network (asked for)" if spec.limits.network else "namespace"
        enforced["filesystem"] = "bwrap"
        args_fd = os.memfd_create("bwrap-args")
        try:
            os.write(args_fd, b"".join(a.encode() + b"\0" for a in self.options(spec)))
            os.lseek(args_fd, 0, os.SEEK_SET)
            launch = Launch(
                argv=[self.executable, "--args", str(args_fd), "--", *spec.argv],
                env={"PATH": "/usr/bin:/bin"},
                limits=spec.limits,
                backend=self.name,
                enforced=enforced,
                cgroup=cgroup,
                rlimits=rlimits,
                pass_fds=(args_fd,),
                signal_as_exit_status=True,
            )
            return await supervise(launch, on_output)
        finally:
            os.close(args_fd)
            if cgroup is not None:
                await cgroup.remove()
