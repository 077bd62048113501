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

import atexit
import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from flux.jobs.sandbox.base import OutputCallback, SandboxResult, SandboxSpec
from flux.jobs.sandbox.cgroups import Cgroups, find_cgroups, job_cgroup
from flux.jobs.sandbox.supervisor import Launch, plan_limits, supervise

logger = logging.getLogger(__name__)

SANDBOX_UID = 65534  # "nobody" on most distributions
HOSTNAME = "flux-job"
_TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
# What programs read at start-up, for name resolution, TLS, users and time; never secrets.
# Files only tools like ldconfig or update-ca-certificates read are left out. They reach
# the job as one read-only mount of a copy (see `EtcView`), not a mount each: bwrap rereads
# /proc/self/mountinfo for every mount it makes, and the kernel tears each one down again
# when the job ends.
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


def system_mounts(etc: Path | None = None) -> list[str]:
    """bwrap options for the read-only system view, as this host lays it out: with `etc`
    (a directory made by `EtcView`) mounted as /etc, else each curated /etc entry bound."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in _TOP_LEVEL:
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    if etc is not None:
        return [*args, "--ro-bind", str(etc), "/etc"]
    for entry in _ETC:
        path = Path("/etc") / entry
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


class EtcView:
    """A copy of the curated /etc entries, mounted read-only as a job's whole /etc.

    It lives in a 0700 directory of the worker's (under the host's temporary directory,
    which jobs never see: theirs is a private tmpfs), so no job can change it and no other
    local user can read it. A copy holds what a bind mount would show: a top-level entry
    that is a link is copied as what it points to (mounts follow it), links inside copied
    directories stay links (resolved in the sandbox, like the bound originals).

    The host's files do change (resolv.conf on a new lease, certificates on an update): at
    most once per `CHECK_EVERY` seconds, `current()` compares the sources' stat (and that
    of every directory inside them: adding, removing or replacing a file by rename, as
    update tools do, changes its directory) with the copy's and makes a fresh copy when
    they differ. Older copies are kept a while, since a job starting may still mount one.
    """

    CHECK_EVERY = 1.0
    _KEEP = 3  # copies kept: the current one and the previous ones a starting bwrap may use

    def __init__(self, entries: tuple[str, ...] = _ETC, source: Path = Path("/etc")) -> None:
        self.entries = entries
        self.source = source
        _remove_stale_views()
        self.root = Path(tempfile.mkdtemp(prefix=f"{_VIEW_PREFIX}{os.getpid()}-"))
        atexit.register(_remove_view, self.root, os.getpid())
        self._lock = threading.Lock()
        self._serial = 0
        self._copies: list[Path] = []
        self._signature: tuple[object, ...] = ()
        self._watched: list[str] = []  # the directories inside the sources at the last copy
        self._checked = 0.0
        self._build()

    def current(self) -> Path:
        """The copy to mount, fresh as of at most `CHECK_EVERY` seconds ago."""
        now = time.monotonic()
        if now - self._checked >= self.CHECK_EVERY:
            with self._lock:
                self._checked = now
                if self._stat_all() != self._signature:
                    try:
                        self._build()
                    except OSError as exc:
                        # Jobs keep the previous copy; the next check tries again.
                        self._signature = ()
                        logger.warning("cannot refresh the /etc copy for jobs: %s", exc)
        return self._copies[-1]

    def _stat_all(self) -> tuple[object, ...]:
        found: list[object] = []
        for path in (*(str(self.source / e) for e in self.entries), *self._watched):
            try:
                st = os.stat(path)
            except OSError:
                found.append(None)
                continue
            found.append((st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_mode))
        return tuple(found)

    def _build(self) -> None:
        sources = [self.source / e for e in self.entries]
        self._watched = [
            root
            for source in sources
            if source.is_dir()
            for root, _, _ in os.walk(source)
            if root != str(source)
        ]
        # Read before the copy: a change while copying makes the next check copy again.
        signature = self._stat_all()
        self._serial += 1
        target = self.root / f"etc-{self._serial}"
        target.mkdir(mode=0o755)
        try:
            for source, entry in zip(sources, self.entries, strict=True):
                if not source.exists():
                    continue
                dest = target / entry
                dest.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
                if source.is_dir():
                    shutil.copytree(source.resolve(), dest, symlinks=True)
                else:
                    shutil.copy2(source, dest)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        self._signature = signature
        self._copies.append(target)
        while len(self._copies) > self._KEEP:
            shutil.rmtree(self._copies.pop(0), ignore_errors=True)


_VIEW_PREFIX = "flux-etc-"


def _remove_view(root: Path, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked child that exits through atexit
        shutil.rmtree(root, ignore_errors=True)


def _remove_stale_views() -> None:
    """Remove the copies of this user's workers that died without cleaning up."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(tempfile.gettempdir()):
            if not entry.name.startswith(_VIEW_PREFIX):
                continue
            pid = entry.name[len(_VIEW_PREFIX) :].split("-", 1)[0]
            with contextlib.suppress(OSError):
                mine = entry.stat(follow_symlinks=False).st_uid == os.geteuid()
                if mine and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                    shutil.rmtree(entry.path, ignore_errors=True)


_etc_views: list[EtcView | None] = []


def etc_view() -> EtcView | None:
    """This process's /etc copy, made on first use; None when it cannot be made (jobs then
    get the curated entries bound one by one, as the copy would show them)."""
    if not _etc_views:
        try:
            _etc_views.append(EtcView())
        except OSError as exc:
            logger.warning("cannot prepare /etc for jobs, binding its files one by one: %s", exc)
            _etc_views.append(None)
    return _etc_views[0]


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
        self._system_for: tuple[Path | None, list[str]] | None = None

    def _system(self) -> list[str]:
        """The system view's options, with the current /etc copy (made on first use, so
        that a worker that does not use bwrap makes none)."""
        view = etc_view()
        etc = view.current() if view is not None else None
        if self._system_for is None or self._system_for[0] != etc:
            self._system_for = (etc, system_mounts(etc))
        return self._system_for[1]

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
            *self._system(),
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
        args = [*self._system(), "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
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
