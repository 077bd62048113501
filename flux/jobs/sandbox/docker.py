"""The Docker sandbox: one container per attempt, when a Docker daemon answers.

The container runs the runtime's image (`jobs.docker_images`, passed in `SandboxSpec.image`)
with the job directory and the dependency directories mounted at their host paths, so argv
and env need no translation; argv[0] is looked up by its base name in the image
(`/root/.pyenv/versions/3.12.1/bin/python3.12` -> `python3.12`). Limits are Docker's own:
`--memory` with the same `--memory-swap` (no swap), `--pids-limit`, `--ulimit cpu`, and
`--network none` unless the job asked for the network. The root filesystem is read-only,
`/tmp` a tmpfs, capabilities dropped, and the command runs as 65534.

The container is not started with `--rm`: after it ends, `docker inspect` says whether the
kernel killed it for memory, then it is removed. Killing the `docker run` client does not
stop a container, so a timeout or a cancellation runs `docker kill`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import shutil
import subprocess
from pathlib import Path

from flux.jobs.sandbox.base import OutputCallback, SandboxResult, SandboxSpec
from flux.jobs.sandbox.supervisor import MAX_FILE_BYTES, Launch, supervise

logger = logging.getLogger(__name__)

CONTAINER_USER = 65534
_PROBE_TIMEOUT = 2.0  # `docker info` against a missing daemon must not delay worker start
_checked: dict[str, tuple[str | None, str]] = {}  # executable -> (why not, server version)


class DockerSandbox:
    name = "docker"
    isolated = True

    def __init__(self, executable: str | None = None) -> None:
        self.executable = executable or shutil.which("docker") or "docker"

    def unavailable(self) -> str | None:
        """Why Docker cannot run jobs here (no client, no daemon), or None. Asks the daemon
        once per process, for at most two seconds."""
        if self.executable not in _checked:
            _checked[self.executable] = _probe(self.executable)
        return _checked[self.executable][0]

    def available(self) -> bool:
        return self.unavailable() is None

    def describe(self) -> str:
        version = _checked.get(self.executable, (None, ""))[1]
        return f"docker {version}".strip()

    def command(self, spec: SandboxSpec, container: str) -> list[str]:
        """The `docker run` command for `spec` (shown in tests: no daemon runs there)."""
        if not spec.image:
            raise ValueError("the docker sandbox needs SandboxSpec.image")
        limits = spec.limits
        cpu = max(1, math.ceil(limits.cpu_seconds))
        job_dir = os.path.abspath(spec.job_dir)
        argv = [
            self.executable,
            "run",
            "--name",
            container,
            "--init",  # reaps zombies and forwards signals inside the container
            "--network",
            "bridge" if limits.network else "none",
            "--memory",
            str(limits.memory_bytes),
            "--memory-swap",
            str(limits.memory_bytes),
            "--pids-limit",
            str(limits.max_processes),
            "--ulimit",
            f"cpu={cpu}:{cpu + 2}",
            "--ulimit",
            "core=0",
            "--ulimit",
            f"fsize={MAX_FILE_BYTES}",
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges",
            "--read-only",
            "--tmpfs",
            "/tmp",
            "--user",
            f"{CONTAINER_USER}:{CONTAINER_USER}",
            "--volume",
            f"{job_dir}:{job_dir}",
            "--workdir",
            job_dir,
        ]
        for path in spec.read_only:
            argv += ["--volume", f"{os.path.abspath(path)}:{os.path.abspath(path)}:ro"]
        for path in spec.writable:
            argv += ["--volume", f"{os.path.abspath(path)}:{os.path.abspath(path)}"]
        for key, value in spec.env.items():
            argv += ["--env", f"{key}={value}"]
        return [*argv, spec.image, os.path.basename(spec.argv[0]), *spec.argv[1:]]

    async def run(
        self, spec: SandboxSpec, on_output: OutputCallback | None = None
    ) -> SandboxResult:
        container = f"flux-job-{secrets.token_hex(6)}"
        if os.geteuid() == 0:
            # The container's user must be able to write where the job writes.
            for path in (spec.job_dir, *spec.writable):
                _chown_tree(Path(path), CONTAINER_USER)

        async def stop() -> None:
            await _docker(self.executable, "kill", container)

        launch = Launch(
            argv=self.command(spec, container),
            env=_client_env(),
            limits=spec.limits,
            backend=self.name,
            enforced={
                "memory": "docker (cgroup)",
                "processes": "docker --pids-limit",
                "cpu_time": "docker --ulimit cpu (per process)",
                "wall_time": "timer",
                "output": "reader",
                "network": "docker (bridge, asked for)" if spec.limits.network else "docker",
                "filesystem": "docker",
            },
            signal_as_exit_status=True,
            on_kill=stop,
        )
        try:
            result = await supervise(launch, on_output)
            state = await _docker(
                self.executable, "inspect", "--format", "{{.State.OOMKilled}}", container
            )
            result.oom = result.exit_code != 0 and state.strip() == "true"
            return result
        finally:
            await asyncio.shield(_docker(self.executable, "rm", "--force", container))


def _client_env() -> dict[str, str]:
    """What the docker client needs to find its daemon; the job's env goes in `--env`."""
    return {k: v for k, v in os.environ.items() if k in ("PATH", "HOME") or k.startswith("DOCKER_")}


def _probe(executable: str) -> tuple[str | None, str]:
    if shutil.which(executable) is None:
        return f"{executable} is not installed", ""
    try:
        done = subprocess.run(
            [executable, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=_PROBE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"the Docker daemon did not answer within {_PROBE_TIMEOUT:g} s", ""
    except OSError as exc:
        return f"{executable} does not run: {exc}", ""
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        return f"no Docker daemon: {message[-1] if message else done.returncode}", ""
    return None, done.stdout.decode(errors="replace").strip()


async def _docker(executable: str, *args: str) -> str:
    """Run a short docker command; its stdout, or "" when it failed."""
    try:
        proc = await asyncio.create_subprocess_exec(
            executable,
            *args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        logger.warning("docker %s failed: %s", args[0], exc)
        return ""
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
    except TimeoutError:
        logger.warning("docker %s did not answer within 30 s", args[0])
        proc.kill()
        await proc.wait()
        return ""
    return out.decode(errors="replace")


def _chown_tree(root: Path, uid: int) -> None:
    with contextlib.suppress(OSError):
        os.chown(root, uid, uid)
        for directory, dirs, files in os.walk(root):
            for name in (*dirs, *files):
                os.lchown(os.path.join(directory, name), uid, uid)
