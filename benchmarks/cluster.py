"""One engine's server and workers as real processes on loopback, in a fresh directory.

Each process is started with ``flux start server`` / ``flux start worker`` in a session of
its own, so stopping it (or SIGKILLing it in P7) takes every process it started with it, and
nothing else. ``running_cluster`` stops everything it started, whatever happens.

The two engines differ in a few places, kept in ``Flavor``: flux-core 0.87.5 puts workflows
in namespaces (``/workflows/default/<name>/...``), names its listing fields differently,
and refuses anonymous POSTs unless ``FLUX_SECURITY__AUTH__ALLOW_ANONYMOUS`` is set.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.engines import FLUX, FLUX_CORE, Engine, last_line
from benchmarks.harness import WorkloadFailed
from benchmarks.http_json import HttpError, HttpJson
from benchmarks.report import ERROR, TIMEOUT, UNAVAILABLE

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
# A stopped process gets this long to exit on SIGTERM before its group is SIGKILLed.
STOP_GRACE_S = 3.0
POLL_S = 0.05


@dataclass(frozen=True)
class Flavor:
    """Where one engine's server CLI and HTTP API differ from the other's."""

    cli: list[str]
    server_flags: list[str]
    workflow_prefix: str
    count_param: str
    count_field: str
    connected: Callable[[HttpJson], int]
    env: dict[str, str] = field(default_factory=dict)

    def workflow_path(self, name: str) -> str:
        return f"/workflows{self.workflow_prefix}/{name}"

    def run_path(self, name: str, mode: str) -> str:
        return f"{self.workflow_path(name)}/run/{mode}"

    def status_path(self, name: str, execution_id: str) -> str:
        return f"{self.workflow_path(name)}/status/{execution_id}"

    def count(self, client: HttpJson, workflow: str, state: str) -> int:
        """How many executions of ``workflow`` are in ``state`` (one small listing query)."""
        params = {self.count_param: workflow, "state": state, "limit": 1}
        return int(client.get("/executions", **params).expect(200).json()[self.count_field])


def flux_connected(client: HttpJson) -> int:
    return int(client.get("/ready").expect(200).json()["workers"])


def flux_core_connected(client: HttpJson) -> int:
    workers = client.get("/workers").expect(200).json()
    return sum(1 for worker in workers if worker.get("status") == "online")


def flavor_for(engine: Engine) -> Flavor:
    if engine.name == FLUX:
        return Flavor(
            cli=[engine.python, "-m", "flux.cli.main"],
            # The embedded worker is left out so that every run has the workers the
            # benchmark starts itself, the same as with flux-core.
            server_flags=["--no-worker"],
            workflow_prefix="",
            count_param="workflow",
            count_field="count",
            connected=flux_connected,
        )
    if engine.name == FLUX_CORE:
        return Flavor(
            cli=[str(Path(engine.python).with_name("flux"))],
            server_flags=[],
            workflow_prefix="/default",
            count_param="workflow_name",
            count_field="total",
            connected=flux_core_connected,
            env={"FLUX_SECURITY__AUTH__ALLOW_ANONYMOUS": "true"},
        )
    raise ValueError(f"no server flavor for engine {engine.name}")


def free_port() -> int:
    # The port is free when this returns; the server binds it a moment later.
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def exited(proc: subprocess.Popen[bytes]) -> bool:
    """Whether ``proc`` has exited, without reaping it: until it is reaped its pid, which is
    also its process group's id, cannot be given to an unrelated process."""
    if proc.returncode is not None:
        return True
    flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
    return os.waitid(os.P_PID, proc.pid, flags) is not None


def cli_missing(engine: Engine, flavor: Flavor) -> str:
    """Why ``flux start server`` cannot be used, or "" when it can."""
    command = [*flavor.cli, "start", "server", "--help"]
    try:
        done = subprocess.run(
            command, env=engine.environment(), capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"flux start server --help: {exc}"
    if done.returncode != 0:
        return "flux start server: " + (last_line(done.stderr + done.stdout) or "fails")
    return ""


class Cluster:
    """A server and its workers, each a process group, all in ``workdir``."""

    def __init__(
        self, engine: Engine, flavor: Flavor, workdir: Path, env: dict[str, str] | None = None
    ) -> None:
        self.engine = engine
        self.flavor = flavor
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._token = secrets.token_urlsafe(24)
        self._extra_env = dict(env or {})
        self._client = HttpJson(self.url)

    @property
    def client(self) -> HttpJson:
        """The main thread's connection; other threads make their own with ``new_client``."""
        return self._client

    def new_client(self) -> HttpJson:
        return HttpJson(self.url)

    def _environment(self, label: str) -> dict[str, str]:
        env = self.engine.environment()
        env.update(self.flavor.env)
        env.update(self._extra_env)
        env["FLUX_WORKERS__BOOTSTRAP_TOKEN"] = self._token
        env["PYTHONUNBUFFERED"] = "1"  # a crash's last log line is in the file
        # Workflow code reads this to say which worker it runs on (see workloads/server.py).
        env["BENCH_WORKER"] = label
        return env

    def _spawn(self, label: str, args: list[str]) -> None:
        log_path = self.workdir / f"{label}.log"
        with log_path.open("wb") as log:
            try:
                self.processes[label] = subprocess.Popen(
                    [*self.flavor.cli, "start", *args],
                    cwd=self.workdir,
                    env=self._environment(label),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                raise WorkloadFailed(ERROR, f"cannot start {label}: {exc.strerror}") from None

    def log_tail(self, label: str) -> str:
        try:
            return last_line((self.workdir / f"{label}.log").read_text(errors="replace"))
        except OSError:
            return ""

    def start_server(self, embedded_worker: bool = False) -> None:
        """Start the server; ``embedded_worker`` keeps Flux's own worker (a child process of
        the server, in its process group) instead of leaving it out."""
        flags = self.flavor.server_flags
        if embedded_worker:
            flags = [flag for flag in flags if flag != "--no-worker"]
        args = ["server", "--host", HOST, "--port", str(self.port), *flags]
        self._spawn("server", args)
        self._wait("server", "to answer", lambda: self.client.get("/workflows").status == 200)

    def start_worker(self, label: str) -> None:
        self._spawn(label, ["worker", label, "--server-url", self.url])

    def wait_workers(self, count: int) -> None:
        """Until the server reports exactly ``count`` connected workers. Exactly: after a
        kill, a count that still included the dead worker would pass too early."""
        workers = [label for label in self.processes if label != "server"]
        # Only the server's embedded worker: its lines are in the server's log.
        label = workers[-1] if workers else "server"
        self._wait(label, f"{count} connected worker(s)", lambda: self.connected() == count)

    def connected(self) -> int:
        return self.flavor.connected(self.client)

    def _wait(self, label: str, what: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if exited(proc):
                    detail = self.log_tail(name) or "no output"
                    raise WorkloadFailed(ERROR, f"{name} exited: {detail}")
            with suppress(HttpError):
                if ready():
                    return
            time.sleep(POLL_S)
        detail = self.log_tail(label)
        suffix = f"; last log line of {label}: {detail}" if detail else ""
        raise WorkloadFailed(TIMEOUT, f"{START_TIMEOUT_S:g} s waiting for {what}{suffix}")

    def upload(self, path: Path) -> Any:
        reply = self.client.upload("/workflows", path.name, path.read_bytes())
        try:
            return reply.expect(200, 201).json()
        except HttpError as exc:
            raise WorkloadFailed(ERROR, f"upload of {path.name}: {exc}") from None

    def kill(self, label: str) -> None:
        """SIGKILL the process group of ``label``: the worker and anything it started."""
        proc = self.processes.pop(label)
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop(self) -> None:
        """Stop every process group, workers first; SIGKILL whatever outlives the grace,
        then any process still naming the directory (a job's sandbox)."""
        self._client.close()
        labels = sorted(self.processes, key=lambda label: label == "server")
        for label in labels:
            with suppress(ProcessLookupError):
                os.killpg(self.processes[label].pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < deadline and not all(map(exited, self.processes.values())):
            time.sleep(POLL_S)
        # Also when the leader exited: a child it left in its group is still there. The
        # leader is reaped only after this, so its pid (the group id) cannot be reused.
        for label in labels:
            with suppress(ProcessLookupError):
                os.killpg(self.processes[label].pid, signal.SIGKILL)
            self.processes.pop(label).wait()
        for pid in stray_processes(self.workdir):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def stray_processes(workdir: Path) -> list[int]:
    """Processes whose command line names ``workdir``, e.g. a script job's sandbox: bwrap
    runs each job in a session of its own, out of reach of its worker's process group."""
    marker = str(workdir).encode()
    found = []
    with suppress(OSError):
        for entry in Path("/proc").iterdir():
            with suppress(OSError):
                if entry.name.isdigit() and marker in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


@contextmanager
def running_cluster(
    engine: Engine,
    workload: Path | None = None,
    *,
    embedded_worker: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    """A started server with ``workload`` uploaded, when given; no workers yet unless
    ``embedded_worker`` (Flux's own, started by the server). ``env`` is added to every
    process's environment. Stopped on exit."""
    flavor = flavor_for(engine)
    missing = cli_missing(engine, flavor)
    if missing:
        raise WorkloadFailed(UNAVAILABLE, missing)
    with tempfile.TemporaryDirectory(prefix="flux-bench-server-") as workdir:
        # Both engines keep their database in ./.flux; flux-core does not create it itself.
        (Path(workdir) / ".flux").mkdir()
        cluster = Cluster(engine, flavor, Path(workdir), env)
        try:
            cluster.start_server(embedded_worker)
            if workload is not None:
                cluster.upload(workload)
            yield cluster
        finally:
            cluster.stop()
