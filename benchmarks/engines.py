"""The engines a benchmark runs: Flux (this working tree) and flux-core from PyPI.

Each engine is a Python interpreter that can ``from flux import task, workflow``; an engine
that cannot be made to work carries the reason instead, and its column says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FLUX = "flux"
FLUX_CORE = "flux-core"
FLUX_CORE_VERSION = "0.87.5"

# Imports everything the workloads use, then reports the distribution's version.
PROBE = """
import json, platform
from flux import ExecutionContext, task, workflow
from flux.tasks import parallel
from importlib import metadata
try:
    version = metadata.version({dist!r})
except metadata.PackageNotFoundError:
    version = "unknown"
print(json.dumps([version, platform.python_version()]))
"""

Log = Callable[[str], None]


@dataclass(frozen=True)
class Engine:
    name: str
    python: str
    version: str = ""
    python_version: str = ""
    unavailable: str = ""
    pythonpath: str = ""

    def describe(self) -> str:
        if self.unavailable:
            return f"{self.name}: not available ({self.unavailable})"
        return f"{self.name} {self.version} (Python {self.python_version})"

    def environment(self) -> dict[str, str]:
        # FLUX_* settings or a PYTHONPATH from the caller's shell would point both
        # engines at the same database or the same code; each run starts clean.
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("FLUX_") and key != "PYTHONPATH"
        }
        if self.pythonpath:
            env["PYTHONPATH"] = self.pythonpath
        return env


class ProbeFailed(Exception):
    pass


def probe(engine: Engine, dist: str) -> tuple[str, str]:
    """Return (engine version, Python version), or raise ProbeFailed with the import error."""
    with tempfile.TemporaryDirectory(prefix="flux-bench-probe-") as workdir:
        try:
            done = subprocess.run(
                [engine.python, "-c", PROBE.format(dist=dist)],
                cwd=workdir,
                env=engine.environment(),
                capture_output=True,
                text=True,
                timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ProbeFailed(str(exc)) from None
    if done.returncode != 0:
        raise ProbeFailed(last_line(done.stderr) or f"exit code {done.returncode}")
    version, python_version = json.loads(last_line(done.stdout))
    return version, python_version


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def flux_engine(repo: Path) -> Engine:
    """Flux as it is in this working tree, whether or not it is pip-installed."""
    engine = Engine(FLUX, sys.executable, pythonpath=str(repo))
    try:
        version, python_version = probe(engine, "flux-orchestrator")
    except ProbeFailed as exc:
        return Engine(FLUX, sys.executable, unavailable=str(exc))
    version = f"{version} @ {git_commit(repo)}"
    return Engine(FLUX, sys.executable, version, python_version, pythonpath=str(repo))


def git_commit(repo: Path) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown commit"
    return done.stdout.strip() or "unknown commit"


def flux_core_engine(venv: Path, log: Log) -> Engine:
    """flux-core from PyPI in its own venv, created and installed on first use."""
    engine = Engine(FLUX_CORE, str(venv / "bin" / "python"))
    try:
        version, python_version = probe(engine, FLUX_CORE)
        if version == FLUX_CORE_VERSION:
            return Engine(FLUX_CORE, engine.python, version, python_version)
    except ProbeFailed:
        pass
    try:
        install_flux_core(venv, log)
        version, python_version = probe(engine, FLUX_CORE)
    except ProbeFailed as exc:
        return Engine(FLUX_CORE, engine.python, unavailable=str(exc))
    return Engine(FLUX_CORE, engine.python, version, python_version)


def install_flux_core(venv: Path, log: Log) -> None:
    if not (venv / "bin" / "python").exists():
        base = find_python312()
        log(f"creating {venv} with {base}")
        run_step([base, "-m", "venv", str(venv)], "creating the venv", timeout=300)
    log(f"installing flux-core=={FLUX_CORE_VERSION} into {venv} (first run only)")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    run_step([*pip, f"flux-core=={FLUX_CORE_VERSION}"], "pip install", timeout=900)


def run_step(command: list[str], what: str, timeout: float) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProbeFailed(f"{what} failed: {exc}") from None
    if done.returncode != 0:
        raise ProbeFailed(f"{what} failed: {last_line(done.stderr) or done.returncode}")


def find_python312() -> str:
    """An interpreter new enough for flux-core (it requires Python >= 3.12)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [
        *sorted((str(p) for p in pyenv.glob("3.12*/bin/python")), reverse=True),
        shutil.which("python3.12"),
        *sorted((str(p) for p in pyenv.glob("3.13*/bin/python")), reverse=True),
        shutil.which("python3.13"),
    ]
    for candidate in filter(None, candidates):
        if is_python312_or_newer(candidate):
            return candidate
    raise ProbeFailed("no Python >= 3.12 found (tried pyenv versions and PATH)")


def is_python312_or_newer(python: str) -> bool:
    check = "import sys; sys.exit(sys.version_info < (3, 12))"
    try:
        return (
            subprocess.run([python, "-c", check], capture_output=True, timeout=30).returncode == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
