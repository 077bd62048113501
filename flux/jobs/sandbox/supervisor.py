"""Start one command as a confined process tree and watch it to the end.

Shared by the backends: they build the host command (bwrap ..., unshare ..., docker run ...)
and this module starts it, puts it in its cgroup and under its rlimits before it runs a
single instruction of its own, reads its output, enforces wall time, output size and the
tree's CPU time, kills the whole tree on a limit or on cancellation, and reports.

How the command is confined without `preexec_fn` (which would force a full fork of a large
worker process): it is started as `/bin/sh -c 'read -r _ || exit 125; exec "$@"'` with a
pipe on stdin. While the shell waits on that pipe, the worker writes the shell's pid into
the job's cgroup and sets its rlimits with prlimit(2); then it writes one line and the shell
execs the command, which inherits both. Nothing can fork before it is inside the cgroup.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import math
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flux.jobs.sandbox.base import OutputCallback, SandboxError, SandboxResult
from flux.jobs.sandbox.cgroups import CPU, MEMORY, PIDS, Cgroups, CgroupStats, JobCgroup
from flux.jobs.spec import Limits

logger = logging.getLogger(__name__)

SHELL = "/bin/sh"
_GATE = 'read -r _ || exit 125; exec "$@" </dev/null'
# No file a job writes may grow past this (RLIMIT_FSIZE): a runaway `yes > file` stops here
# instead of filling the worker's disk. Large enough for big wheels during installs.
MAX_FILE_BYTES = 4 << 30
_READ_SIZE = 65536
_CPU_CHECK_EVERY = 0.5  # seconds between checks of the tree's CPU time in its cgroup
_REAP_TIMEOUT = 10.0  # a SIGKILLed process stuck in the kernel (D state) gets this long
_DRAIN_TIMEOUT = 2.0  # after exit, output still buffered in the pipe gets this long
_background: set[asyncio.Task[None]] = set()
_confiners: list[concurrent.futures.ThreadPoolExecutor] = []


def _confiner() -> concurrent.futures.ThreadPoolExecutor:
    """Threads that put a job's shell in its cgroup. Moving a process between v1 cgroups
    waits for an RCU grace period in the kernel (1-10 ms, sleeping, not CPU): done on the
    event loop, it stalled every other job and the engine for that long. A pool of its
    own: the loop's default executor may be busy with slower things. (The job's other
    file system work, a few 0.1 ms syscalls, stays on the loop: measured, a thread round
    trip for each cost more CPU and latency than it saved.)"""
    if not _confiners:
        _confiners.append(
            concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="flux-jobs")
        )
    return _confiners[0]


@dataclass(slots=True)
class Launch:
    """A host command to run confined (see the module's docstring)."""

    argv: list[str]
    env: dict[str, str]
    limits: Limits
    backend: str
    enforced: dict[str, str]
    cwd: Path | None = None
    cgroup: JobCgroup | None = None
    rlimits: list[tuple[int, tuple[int, int]]] = field(default_factory=list)
    pass_fds: tuple[int, ...] = ()
    # bwrap and `docker run` report "the command died of signal N" as exit status 128 + N
    # (as shells do), so for them such a status is read as that signal.
    signal_as_exit_status: bool = False
    on_kill: Callable[[], Awaitable[None]] | None = None  # e.g. `docker kill`
    # Whether wait4's rusage covers the job's processes. Not through bwrap: they are reaped
    # inside its PID namespace, and their usage never reaches the bwrap process we reap.
    rusage_complete: bool = False


def plan_limits(
    limits: Limits, cgroups: Cgroups | None, cgroup: JobCgroup | None
) -> tuple[list[tuple[int, tuple[int, int]]], dict[str, str]]:
    """The rlimits to set and what `enforced` reports, given the cgroup the job got."""
    cpu = max(1, math.ceil(limits.cpu_seconds))
    # The kernel sends SIGXCPU at the soft limit and SIGKILL at the hard one, for a process
    # that catches or ignores SIGXCPU.
    rlimits = [
        (resource.RLIMIT_CPU, (cpu, cpu + 2)),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES)),
    ]
    label = cgroups.label() if cgroups is not None else ""
    controllers = set(cgroup.dirs) if cgroup is not None else set()
    enforced = {
        "wall_time": "timer",
        "output": "reader",
        "file_size": f"rlimit ({MAX_FILE_BYTES >> 30} GiB per file)",
        "cpu_time": "rlimit per process"
        + (f", {label} for the whole tree" if CPU in controllers else ""),
    }
    if MEMORY in controllers:
        unlimited_swap = cgroups is not None and not cgroups.swap_limited and _has_swap()
        enforced["memory"] = label + (" (swap not counted)" if unlimited_swap else "")
    else:
        # RLIMIT_DATA rather than RLIMIT_AS: V8 reserves far more address space than it uses,
        # so an address-space limit kills Node long before it uses the memory.
        rlimits.append((resource.RLIMIT_DATA, (limits.memory_bytes, limits.memory_bytes)))
        enforced["memory"] = "rlimit RLIMIT_DATA (per process)"
    if PIDS in controllers:
        enforced["processes"] = label
    elif os.geteuid() != 0:
        procs = limits.max_processes
        rlimits.append((resource.RLIMIT_NPROC, (procs, procs)))
        enforced["processes"] = "rlimit RLIMIT_NPROC (counts all processes of the user)"
    else:
        enforced["processes"] = "not enforced (no pids cgroup; RLIMIT_NPROC ignores root)"
    return rlimits, enforced


def _confine(
    pid: int, cgroup: JobCgroup | None, rlimits: list[tuple[int, tuple[int, int]]]
) -> None:
    if cgroup is not None:
        cgroup.attach(pid)
    for which, values in rlimits:
        resource.prlimit(pid, which, values)


@functools.cache
def _has_swap() -> bool:
    try:
        return len(Path("/proc/swaps").read_text().splitlines()) > 1
    except OSError:
        return False


async def supervise(launch: Launch, on_output: OutputCallback | None = None) -> SandboxResult:
    """Run `launch` to the end (or to a limit, or cancellation: then the tree is killed
    before CancelledError propagates)."""
    run = _Run(launch, on_output)
    return await run.run()


class _Run:
    def __init__(self, launch: Launch, on_output: OutputCallback | None) -> None:
        self.launch = launch
        self.loop = asyncio.get_running_loop()
        self.output = _Output(self.loop, launch.limits.max_output_bytes, on_output)
        self.started = time.monotonic()
        self.killed = False
        self.timed_out = False
        self.cpu_watch_hit = False
        self.stats: CgroupStats | None = None

    async def run(self) -> SandboxResult:
        proc, read_fd = await self._start()
        self.proc = proc
        self.exit = _ExitWaiter(self.loop, proc)
        self.output.attach(read_fd)
        try:
            await self._watch()
        except BaseException:
            # Cancelled (or broken): the tree must be gone before this propagates.
            with contextlib.suppress(BaseException):
                await self._cleanup()
            raise
        await self._cleanup()
        return self._result()

    async def _cleanup(self) -> None:
        # In a task of its own, so that cancelling the caller again cannot leave the tree
        # half killed or the cgroup behind: the task finishes regardless.
        task = asyncio.ensure_future(self._finish())
        _background.add(task)
        task.add_done_callback(_background.discard)
        await asyncio.shield(task)

    async def _start(self) -> tuple[subprocess.Popen[bytes], int]:
        launch = self.launch
        read_fd, write_fd = os.pipe()
        gate_read, gate_write = os.pipe()
        try:
            proc = subprocess.Popen(
                [SHELL, "-c", _GATE, "flux-sandbox", *launch.argv],
                stdin=gate_read,
                stdout=write_fd,
                stderr=write_fd,  # one pipe: stdout and stderr interleave as written
                env=launch.env,
                cwd=launch.cwd,
                start_new_session=True,
                pass_fds=launch.pass_fds,
            )
        except OSError as exc:
            os.close(read_fd)
            os.close(gate_write)
            raise SandboxError(f"{launch.backend}: cannot start {launch.argv[0]}: {exc}") from exc
        finally:
            os.close(write_fd)
            os.close(gate_read)
        # The shell waits on its gate while a thread confines it (see `_confiner`). The
        # shell is not reaped before that thread is done: its pid must not be reused by an
        # unrelated process while the thread may still write it into the job's cgroup.
        confined = _confiner().submit(_confine, proc.pid, launch.cgroup, launch.rlimits)
        try:
            await asyncio.wrap_future(confined)
        except BaseException as exc:  # OSError from the thread, or cancelled meanwhile
            os.close(gate_write)  # the shell reads EOF and exits 125 without running anything
            os.close(read_fd)
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            concurrent.futures.wait([confined])  # a few ms at most: one write per hierarchy
            proc.wait()
            if isinstance(exc, OSError):
                raise SandboxError(f"{launch.backend}: cannot confine the job: {exc}") from exc
            raise
        try:
            os.write(gate_write, b"go\n")
        except BrokenPipeError:
            pass  # the shell is gone already; its exit status says why
        finally:
            os.close(gate_write)
        os.set_blocking(read_fd, False)
        return proc, read_fd

    async def _watch(self) -> None:
        limits = self.launch.limits
        cgroup = self.launch.cgroup
        watch_cpu = cgroup is not None and CPU in cgroup.dirs and cgroup.cpu_seconds() is not None
        deadline = self.started + limits.wall_seconds
        waits: list[asyncio.Future[Any]] = [self.exit.future, self.output.stop]
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.timed_out = True
                return
            timeout = min(left, _CPU_CHECK_EVERY) if watch_cpu else left
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if self.exit.future.done() or self.output.stop.done():
                return
            if watch_cpu and cgroup is not None:
                used = cgroup.cpu_seconds()
                if used is not None and used >= limits.cpu_seconds:
                    self.cpu_watch_hit = True
                    return

    async def _finish(self) -> None:
        """Kill what is left, reap, drain the output, collect stats, remove the cgroup."""
        launch = self.launch
        if not self.exit.future.done():
            await self._kill_tree()
        else:
            # The command exited; anything it left running in the background goes too.
            await self._kill_rest()
        try:
            await asyncio.wait_for(asyncio.shield(self.exit.future), _REAP_TIMEOUT)
        except TimeoutError:
            logger.error("%s: process %s did not exit after SIGKILL", launch.backend, self.proc.pid)
        if not self.output.stop.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.output.eof), _DRAIN_TIMEOUT)
        self.output.close()
        if launch.cgroup is not None:
            self.stats = launch.cgroup.stats()
            await launch.cgroup.remove()

    async def _kill_tree(self) -> None:
        self.killed = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        await self._kill_rest()
        if self.launch.on_kill is not None:
            try:
                await self.launch.on_kill()
            except Exception:
                logger.exception("%s: stopping the job failed", self.launch.backend)

    async def _kill_rest(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # its session, when nothing left it
        if self.launch.cgroup is not None:
            await self.launch.cgroup.kill()

    def _result(self) -> SandboxResult:
        launch = self.launch
        status, usage = self.exit.future.result() if self.exit.future.done() else (None, None)
        exit_code: int | None = None
        sig: int | None = None
        if status is not None:
            code = os.waitstatus_to_exitcode(status)
            if code < 0:
                sig = -code
            elif launch.signal_as_exit_status and 128 < code <= 128 + 64:
                sig = code - 128
            else:
                exit_code = code
        stats = self.stats
        cpu = stats.cpu_seconds if stats is not None else None
        if cpu is None and usage is not None and launch.rusage_complete:
            cpu = usage.ru_utime + usage.ru_stime
        # Not ru_maxrss: the child was vforked from the worker and keeps the worker's peak
        # across exec, so only the cgroup's own peak means anything.
        peak = stats.peak_memory_bytes if stats is not None else None
        measured: dict[str, float] = {"wall_seconds": round(time.monotonic() - self.started, 3)}
        if cpu is not None:
            measured["cpu_seconds"] = round(cpu, 3)
        if peak:
            measured["max_memory_bytes"] = float(peak)
        limit = launch.limits.cpu_seconds
        cpu_hit = self.cpu_watch_hit or sig == signal.SIGXCPU
        if not cpu_hit and not self.killed and cpu is not None and cpu >= limit * 0.95:
            # A process that caught SIGXCPU meets SIGKILL at the hard limit; a shell whose
            # child died of SIGXCPU exits 128 + SIGXCPU.
            cpu_hit = sig == signal.SIGKILL or exit_code == 128 + signal.SIGXCPU
        return SandboxResult(
            exit_code=exit_code,
            signal=sig,
            output=self.output.data(),
            timed_out=self.timed_out,
            # A process killed for memory, or a fork refused, fails the job even when its
            # main process exits 0: part of what it was asked to do did not happen.
            oom=stats is not None and stats.oom_kills > 0,
            cpu_exceeded=cpu_hit,
            pids_exceeded=stats is not None and stats.pids_limit_hits > 0,
            output_exceeded=self.output.exceeded,
            usage=measured,
            enforced=dict(launch.enforced),
            backend=launch.backend,
        )


class _Output:
    """Reads the command's one output pipe as bytes arrive, up to the output limit."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, limit: int, callback: OutputCallback | None
    ) -> None:
        self.loop = loop
        self.limit = limit
        self.callback = callback
        self.chunks: list[bytes] = []
        self.size = 0
        self.exceeded = False
        self.fd = -1
        self.eof: asyncio.Future[None] = loop.create_future()
        self.stop: asyncio.Future[object] = loop.create_future()  # set when over the limit

    def attach(self, fd: int) -> None:
        self.fd = fd
        self.loop.add_reader(fd, self._readable)

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, _READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._done()
            return
        room = self.limit - self.size
        if len(data) > room:
            data = data[:room]
            self.exceeded = True
        if data:
            self.chunks.append(data)
            self.size += len(data)
            self._deliver(data)
        if self.exceeded:
            self._done()
            if not self.stop.done():
                self.stop.set_result(None)

    def _deliver(self, data: bytes) -> None:
        if self.callback is None:
            return
        try:
            self.callback(data)
        except Exception:
            # Whoever follows the logs must not be able to break the run; the logs are
            # still complete in the result.
            logger.exception("an output callback failed; live output stops here")
            self.callback = None

    def _done(self) -> None:
        if self.fd >= 0:
            self.loop.remove_reader(self.fd)
        if not self.eof.done():
            self.eof.set_result(None)

    def close(self) -> None:
        if self.fd >= 0:
            self.loop.remove_reader(self.fd)
            os.close(self.fd)
            self.fd = -1

    def data(self) -> bytes:
        return b"".join(self.chunks)


class _ExitWaiter:
    """Reaps the command with wait4(2), for its exit status and resource usage. A pidfd
    tells the event loop when it exited (no thread, no SIGCHLD handler); kernels without
    pidfds get a thread blocked in wait4."""

    def __init__(self, loop: asyncio.AbstractEventLoop, proc: subprocess.Popen[bytes]) -> None:
        self.loop = loop
        self.proc = proc
        self.future: asyncio.Future[tuple[int | None, resource.struct_rusage | None]] = (
            loop.create_future()
        )
        try:
            self.pidfd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):
            self.pidfd = -1
            threading.Thread(target=self._wait_blocking, daemon=True).start()
        else:
            loop.add_reader(self.pidfd, self._poll)

    def _poll(self) -> None:
        try:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status, usage = self.proc.pid, None, None  # reaped elsewhere
        if pid == 0:
            return
        self.loop.remove_reader(self.pidfd)
        os.close(self.pidfd)
        self._exited(status, usage)

    def _wait_blocking(self) -> None:
        try:
            _, status, usage = os.wait4(self.proc.pid, 0)
            result: tuple[int | None, resource.struct_rusage | None] = (status, usage)
        except ChildProcessError:
            result = (None, None)
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits anymore
            self.loop.call_soon_threadsafe(self._exited, *result)

    def _exited(self, status: int | None, usage: resource.struct_rusage | None) -> None:
        # Popen warns about (and later polls) a child whose returncode it never saw.
        self.proc.returncode = os.waitstatus_to_exitcode(status) if status is not None else -1
        if not self.future.done():
            self.future.set_result((status, usage))
