"""A job's dependencies, installed once per (runtime, package list) and shared read-only.

Layout under the cache root (`jobs.deps_cache`, default `<home>/cache/deps`):

    python-3.11/<sha256>/            pip install --target: the directory goes on PYTHONPATH
    node-20/<sha256>/node_modules/   npm install --prefix: node_modules goes on NODE_PATH
    <family>-<series>/<sha256>.lock  held (flock) while that entry installs
    .pip-cache/, .npm-cache/         the package managers' download caches, shared

The hash covers the family, the series and the sorted package list, so the same set asked
for in any order is one entry. The series is Python's minor version (the ABI of compiled
extensions) and Node's major version (the ABI of native addons), so 3.11.2 and 3.11.7 share
an entry. An entry appears by atomic rename once complete, with a `manifest.json`: a
directory that exists is a finished install, and checking for it is the whole cost of a
warm start (a stat and a utime).

A miss installs once: concurrent requests of this process wait on an asyncio lock per
entry, other processes on the machine on the entry's flock. The installer runs in the same
sandbox backend as jobs, with the network on and nothing writable but its target directory
and the download cache. The download cache is shared between installs (that is its point),
so an install's build scripts could leave files there that a later install reads: run
dependency installs only for users who may run jobs on this worker anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from weakref import WeakKeyDictionary

from flux.errors import FluxError
from flux.jobs.runtimes import Runtime, trust_env
from flux.jobs.sandbox.base import Sandbox, SandboxSpec
from flux.jobs.spec import LIMIT_REASONS, Limits

MANIFEST = "manifest.json"
LAST_USED = ".flux-last-used"
_TAIL_CHARS = 3000
_LOCK_POLL = 0.05
_STALE_TEMP = timedelta(days=1)  # a temp dir this old belongs to an install that died
# Installer settings a worker's environment may hold, passed to installs (never to jobs):
# proxies and package index mirrors; plus the machine's certificates (`trust_env`).
_PASSED_ENV = frozenset(
    {
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "all_proxy",
        "pip_index_url",
        "pip_extra_index_url",
        "pip_trusted_host",
        "pip_default_timeout",
        "npm_config_registry",
        "pip_cert",
        "npm_config_cafile",
    }
)


class DependencyInstallError(FluxError):
    """Installing a job's dependencies failed; `log_tail` is the end of the installer's
    output (what npm or pip said)."""

    def __init__(self, message: str, log_tail: str = ""):
        self.log_tail = log_tail
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class DepsMount:
    """An installed dependency set: mount `path` read-only, add `env`."""

    path: Path
    env: dict[str, str]

    @property
    def read_only(self) -> tuple[Path, ...]:
        return (self.path,)


@dataclass(frozen=True, slots=True)
class CacheEntry:
    path: Path
    runtime: str
    packages: tuple[str, ...]
    installed_at: str
    last_used: datetime
    size_bytes: int


def default_install_limits(timeout: float = 600.0, memory_bytes: int = 2 << 30) -> Limits:
    return Limits(
        memory_bytes=memory_bytes,
        cpu_seconds=timeout,
        wall_seconds=timeout,
        max_processes=512,
        max_output_bytes=8 << 20,
        network=True,
    )


class DependencyCache:
    def __init__(
        self,
        root: Path,
        sandbox: Sandbox,
        *,
        install_limits: Limits | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self.sandbox = sandbox
        self.install_limits = install_limits or default_install_limits()
        source = os.environ if environ is None else environ
        self.passed_env = {k: v for k, v in source.items() if k.lower() in _PASSED_ENV}
        self.passed_env.update(trust_env(source))
        self.installs = 0  # installs this object ran (not cache hits)
        self._locks: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
            WeakKeyDictionary()
        )

    def path_for(self, runtime: Runtime, packages: Sequence[str]) -> Path:
        wanted = sorted(set(packages))
        text = json.dumps([runtime.family, runtime.series, wanted], separators=(",", ":"))
        digest = hashlib.sha256(text.encode()).hexdigest()
        return self.root / f"{runtime.family}-{runtime.series}" / digest

    async def ensure(self, runtime: Runtime, packages: Sequence[str]) -> DepsMount | None:
        """The mount for `packages`, installing them first when no worker here has yet.
        None when there are no packages. Raises DependencyInstallError."""
        if not packages:
            return None
        entry = self.path_for(runtime, packages)
        if not (entry / MANIFEST).exists():
            async with self._lock(entry.name):
                if not (entry / MANIFEST).exists():
                    await self._install_once(runtime, sorted(set(packages)), entry)
        with contextlib.suppress(OSError):
            os.utime(entry / LAST_USED)
        return self._mount(runtime, entry)

    def _lock(self, name: str) -> asyncio.Lock:
        # Per event loop: an asyncio.Lock belongs to the loop that first waits on it, and a
        # process may run jobs from more than one loop (local runs, tests).
        locks = self._locks.setdefault(asyncio.get_running_loop(), {})
        return locks.setdefault(name, asyncio.Lock())

    def _mount(self, runtime: Runtime, entry: Path) -> DepsMount:
        if runtime.family == "node":
            return DepsMount(entry, {"NODE_PATH": str(entry / "node_modules")})
        return DepsMount(entry, {"PYTHONPATH": str(entry)})

    async def _install_once(self, runtime: Runtime, packages: list[str], entry: Path) -> None:
        """Install under the entry's file lock, unless another process did meanwhile."""
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(entry.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    # Polled rather than blocking in a thread, so that a cancelled job
                    # stops waiting at once.
                    await asyncio.sleep(_LOCK_POLL)
            if not (entry / MANIFEST).exists():
                await self._install(runtime, packages, entry)
        finally:
            os.close(fd)  # releases the flock

    async def _install(self, runtime: Runtime, packages: list[str], entry: Path) -> None:
        temp = entry.parent / f".tmp-{entry.name[:16]}-{secrets.token_hex(4)}"
        temp.mkdir(mode=0o755)
        try:
            argv, cache = self._installer(runtime, packages, temp)
            cache.mkdir(parents=True, exist_ok=True)
            env = {
                **self.passed_env,
                "PATH": f"{runtime.bin_dir}:/usr/local/bin:/usr/bin:/bin",
                "HOME": "/tmp",
                "LANG": "C.UTF-8",
            }
            spec = SandboxSpec(
                argv=argv,
                env=env,
                job_dir=temp,
                read_only=runtime.mounts,
                limits=self.install_limits,
                writable=(cache,),
                image=runtime.image,
            )
            self.installs += 1
            result = await self.sandbox.run(spec)
            log = result.output.decode("utf-8", "replace").replace("\x00", "")
            tail = _tail(log)
            if result.exit_code != 0 or result.limit is not None:
                if result.limit is not None:
                    why = LIMIT_REASONS[result.limit]
                elif result.exit_code is not None:
                    why = f"exit code {result.exit_code}"
                else:
                    why = f"signal {result.signal}"
                tool = Path(argv[0]).name if runtime.family == "node" else "pip"
                raise DependencyInstallError(
                    f"{tool} could not install {' '.join(packages)} ({why}): {tail}", tail
                )
            manifest = {
                "runtime": runtime.label,
                "family": runtime.family,
                "series": runtime.series,
                "packages": packages,
                "installed_at": datetime.now(UTC).isoformat(),
                "install_seconds": result.usage.get("wall_seconds"),
                "log_tail": tail,
            }
            (temp / LAST_USED).touch()
            (temp / MANIFEST).write_text(json.dumps(manifest, indent=2))
            if entry.exists():  # without a manifest: an unfinished entry of an older Flux
                shutil.rmtree(entry)
            os.rename(temp, entry)  # atomic: the entry is complete or absent
        finally:
            if temp.exists():
                shutil.rmtree(temp, ignore_errors=True)

    def _installer(
        self, runtime: Runtime, packages: list[str], target: Path
    ) -> tuple[list[str], Path]:
        """The install command and the download cache it writes to."""
        if runtime.family == "node":
            if runtime.npm is None:
                raise DependencyInstallError(f"npm is not installed beside {runtime.executable}")
            cache = self.root / ".npm-cache"
            argv = [
                str(runtime.npm),
                "install",
                "--no-audit",
                "--no-fund",
                "--no-package-lock",
                "--no-save",
                "--no-update-notifier",
                "--cache",
                str(cache),
                "--prefix",
                str(target),
                *packages,
            ]
            return argv, cache
        if runtime.family == "python":
            cache = self.root / ".pip-cache"
            argv = [
                str(runtime.executable),
                "-m",
                "pip",
                "install",
                "--target",
                str(target),
                "--no-input",
                "--disable-pip-version-check",
                "--no-warn-script-location",
                "--progress-bar",
                "off",
                "--cache-dir",
                str(cache),
                *packages,
            ]
            return argv, cache
        raise DependencyInstallError(f"{runtime.family} jobs cannot have dependencies")

    def list_entries(self) -> list[CacheEntry]:
        """Installed entries, least recently used first."""
        entries = []
        for group in _children(self.root):
            for entry in _children(group):
                found = _read_entry(entry)
                if found is not None:
                    entries.append(found)
        return sorted(entries, key=lambda e: e.last_used)

    def prune(self, older_than: timedelta | None = None) -> list[CacheEntry]:
        """Delete entries not used for `older_than` (all when None), and what installs that
        died left behind. An entry being installed right now is skipped. A job that has an
        entry mounted while it is pruned loses its files: prune while no job runs, or
        with an age longer than a job lasts."""
        now = datetime.now(UTC)
        removed = []
        for entry in self.list_entries():
            if older_than is not None and now - entry.last_used < older_than:
                continue
            if self._remove_unlocked(entry.path):
                removed.append(entry)
        for group in _children(self.root):
            for temp in group.glob(".tmp-*"):
                with contextlib.suppress(OSError):
                    age = time.time() - temp.stat().st_mtime
                    if age > _STALE_TEMP.total_seconds():
                        shutil.rmtree(temp, ignore_errors=True)
        return removed

    def _remove_unlocked(self, entry: Path) -> bool:
        fd = os.open(entry.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            trash = entry.parent / f".trash-{entry.name[:16]}-{secrets.token_hex(4)}"
            try:
                os.rename(entry, trash)  # gone for `ensure` at once, deleted after
            except OSError:
                return False
            shutil.rmtree(trash, ignore_errors=True)
            return True  # the lock file stays: unlinking it could let two installers race
        finally:
            os.close(fd)


def _children(directory: Path) -> list[Path]:
    try:
        return [p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return []


def _read_entry(entry: Path) -> CacheEntry | None:
    try:
        manifest = json.loads((entry / MANIFEST).read_text())
        used = (entry / LAST_USED).stat().st_mtime
    except (OSError, ValueError):
        return None
    size = 0
    for directory, _, files in os.walk(entry):
        for name in files:
            with contextlib.suppress(OSError):
                size += os.lstat(os.path.join(directory, name)).st_size
    return CacheEntry(
        path=entry,
        runtime=str(manifest.get("runtime", "")),
        packages=tuple(manifest.get("packages", ())),
        installed_at=str(manifest.get("installed_at", "")),
        last_used=datetime.fromtimestamp(used, UTC),
        size_bytes=size,
    )


def _tail(log: str) -> str:
    text = log.strip()
    if len(text) <= _TAIL_CHARS:
        return text
    return "..." + text[-_TAIL_CHARS:].split("\n", 1)[-1]
