"""The interpreters this worker can run jobs with, found once per process.

Python: `python3.N` on PATH, every `$PYENV_ROOT/versions/X.Y.Z/bin/python3.N` (pyenv's
default root is ~/.pyenv), and `jobs.python_paths`. Node: `node` on PATH and nvm's versions.
Bash: `bash` on PATH. Each is resolved to its real executable: a shim (pyenv, nodenv, asdf,
under a `shims` directory) picks its interpreter from the current directory and environment,
which a job does not share, so shims are skipped, never run.

Versions come from directory names where the layout says them (pyenv, nvm), else from one
`--version` per executable, all in parallel: discovery costs one slow start-up (node's,
~40 ms) rather than the sum. When two interpreters have the same Python minor version, the
earlier source wins: `jobs.python_paths`, then PATH, then pyenv.

A request maps to an interpreter like this (`resolve`): `python:3.9` takes 3.9, or when the
worker has none the oldest newer 3.x; `node:18` takes Node 18, or the oldest newer Node; a
version newer than any here is refused with the list of what is here. Plain `python` is the
`python3` on PATH, plain `node` and `bash` the ones on PATH.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from flux.jobs.spec import FAMILIES, JobSpecError, RuntimeRequest

logger = logging.getLogger(__name__)

_PYTHON_NAME = re.compile(r"^python3\.\d+$")
_RELEASE_DIR = re.compile(r"^v?(\d+\.\d+\.\d+)$")  # pyenv `3.9.18`, nvm `v20.11.0`
_VERSION_TEXT = re.compile(r"(\d+\.\d+(?:\.\d+)?)")
_SYSTEM = Path("/usr")  # always mounted by the sandboxes: nothing to add for what is in it
# Where this machine keeps the certificates TLS clients should trust. Behind a TLS-inspecting
# proxy the bundle includes its CA, and Node (which ships its own list) or `requests`
# (certifi) reach nothing over HTTPS without being told.
TRUST_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE")
_VISIBLE = (Path("/etc/ssl"), Path("/etc/pki"), _SYSTEM)  # what the sandboxes mount of them


@dataclass(frozen=True, slots=True)
class Runtime:
    family: str  # python, node, bash
    version: str  # the full version: 3.9.18, 20.11.0, 5.2.15
    executable: Path  # the real interpreter (no shim, no symlink)
    mounts: tuple[Path, ...] = ()  # host directories a sandbox must show read-only
    image: str | None = None  # container image with this runtime (docker sandbox)
    npm: Path | None = None  # the npm that goes with this node

    @property
    def label(self) -> str:
        return f"{self.family} {self.version}"

    @property
    def series(self) -> str:
        """What a request names: `3.9` for Python and Bash, `20` for Node."""
        parts = self.version.split(".")
        return parts[0] if self.family == "node" else ".".join(parts[:2])

    @property
    def bin_dir(self) -> Path:
        return self.executable.parent

    @property
    def key(self) -> tuple[int, ...]:
        return _numbers(self.version)


class Runtimes:
    """What this worker has, per family, and the mapping from requests to interpreters."""

    def __init__(self, found: Iterable[Runtime], defaults: Mapping[str, Runtime] | None = None):
        self.by_family: dict[str, list[Runtime]] = {family: [] for family in FAMILIES}
        for runtime in found:
            self.by_family.setdefault(runtime.family, []).append(runtime)
        for runtimes in self.by_family.values():
            runtimes.sort(key=lambda r: r.key)
        self.defaults = dict(defaults or {})

    @classmethod
    def discover(
        cls,
        python_paths: Sequence[str] = (),
        docker_images: Mapping[str, str] | None = None,
        *,
        path: str | None = None,
        home: Path | None = None,
        pyenv_root: str | None = None,
        nvm_dir: str | None = None,
    ) -> Runtimes:
        """Look for interpreters (see the module's docstring); the keyword arguments stand
        for the environment, for tests."""
        home = home or Path.home()
        dirs = _path_dirs(os.environ.get("PATH", "") if path is None else path)
        pyenv = Path(pyenv_root or os.environ.get("PYENV_ROOT") or home / ".pyenv")
        nvm = Path(nvm_dir or os.environ.get("NVM_DIR") or home / ".nvm")
        candidates, default_exes = _candidates(python_paths, dirs, pyenv, nvm)
        with ThreadPoolExecutor(max_workers=8) as pool:
            versions = list(pool.map(_version_of, candidates))
        slots: dict[tuple[str, str], Runtime] = {}
        slot_of: dict[Path, tuple[str, str]] = {}
        for (family, exe, known), version in zip(candidates, versions, strict=True):
            version = known or version
            if version is None or (family == "python" and not version.startswith("3.")):
                continue
            runtime = _runtime(family, exe, version, docker_images or {})
            slot = (family, runtime.series if family == "python" else runtime.version)
            slots.setdefault(slot, runtime)  # the first source wins (see the docstring)
            slot_of[exe] = slot
        defaults = {f: slots[slot_of[e]] for f, e in default_exes.items() if e in slot_of}
        return cls(slots.values(), defaults)

    def resolve(self, request: RuntimeRequest) -> Runtime:
        """The interpreter for `request`, or JobSpecError naming what this worker has."""
        have = self.by_family.get(request.family) or []
        if have and request.version is None:
            return self.defaults.get(request.family) or have[-1]
        if have and request.version is not None:
            wanted = _numbers(request.version)
            if request.family == "python" and len(wanted) == 1:
                default = self.defaults.get("python")
                if default is not None and default.key[:1] == wanted:
                    return default
            # Python's minor versions differ in language: only newer 3.x stand in for 3.x.
            same_line = [r for r in have if request.family != "python" or r.key[:1] == wanted[:1]]
            exact = [r for r in same_line if r.key[: len(wanted)] == wanted]
            if exact:
                return exact[-1]
            newer = [r for r in same_line if r.key[: len(wanted)] > wanted]
            if newer:
                return newer[0]
        raise JobSpecError(
            f"runtime {request} is not available on this worker; available: {self.summary()}"
        )

    def summary(self) -> str:
        """`python 3.6, 3.7, ..., node 20, bash 5.2`."""
        parts = []
        for family, runtimes in self.by_family.items():
            if runtimes:
                series = list(dict.fromkeys(r.series for r in runtimes))
                parts.append(f"{family} {', '.join(series)}")
        return ", ".join(parts) or "none"

    def report(self) -> dict[str, list[str]]:
        """Family -> full versions, oldest first, for the worker's registration."""
        return {f: [r.version for r in rs] for f, rs in self.by_family.items() if rs}

    def all(self) -> list[Runtime]:
        return [r for runtimes in self.by_family.values() for r in runtimes]


def trust_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The worker's certificate settings (`TRUST_ENV`) whose files a sandbox shows."""
    source = os.environ if environ is None else environ
    values = tuple(source.get(key) for key in TRUST_ENV)
    # Every job asks, and the answer only changes with these values: the path checks
    # below cost ~0.1 ms each time.
    found = _trusted.get(values)
    if found is None:
        found = {}
        for key, value in zip(TRUST_ENV, values, strict=True):
            if value and any(Path(value).is_relative_to(v) for v in _VISIBLE):
                found[key] = value
        if len(_trusted) >= 16:
            _trusted.clear()
        _trusted[values] = found
    return dict(found)


_trusted: dict[tuple[str | None, ...], dict[str, str]] = {}


_discovered: dict[tuple[object, ...], Runtimes] = {}


def local_runtimes(
    python_paths: Sequence[str] = (), docker_images: Mapping[str, str] | None = None
) -> Runtimes:
    """This process's runtimes, discovered on first use (settings `jobs.python_paths` and
    `jobs.docker_images`)."""
    key = (tuple(python_paths), tuple(sorted((docker_images or {}).items())))
    if key not in _discovered:
        _discovered[key] = Runtimes.discover(python_paths, docker_images)
    return _discovered[key]


# (family, real executable, version when the layout says it)
_Candidate = tuple[str, Path, str | None]


def _candidates(
    python_paths: Sequence[str], dirs: list[Path], pyenv: Path, nvm: Path
) -> tuple[list[_Candidate], dict[str, Path]]:
    """Interpreters to probe, in order of preference, and each family's PATH default."""
    found: dict[Path, _Candidate] = {}
    defaults: dict[str, Path] = {}

    def add(family: str, exe: Path | None, version: str | None = None) -> Path | None:
        real = _real(exe) if exe is not None else None
        if real is not None and real not in found:
            found[real] = (family, real, version)
        return real

    for text in python_paths:
        add("python", Path(text).expanduser())
    for family, name in (("python", "python3"), ("node", "node"), ("bash", "bash")):
        real = add(family, _which(name, dirs))
        if real is not None:
            defaults[family] = real
    for exe in (e for directory in dirs for e in _pythons_in(directory)):
        add("python", exe)
    for version, prefix in _releases(pyenv / "versions"):
        for exe in _pythons_in(prefix / "bin"):
            add("python", exe, version)
    for version, prefix in _releases(nvm / "versions" / "node"):
        add("node", prefix / "bin" / "node", version)
    return list(found.values()), defaults


def _pythons_in(directory: Path) -> list[Path]:
    return [exe for exe in _listdir(directory) if _PYTHON_NAME.match(exe.name)]


def _releases(directory: Path) -> list[tuple[str, Path]]:
    """(version, prefix) of the `3.9.18` / `v20.11.0` directories of a version manager;
    other names (virtualenvs, `system`, `3.12-dev`) are not releases and are skipped."""
    found = []
    for prefix in _listdir(directory):
        release = _RELEASE_DIR.match(prefix.name)
        if release:
            found.append((release.group(1), prefix))
    return found


def _runtime(family: str, exe: Path, version: str, images: Mapping[str, str]) -> Runtime:
    runtime = Runtime(family, version, exe, mounts=_prefix(exe))
    template = images.get(family)
    image = template.replace("{version}", runtime.series) if template else None
    npm = None
    if family == "node":
        beside = exe.parent / "npm"
        npm = beside if beside.exists() else (Path(p) if (p := shutil.which("npm")) else None)
    return replace(runtime, image=image, npm=npm)


def _prefix(exe: Path) -> tuple[Path, ...]:
    """The installation directory to mount with an interpreter outside /usr: `<prefix>` of
    `<prefix>/bin/python3.9`, holding its standard library and shared libraries."""
    if exe.is_relative_to(_SYSTEM):
        return ()
    root = exe.parent.parent if exe.parent.name == "bin" else exe.parent
    return (root,)


def _version_of(candidate: _Candidate) -> str | None:
    family, exe, known = candidate
    if known:
        return known
    try:
        done = subprocess.run(
            [str(exe), "--version"], capture_output=True, timeout=5, check=False, env=_probe_env()
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.info("skipping %s runtime %s: %s", family, exe, exc)
        return None
    text = (done.stdout or done.stderr).decode(errors="replace")
    match = _VERSION_TEXT.search(text)
    if done.returncode != 0 or match is None:
        logger.info("skipping %s runtime %s: `--version` said %r", family, exe, text[:200])
        return None
    return match.group(1)


def _probe_env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "LANG": "C"}


def _path_dirs(path: str) -> list[Path]:
    return [Path(p) for p in path.split(os.pathsep) if p and "shims" not in Path(p).parts]


def _which(name: str, dirs: list[Path]) -> Path | None:
    for directory in dirs:
        exe = directory / name
        if os.access(exe, os.X_OK) and exe.is_file():
            return exe
    return None


def _real(exe: Path) -> Path | None:
    try:
        real = exe.resolve(strict=True)
    except OSError:
        return None
    if "shims" in real.parts or not real.is_file() or not os.access(real, os.X_OK):
        return None
    return real


def _listdir(directory: Path) -> list[Path]:
    try:
        return sorted(directory.iterdir())
    except OSError:
        return []


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())
