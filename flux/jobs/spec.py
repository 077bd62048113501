"""Pure values of script jobs: runtime names, dependency lists, limits, attempt results.

The server validates a submission with these functions before storing anything, and the
worker reads the same values back, so both sides agree on what a job asked for.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

FAMILIES = ("python", "node", "bash")
_ALIASES = {"python3": "python", "py": "python", "nodejs": "node", "js": "node", "sh": "bash"}
_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
# Names a registry knows: npm (`@scope/name@1.2`) and PyPI (PEP 508 names with an optional
# version specifier or extras). No URLs, paths or options: an entry starting with `-` would
# be read as an installer flag, `file:` / `git+` / `/` would install from elsewhere.
_NPM = re.compile(r"^(@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*(@[A-Za-z0-9.^~<>=*| -]+)?$")
_PYPI = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?\s*((===?|[<>!~]=?)\s*[A-Za-z0-9.*+!-]+"
    r"(\s*,\s*(===?|[<>!~]=?)\s*[A-Za-z0-9.*+!-]+)*)?$"
)
_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
DEFAULT_FILENAMES = {"python": "script.py", "node": "script.js", "bash": "script.sh"}
# Names Flux itself uses in a job's directory (flux.jobs.script).
RESERVED_FILENAMES = frozenset(
    {"payload.json", "output.json", "node_modules", "__flux_runner__.cjs", "__flux_module__.mjs"}
)
MAX_DEPENDENCIES = 64


class JobSpecError(ValueError):
    """A job submission that cannot run as given; the message says what to change."""


@dataclass(frozen=True, slots=True)
class RuntimeRequest:
    """`node:18` -> family "node", version "18"; `bash` -> family "bash", version None."""

    family: str
    version: str | None = None

    def __str__(self) -> str:
        return f"{self.family}:{self.version}" if self.version else self.family


def parse_runtime(text: str) -> RuntimeRequest:
    raw = (text or "").strip().lower()
    name, _, version = raw.partition(":")
    family = _ALIASES.get(name, name)
    if family not in FAMILIES:
        known = ", ".join(["python", "python:3.x", "node", "node:18", "bash"])
        raise JobSpecError(f"unknown runtime '{text}': use one of {known}")
    if version in ("", "latest"):
        return RuntimeRequest(family)
    if not _VERSION.match(version):
        raise JobSpecError(f"runtime '{text}': version '{version}' is not a version number")
    return RuntimeRequest(family, version)


def check_dependencies(family: str, dependencies: Any) -> tuple[str, ...]:
    """The dependency list, sorted and deduplicated, or JobSpecError saying which entry is bad."""
    if dependencies is None:
        return ()
    if not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies):
        raise JobSpecError('dependencies must be a JSON array of package names, e.g. ["axios"]')
    if len(dependencies) > MAX_DEPENDENCIES:
        raise JobSpecError(f"at most {MAX_DEPENDENCIES} dependencies per job")
    cleaned = sorted({d.strip() for d in dependencies if d.strip()})
    if cleaned and family == "bash":
        raise JobSpecError("bash jobs cannot have dependencies (there is no package manager)")
    pattern = _NPM if family == "node" else _PYPI
    for name in cleaned:
        if not pattern.match(name):
            registry = "npm" if family == "node" else "PyPI"
            raise JobSpecError(f"dependency '{name}' is not a {registry} package name")
    return tuple(cleaned)


def check_filename(filename: str | None, family: str) -> str:
    """The script's file name as the job sees it; no directories, no traversal."""
    if not filename:
        return DEFAULT_FILENAMES[family]
    if "/" in filename or "\\" in filename or "\x00" in filename or not _FILENAME.match(filename):
        raise JobSpecError(
            f"script file name '{filename[:100]}' is not allowed: use letters, digits, '.', "
            "'_' and '-' only, without directories"
        )
    if filename in RESERVED_FILENAMES:
        raise JobSpecError(f"script file name '{filename}' is reserved by Flux: choose another")
    return filename


@dataclass(frozen=True, slots=True)
class Limits:
    """What one attempt may use. `network` False means no network at all."""

    memory_bytes: int = 1024 * 1024 * 1024
    cpu_seconds: float = 600.0
    wall_seconds: float = 600.0
    max_processes: int = 256
    max_output_bytes: int = 10 * 1024 * 1024
    network: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Limits:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True, slots=True)
class ScriptSpec:
    """One script to run: what the job stored as its input (see `to_json`)."""

    runtime: str
    source: str
    filename: str
    payload: Any = None
    dependencies: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    env: dict[str, str] = field(default_factory=dict)
    # Names of secrets passed as environment variables of the same name; the values are
    # fetched by whoever runs the script, when it runs, and are never part of the spec.
    secrets: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = {
            "runtime": self.runtime,
            "source": self.source,
            "filename": self.filename,
            "payload": self.payload,
            "dependencies": list(self.dependencies),
            "limits": self.limits.to_json(),
            "env": dict(self.env),
        }
        if self.secrets:
            data["secrets"] = list(self.secrets)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScriptSpec:
        return cls(
            runtime=data["runtime"],
            source=data["source"],
            filename=data["filename"],
            payload=data.get("payload"),
            dependencies=tuple(data.get("dependencies") or ()),
            limits=Limits.from_json(data.get("limits") or {}),
            env=dict(data.get("env") or {}),
            secrets=tuple(data.get("secrets") or ()),
        )


# Why an attempt ended, when it did not exit 0. `limit` names the limit it broke.
LIMIT_REASONS = {
    "memory": "out of memory",
    "wall_time": "timed out",
    "cpu_time": "cpu time limit exceeded",
    "processes": "too many processes",
    "output": "output too large",
}


@dataclass(slots=True)
class AttemptResult:
    """What one run of a script did. Stored as a plain dict (`to_json`) in the event log, so
    the server shows it without importing anything."""

    exit_code: int | None
    started_at: str  # ISO-8601 UTC
    finished_at: str
    logs: str = ""
    output: Any = None
    signal: int | None = None
    limit: str | None = None  # a key of LIMIT_REASONS when a limit killed the script
    reason: str | None = None  # None when the script succeeded
    sandbox: str = ""  # backend that ran it: bwrap, process, docker
    enforced: dict[str, str] = field(default_factory=dict)  # limit -> how it was enforced
    usage: dict[str, float] = field(default_factory=dict)  # cpu_seconds, max_memory_bytes...
    runtime: str = ""  # what actually ran, e.g. "python 3.9.18"

    @property
    def ok(self) -> bool:
        return self.reason is None and self.exit_code == 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AttemptResult:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
