"""Control groups for jobs: limits over a job's whole process tree, what it used, and a way
to kill every process in it.

A job's cgroup holds every process the job starts, however it forks or detaches, so it is
what makes the memory and process limits hold for the tree (rlimits count per process, and
RLIMIT_NPROC not at all for root) and what makes "kill the job" complete.

Where job cgroups are made (`Cgroups.find`, once per process), per hierarchy:

1. `<the worker's own cgroup>/flux/`: so that whatever limits the worker runs under also
   bound its jobs, and because inside a container the hierarchy's root is usually not ours;
2. `<hierarchy root>/flux/`: for a worker whose own cgroup it may not write.

Each job then gets `flux/job-<worker pid>-<n>-<random>`, removed when the job ends; one left
behind by a worker that died is removed by the next worker that starts.

cgroup v1 (a hierarchy per controller: memory, pids, cpuacct) and v2 (one unified hierarchy)
are both handled. v1 is used when its memory or pids hierarchy is mounted (a controller
belongs to one hierarchy only). On v2 the kernel lets a cgroup enable controllers for its
children only when it holds no process itself (the real root excepted), so v2 works when the
worker may write the root (root on the host) or a cgroup delegated to it that it does not
live in; otherwise the sandboxes fall back to rlimits and say so in `enforced`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import secrets
import signal
from dataclasses import dataclass, field
from pathlib import Path

from flux.jobs.spec import Limits

logger = logging.getLogger(__name__)

MEMORY, PIDS, CPU = "memory", "pids", "cpu"
_V1_CONTROLLERS = {MEMORY: "memory", PIDS: "pids", CPU: "cpuacct"}
_JOB_PREFIX = "job-"
_counter = itertools.count(1)


@dataclass(frozen=True, slots=True)
class CgroupStats:
    oom_kills: int = 0  # processes the kernel killed for the memory limit
    pids_limit_hits: int = 0  # forks refused by the process limit
    cpu_seconds: float | None = None
    peak_memory_bytes: int | None = None


@dataclass(slots=True)
class JobCgroup:
    """One job's cgroup: a directory per v1 controller, or one v2 directory."""

    version: str  # "v1" or "v2"
    dirs: dict[str, Path]  # controller (MEMORY, PIDS, CPU) -> its directory for this job
    _removed: bool = field(default=False, repr=False)

    def _all_dirs(self) -> list[Path]:
        return list(dict.fromkeys(self.dirs.values()))

    def attach(self, pid: int) -> None:
        """Move `pid` in; its children are born inside. Raises OSError when it cannot."""
        for directory in self._all_dirs():
            _write_or_raise(f"{directory}/cgroup.procs", str(pid))

    def pids(self, everywhere: bool = True) -> set[int]:
        """The processes inside. `everywhere=False` reads one hierarchy only: `attach` put
        the process in all of them (or failed, and then it never ran), and its children
        are born in the same cgroups, so each hierarchy lists the same processes. That
        saves two reads per check on v1, where the check runs after every job."""
        found: set[int] = set()
        for directory in self._all_dirs() if everywhere else self._all_dirs()[:1]:
            found.update(int(p) for p in _read(f"{directory}/cgroup.procs").split())
        return found

    def signal_all(self, everywhere: bool = False) -> bool:
        """SIGKILL every process inside once; True when it was empty already."""
        return not self._kill_once(everywhere)

    def _kill_once(self, everywhere: bool = False) -> set[int]:
        """SIGKILL every process inside once; the processes that were inside."""
        if self.version == "v2" and _write(self._all_dirs()[0] / "cgroup.kill", "1"):
            return self.pids(everywhere)
        pids = self.pids(everywhere)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        return pids

    async def kill(self, timeout: float = 5.0) -> bool:
        """Kill every process inside, including those forked while we kill (a fork bomb),
        until none is left; False when some survived `timeout` (stuck in the kernel)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        before: set[int] = set()
        while left := self._kill_once():
            if loop.time() > deadline:
                return False
            # After a normal exit, what is usually left is bwrap's init still tearing down
            # the job's namespaces: wake when it is gone rather than on a fixed 2 ms tick.
            # The same processes again are exited ones not yet reaped by their parent
            # (pidfds say "exited" at once then): wait the tick. New ones are killed on
            # the next pass, every 2 ms at most (a fork bomb).
            await _exit_of(loop, left if left != before else set(), 0.002)
            before = left
        return True

    def stats(self) -> CgroupStats:
        if self.version == "v2":
            directory = self._all_dirs()[0]
            events = _keyed(directory / "memory.events")
            cpu = _keyed(directory / "cpu.stat").get("usage_usec")
            return CgroupStats(
                oom_kills=events.get("oom_kill", 0),
                pids_limit_hits=_keyed(directory / "pids.events").get("max", 0),
                cpu_seconds=cpu / 1e6 if cpu is not None else None,
                peak_memory_bytes=_int(directory / "memory.peak"),
            )
        memory, pids, cpu_dir = (self.dirs.get(k) for k in (MEMORY, PIDS, CPU))
        oom_kills = 0
        peak = None
        if memory is not None:
            oom_kills = _keyed(memory / "memory.oom_control").get("oom_kill", 0)
            peak = _int(memory / "memory.max_usage_in_bytes")
        usage_ns = _int(cpu_dir / "cpuacct.usage") if cpu_dir is not None else None
        return CgroupStats(
            oom_kills=oom_kills,
            pids_limit_hits=_keyed(pids / "pids.events").get("max", 0) if pids else 0,
            cpu_seconds=usage_ns / 1e9 if usage_ns is not None else None,
            peak_memory_bytes=peak,
        )

    def cpu_seconds(self) -> float | None:
        if self.version == "v2":
            usec = _keyed(self._all_dirs()[0] / "cpu.stat").get("usage_usec")
            return usec / 1e6 if usec is not None else None
        cpu_dir = self.dirs.get(CPU)
        usage_ns = _int(cpu_dir / "cpuacct.usage") if cpu_dir is not None else None
        return usage_ns / 1e9 if usage_ns is not None else None

    async def remove(self, timeout: float = 2.0) -> bool:
        """Delete the directories once the last process has left (a process killed a moment
        ago may take a few ms to exit); False when one is still busy after `timeout`."""
        if self._removed:
            return True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            busy = [d for d in self._all_dirs() if not _rmdir(d)]
            if not busy:
                self._removed = True
                return True
            if loop.time() > deadline:
                logger.warning("job cgroup %s still has processes; left in place", busy[0])
                return False
            self.signal_all(everywhere=True)
            await asyncio.sleep(0.005)


@dataclass(frozen=True, slots=True)
class Cgroups:
    """Where this process makes job cgroups, and with which controllers."""

    version: str  # "v1" or "v2"
    parents: dict[str, Path]  # controller -> the `flux` directory job cgroups go in
    swap_limited: bool = False  # v1 memsw / v2 swap.max exists: swap counts in the limit

    @property
    def controllers(self) -> frozenset[str]:
        return frozenset(self.parents)

    def label(self) -> str:
        return f"cgroup {self.version}"

    def create(self, limits: Limits) -> JobCgroup:
        """A fresh cgroup with `limits` applied. Raises OSError when the kernel refuses."""
        name = f"{_JOB_PREFIX}{os.getpid()}-{next(_counter)}-{secrets.token_hex(3)}"
        dirs: dict[str, Path] = {}
        made: list[Path] = []
        try:
            for controller, parent in self.parents.items():
                directory = parent / name
                if directory not in made:
                    directory.mkdir()
                    made.append(directory)
                dirs[controller] = directory
            job = JobCgroup(self.version, dirs)
            self._apply(job, limits)
            return job
        except OSError:
            for directory in made:
                _rmdir(directory)
            raise

    def _apply(self, job: JobCgroup, limits: Limits) -> None:
        memory, pids = job.dirs.get(MEMORY), job.dirs.get(PIDS)
        if self.version == "v2":
            if memory is not None:
                _write_or_raise(memory / "memory.max", str(limits.memory_bytes))
                _write(memory / "memory.swap.max", "0")
                # One process over the limit ends the whole job, as on a kill.
                _write(memory / "memory.oom.group", "1")
        elif memory is not None:
            _write_or_raise(memory / "memory.limit_in_bytes", str(limits.memory_bytes))
            # memsw is memory + swap: the same number means no swap at all.
            _write(memory / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
        if pids is not None:
            _write_or_raise(pids / "pids.max", str(limits.max_processes))

    @classmethod
    def find(cls) -> Cgroups | None:
        """Discover once per process (see `find_cgroups`)."""
        mounts = _cgroup_mounts()
        own = _own_cgroups()
        v1 = {k: m for k, m in mounts.items() if k != "v2"}
        if any(_V1_CONTROLLERS[c] in v1 for c in (MEMORY, PIDS)):
            parents: dict[str, Path] = {}
            for controller, name in _V1_CONTROLLERS.items():
                if name in v1:
                    root, mountpoint = v1[name]
                    parent = _usable_parent(
                        candidate_parents(mountpoint, root, own.get(name)), controller, "v1"
                    )
                    if parent is not None:
                        parents[controller] = parent
            if MEMORY in parents or PIDS in parents:
                memsw = (
                    MEMORY in parents and (parents[MEMORY] / "memory.memsw.limit_in_bytes").exists()
                )
                return cls("v1", parents, swap_limited=memsw)
            return None
        if "v2" in mounts:
            root, mountpoint = mounts["v2"]
            for base in candidate_parents(mountpoint, root, own.get("")):
                parent = v2_parent(base)
                if parent is not None:
                    enabled = set((parent / "cgroup.subtree_control").read_text().split())
                    parents = {c: parent for c in (MEMORY, PIDS) if c in enabled}
                    parents[CPU] = parent  # cpu.stat is there without the cpu controller
                    swap = (parent / "memory.swap.max").exists()
                    return cls("v2", parents, swap_limited=swap)
        return None


def job_cgroup(cgroups: Cgroups | None, limits: Limits) -> JobCgroup | None:
    """A cgroup for one job, or None (rlimits then; `enforced` says so). A failed mkdir
    must not stop a worker from running jobs, so it is logged rather than raised."""
    if cgroups is None:
        return None
    try:
        return cgroups.create(limits)
    except OSError as exc:
        logger.warning("cannot make a cgroup for a job, using rlimits: %s", exc)
        return None


async def _exit_of(loop: asyncio.AbstractEventLoop, pids: set[int], timeout: float) -> None:
    """Wait until one of `pids` (the first few) exits, or `timeout`."""
    woken = loop.create_future()
    fds: list[int] = []
    try:
        for pid in sorted(pids)[:8]:
            try:
                fd = os.pidfd_open(pid)
            except (AttributeError, OSError):
                continue  # gone already, or no pidfds here: the timeout
            fds.append(fd)
            loop.add_reader(fd, _wake, woken)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(woken, timeout)
    finally:
        for fd in fds:
            loop.remove_reader(fd)
            os.close(fd)


def _wake(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)


_found: list[Cgroups | None] = []


def find_cgroups() -> Cgroups | None:
    """This process's cgroup layout, discovered on first use (a few ms), or None when no
    hierarchy is writable (then sandboxes use rlimits)."""
    if not _found:
        try:
            _found.append(Cgroups.find())
        except OSError as exc:
            logger.info("cgroups are not usable for jobs: %s", exc)
            _found.append(None)
    return _found[0]


def _cgroup_mounts() -> dict[str, tuple[str, Path]]:
    try:
        return parse_mountinfo(Path("/proc/self/mountinfo").read_text())
    except OSError:
        return {}


def _own_cgroups() -> dict[str, str]:
    try:
        return parse_proc_cgroup(Path("/proc/self/cgroup").read_text())
    except OSError:
        return {}


def parse_mountinfo(text: str) -> dict[str, tuple[str, Path]]:
    """v1 controller name (or "v2") -> (the hierarchy path mounted there, mount point)."""
    found: dict[str, tuple[str, Path]] = {}
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        fields, extra = left.split(), right.split()
        if len(fields) < 5 or len(extra) < 3:
            continue
        root, mountpoint = fields[3], Path(fields[4])
        if extra[0] == "cgroup2":
            found.setdefault("v2", (root, mountpoint))
        elif extra[0] == "cgroup":
            for option in extra[2].split(","):
                if option in _V1_CONTROLLERS.values():
                    found.setdefault(option, (root, mountpoint))
    return found


def parse_proc_cgroup(text: str) -> dict[str, str]:
    """v1 controller name (or "" for v2) -> this process's cgroup path in that hierarchy."""
    own: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for name in parts[1].split(",") if parts[1] else [""]:
                own[name] = parts[2]
    return own


def candidate_parents(mountpoint: Path, root: str, own: str | None) -> list[Path]:
    """Where to try making `flux/` in one hierarchy: our own cgroup, then its root."""
    found = []
    if own is not None and (own + "/").startswith(root.rstrip("/") + "/"):
        relative = own[len(root.rstrip("/")) :].strip("/")
        if relative:
            found.append(mountpoint / relative)
    found.append(mountpoint)
    return found


def _usable_parent(candidates: list[Path], controller: str, version: str) -> Path | None:
    """The first `<candidate>/flux` where a job cgroup can be made and limited."""
    for base in candidates:
        parent = base / "flux"
        try:
            parent.mkdir(exist_ok=True)
            probe = parent / f"probe-{os.getpid()}-{secrets.token_hex(3)}"
            probe.mkdir()
            try:
                if controller == MEMORY:
                    (probe / "memory.limit_in_bytes").write_text(str(1 << 30))
                elif controller == PIDS:
                    (probe / "pids.max").write_text("64")
                else:
                    (probe / "cpuacct.usage").read_text()
            finally:
                probe.rmdir()
        except OSError as exc:
            logger.debug("cannot make %s %s cgroups in %s: %s", version, controller, base, exc)
            continue
        _remove_stale(parent)
        return parent
    return None


def v2_parent(base: Path) -> Path | None:
    """`<base>/flux` with memory and pids enabled for its children, when the kernel allows."""
    try:
        available = set((base / "cgroup.controllers").read_text().split())
        wanted = [c for c in (MEMORY, PIDS) if c in available]
        if not wanted:
            return None
        enabled = set((base / "cgroup.subtree_control").read_text().split())
        missing = [c for c in wanted if c not in enabled]
        if missing:
            # EBUSY when `base` holds processes (see the module's docstring).
            (base / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in missing))
        parent = base / "flux"
        parent.mkdir(exist_ok=True)
        (parent / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in wanted))
    except OSError as exc:
        logger.debug("cannot make v2 cgroups under %s: %s", base, exc)
        return None
    _remove_stale(parent)
    return parent


def _remove_stale(parent: Path) -> None:
    """Remove empty job cgroups of workers that are gone (they died before cleaning up)."""
    with contextlib.suppress(OSError):
        for entry in parent.iterdir():
            if not entry.name.startswith(_JOB_PREFIX):
                continue
            pid = entry.name[len(_JOB_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                _rmdir(entry)


def _rmdir(directory: Path) -> bool:
    try:
        directory.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


# Control files are read and written with plain os.open/os.read/os.write: every job reads
# and writes a dozen of them on the worker's event loop, and pathlib's read_text/write_text
# (a buffered text file, an encoding lookup) costs several times the system calls.


def _write_or_raise(path: str | Path, value: str) -> None:
    # The flags of open(path, "w"), as before: on a real cgroupfs the file always exists.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _write(path: str | Path, value: str) -> bool:
    try:
        _write_or_raise(path, value)
    except OSError:
        return False
    return True


def _read(path: str | Path) -> bytes:
    """The whole of a (small) control file, or b"" when it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return b""
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return b""
    finally:
        os.close(fd)


def _int(path: Path) -> int | None:
    try:
        return int(_read(path).split()[0])
    except (ValueError, IndexError):
        return None


def _keyed(path: Path) -> dict[str, int]:
    """`key value` lines (memory.events, pids.events, cpu.stat, memory.oom_control)."""
    values: dict[str, int] = {}
    for line in _read(path).decode(errors="replace").splitlines():
        key, _, value = line.partition(" ")
        with contextlib.suppress(ValueError):
            values[key] = int(value.strip())
    return values
