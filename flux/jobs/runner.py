"""Run one attempt of a script job: runtime, dependencies, files, sandbox, result.

`ScriptRunner.run` never raises for what the script or the machine did (a missing runtime, a
failed install, a non-zero exit, a broken limit, output that is not JSON): each ends as an
`AttemptResult` whose `reason` says it, because the attempt's record is what users read.
Only cancellation propagates, after the script's process tree is gone.
"""

from __future__ import annotations

import asyncio
import codecs
import concurrent.futures
import contextlib
import json
import logging
import os
import shutil
import signal
import stat
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from flux.config import FluxSettings
from flux.jobs.deps import (
    DependencyCache,
    DependencyInstallError,
    DepsMount,
    default_install_limits,
)
from flux.jobs.limits import default_limits
from flux.jobs.runtimes import Runtime, Runtimes, local_runtimes
from flux.jobs.sandbox import Sandbox, SandboxError, SandboxResult, SandboxSpec, choose_sandbox
from flux.jobs.script import PreparedAttempt, prepare_attempt
from flux.jobs.spec import (
    LIMIT_REASONS,
    AttemptResult,
    JobSpecError,
    Limits,
    ScriptSpec,
    parse_runtime,
)

logger = logging.getLogger(__name__)

TextCallback = Callable[[str], None]
_T = TypeVar("_T")
_STALE_JOB_DIR = timedelta(days=1)  # left by a worker that died mid-attempt


class ScriptRunner:
    def __init__(
        self, sandbox: Sandbox, runtimes: Runtimes, deps: DependencyCache, work_root: Path
    ) -> None:
        self.sandbox = sandbox
        self.runtimes = runtimes
        self.deps = deps
        self.work_root = Path(os.path.abspath(work_root))
        _remove_stale_job_dirs(self.work_root)

    async def run(self, spec: ScriptSpec, on_output: TextCallback | None = None) -> AttemptResult:
        """Run `spec` once. `on_output` gets the script's output as text while it runs."""
        started = _now()
        try:
            runtime = self.runtimes.resolve(parse_runtime(spec.runtime))
        except JobSpecError as exc:
            return self._failed(started, f"runtime unavailable: {exc}")
        try:
            deps = await self.deps.ensure(runtime, spec.dependencies)
            prepared = await _prepare(spec, runtime, deps, self.work_root)
        except DependencyInstallError as exc:
            return self._failed(
                started, f"dependency install failed: {exc.log_tail or exc}", runtime
            )
        except JobSpecError as exc:
            return self._failed(started, str(exc), runtime)
        try:
            return await self._run_prepared(spec, runtime, prepared, started, on_output)
        finally:
            # Shielded: removal goes on (and the caller still waits for it) when cancelled.
            await asyncio.shield(_off_loop(prepared.remove))

    async def _run_prepared(
        self,
        spec: ScriptSpec,
        runtime: Runtime,
        prepared: PreparedAttempt,
        started: str,
        on_output: TextCallback | None,
    ) -> AttemptResult:
        notes = "".join(f"{note}\n" for note in prepared.notes)
        live = _LiveText(on_output) if on_output is not None else None
        if live is not None and notes:
            live.emit(notes)
        sandbox_spec = SandboxSpec(
            argv=prepared.argv,
            env=prepared.env,
            job_dir=prepared.job_dir,
            read_only=prepared.read_only,
            limits=spec.limits,
            image=runtime.image,
        )
        try:
            result = await self.sandbox.run(sandbox_spec, live.feed if live is not None else None)
        except SandboxError as exc:
            return self._failed(started, f"sandbox failed: {exc}", runtime)
        if live is not None:
            live.flush()
        output, problem = read_output(prepared.output_file, spec.limits.max_output_bytes)
        limit, reason = _reason(result, spec.limits, problem)
        return AttemptResult(
            exit_code=result.exit_code,
            started_at=started,
            finished_at=_now(),
            logs=notes + _text(result.output),
            output=output,
            signal=result.signal,
            limit=limit,
            reason=reason,
            sandbox=result.backend or self.sandbox.name,
            enforced=result.enforced,
            usage=result.usage,
            runtime=runtime.label,
        )

    def _failed(self, started: str, reason: str, runtime: Runtime | None = None) -> AttemptResult:
        return AttemptResult(
            exit_code=None,
            started_at=started,
            finished_at=_now(),
            logs=reason + "\n",
            reason=reason,
            sandbox=self.sandbox.name,
            runtime=runtime.label if runtime is not None else "",
        )


def _reason(
    result: SandboxResult, limits: Limits, output_problem: str | None
) -> tuple[str | None, str | None]:
    """(limit, reason) of an attempt: (None, None) when it succeeded."""
    limit = result.limit
    if limit is not None:
        return limit, f"{LIMIT_REASONS[limit]} (limit {_limit_value(limit, limits)})"
    if result.signal is not None:
        return None, f"killed by signal {_signal_name(result.signal)}"
    if result.exit_code != 0:
        return None, f"exit code {result.exit_code}"
    if output_problem is not None:
        too_large = output_problem.startswith(LIMIT_REASONS["output"])
        return ("output" if too_large else None), output_problem
    return None, None


def read_output(path: Path, max_bytes: int) -> tuple[Any, str | None]:
    """(the JSON the script wrote to output.json, or None; what is wrong with it, or None).

    Opened without following links and only if it is a plain file: the script controls
    this path, and the worker reads it outside the sandbox, so a link to a host file (or a
    FIFO that never ends) must not become the job's output."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"output.json cannot be read: {exc.strerror or exc}"
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None, "output.json is not a regular file"
        if info.st_size > max_bytes:
            return None, (
                f"{LIMIT_REASONS['output']}: output.json has {info.st_size} bytes "
                f"(limit {_size(max_bytes)})"
            )
        data = file.read(max_bytes + 1)
    if not data.strip():
        return None, None
    try:
        return json.loads(data.decode("utf-8")), None
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"output.json is not valid JSON: {exc}"


class _LiveText:
    """Bytes to text for live output: a UTF-8 character split across two reads is decoded
    when its second half arrives, not replaced."""

    def __init__(self, callback: TextCallback) -> None:
        self.callback = callback
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, data: bytes) -> None:
        self.emit(self.decoder.decode(data))

    def flush(self) -> None:
        self.emit(self.decoder.decode(b"", final=True))

    def emit(self, text: str) -> None:
        text = text.replace("\x00", "")
        if text:
            self.callback(text)


def _text(data: bytes) -> str:
    # NUL bytes are dropped: PostgreSQL text cannot hold them, and they are never meant.
    return data.decode("utf-8", "replace").replace("\x00", "")


def _limit_value(limit: str, limits: Limits) -> str:
    if limit == "memory":
        return _size(limits.memory_bytes)
    if limit == "output":
        return _size(limits.max_output_bytes)
    if limit == "processes":
        return str(limits.max_processes)
    seconds = limits.cpu_seconds if limit == "cpu_time" else limits.wall_seconds
    return f"{seconds:g} s"


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.4g} {unit}"
    return f"{n} bytes"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _now() -> str:
    return datetime.now(UTC).isoformat()


# Making and removing a job's directory and files is a few system calls, but on ext4 they
# can block for a millisecond or more (inode allocation skips recently freed inodes, and a
# burst of jobs frees hundreds per second): done on the worker's event loop, that time was
# taken from every other run. Two threads of their own do it instead.
_file_threads: list[concurrent.futures.ThreadPoolExecutor] = []


def _off_loop(fn: Callable[..., _T], *args: Any) -> asyncio.Future[_T]:
    if not _file_threads:
        _file_threads.append(
            concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="flux-files")
        )
    return asyncio.get_running_loop().run_in_executor(_file_threads[0], fn, *args)


async def _prepare(
    spec: ScriptSpec, runtime: Runtime, deps: DepsMount | None, work_root: Path
) -> PreparedAttempt:
    """`prepare_attempt` off the event loop; what it made is removed if the caller is
    cancelled meanwhile."""
    made = _off_loop(prepare_attempt, spec, runtime, deps, work_root)
    try:
        return await asyncio.shield(made)
    except asyncio.CancelledError:
        made.add_done_callback(_remove_made)
        raise


def _remove_made(made: asyncio.Future[PreparedAttempt]) -> None:
    if not made.cancelled() and made.exception() is None:
        _off_loop(made.result().remove)


def _remove_stale_job_dirs(work_root: Path) -> None:
    cutoff = time.time() - _STALE_JOB_DIR.total_seconds()
    with contextlib.suppress(OSError):
        for entry in work_root.iterdir():
            if entry.name.startswith("job-") and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)


def limits_from_settings(settings: FluxSettings) -> Limits:
    """A job's limits when it asks for nothing: the `jobs.*` settings."""
    return default_limits(settings.jobs)


def deps_cache_root(settings: FluxSettings) -> Path:
    """Where dependencies are installed: `jobs.deps_cache`, or `<home>/cache/deps`."""
    if settings.jobs.deps_cache:
        return Path(os.path.abspath(os.path.expanduser(settings.jobs.deps_cache)))
    return Path(os.path.abspath(os.path.expanduser(settings.home))) / "cache" / "deps"


_runners: dict[tuple[object, ...], ScriptRunner] = {}


def default_runner(settings: FluxSettings) -> ScriptRunner:
    """This process's runner for `settings`, built on first use: the sandbox chosen by
    `jobs.sandbox`, the runtimes found here, the dependency cache under `jobs.deps_cache` (or
    `<home>/cache/deps`), job directories under `<home>/worker/jobs`."""
    jobs = settings.jobs
    home = Path(os.path.abspath(os.path.expanduser(settings.home)))
    key = (
        str(home),
        jobs.sandbox,
        jobs.deps_cache,
        tuple(jobs.python_paths),
        tuple(sorted(jobs.docker_images.items())),
        jobs.install_timeout,
        jobs.memory,
    )
    runner = _runners.get(key)
    if runner is None:
        sandbox = choose_sandbox(jobs)
        memory = max(default_limits(jobs).memory_bytes, 2 << 30)
        deps = DependencyCache(
            deps_cache_root(settings),
            sandbox,
            install_limits=default_install_limits(jobs.install_timeout, memory),
        )
        runtimes = local_runtimes(jobs.python_paths, jobs.docker_images)
        runner = _runners[key] = ScriptRunner(sandbox, runtimes, deps, home / "worker/jobs")
    return runner
