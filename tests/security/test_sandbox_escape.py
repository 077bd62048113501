"""Jobs that try to get out, submitted through the real API of a `flux start server` whose
embedded worker runs them in the default sandbox (bubblewrap).

A probe script tries to read the server's database, its flux.toml, the encryption key file,
the server's directory and another job's directory (the other job is running at the same
time), looks for the worker's tokens and the encryption key in its own environment and in
every /proc/<pid>/environ it can see, and connects to the server's port with the network
off. The report it writes as its output must show each refused or absent.

The process backend (`jobs.sandbox = "process"`) isolates nothing, and says so in every
attempt's record; the last test checks that it does.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import FluxServer, start_server, stop_server

pytestmark = pytest.mark.slow

BOOTSTRAP = "escape-bootstrap-token-3f9a1c"
ENCRYPTION_KEY = "escape-encryption-key-0d2b7e5a9c"
TOML_MARKER = "toml-marker-6e1f"
KEY_FILE_MARKER = "key-file-marker-a4c2"
OTHER_JOB_MARKER = "other-job-marker-91d0"
SERVER_ENV = {
    "FLUX_WORKERS__BOOTSTRAP_TOKEN": BOOTSTRAP,
    "FLUX_SECURITY__ENCRYPTION_KEY": ENCRYPTION_KEY,
    "FLUX_JOBS__TIMEOUT": "120",
}
# The only variables a job gets that are not the job's own: where its files are.
JOB_VARIABLES = {"FLUX_OUTPUT", "FLUX_PAYLOAD_FILE", "FLUX_JOB_DIR"}

PROBE = r"""
import glob, json, os, socket

p = json.loads(os.environ["PAYLOAD"])

def read(path):
    try:
        with open(path, "rb") as f:
            return "READ " + f.read(300).decode("latin-1")
    except OSError as exc:
        return "refused " + type(exc).__name__

def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return "refused " + type(exc).__name__

report = {name: read(path) for name, path in p["files"].items()}
report["server_dir"] = listing(p["server_dir"])
report["flux_home"] = listing(p["flux_home"])
report["jobs_root"] = listing(os.path.dirname(os.getcwd()))
report["own_dir"] = os.path.basename(os.getcwd())
report["env"] = dict(os.environ)
report["proc_environ"] = {
    path: read(path)[:100000] for path in glob.glob("/proc/[0-9]*/environ")
}
try:
    socket.create_connection(("127.0.0.1", p["port"]), timeout=3).close()
    report["network"] = "connected"
except OSError as exc:
    report["network"] = "refused " + str(exc)
with open(os.environ["FLUX_OUTPUT"], "w") as out:
    json.dump(report, out)
"""

HOLDER = r"""
import os, time
with open("mine.txt", "w") as f:
    f.write(MARKER)
print("dir=" + os.getcwd(), flush=True)
time.sleep(60)
"""


@pytest.fixture(scope="module", autouse=True)
def _bubblewrap() -> None:
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: apt-get install -y bubblewrap")


def _start(tmp: Path, **env: str) -> FluxServer:
    (tmp / "flux.toml").write_text(f'[flux]\nlog_level = "INFO"\n# {TOML_MARKER}\n')
    server = start_server(tmp, **SERVER_ENV, **env)
    # A key file beside the database, as a server without a configured key has one.
    (tmp / ".flux" / "encryption.key").write_text(KEY_FILE_MARKER)
    _wait_for_worker(server.url)
    return server


def _wait_for_worker(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(w["status"] == "connected" for w in httpx.get(f"{url}/workers").json()):
            return
        time.sleep(0.1)
    raise AssertionError("the embedded worker did not connect")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FluxServer]:
    running = _start(tmp_path_factory.mktemp("escape"))
    try:
        yield running
    finally:
        stop_server(running)


def submit(api: httpx.Client, script: str, payload: dict[str, Any]) -> str:
    data = {"runtime": "python", "payload": json.dumps(payload)}
    response = api.post(
        "/jobs/submit", data=data, files={"script": ("probe.py", script.encode(), "text/plain")}
    )
    assert response.status_code == 201, response.text
    job_id: str = response.json()["jobId"]
    return job_id


def wait(api: httpx.Client, job_id: str, until: Any, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = api.get(f"/jobs/{job_id}").json()["job"]
        if until(job):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def _finished(job: dict[str, Any]) -> bool:
    return job["state"] in ("COMPLETED", "FAILED", "CANCELLED")


def probe_payload(server: FluxServer, other_job_dir: str) -> dict[str, Any]:
    home = server.cwd / ".flux"
    return {
        "files": {
            "database": str(home / "flux.db"),
            "config": str(server.cwd / "flux.toml"),
            "key_file": str(home / "encryption.key"),
            "server_log": str(server.cwd / "server.log"),
            "other_job_file": f"{other_job_dir}/mine.txt",
            "worker_environ": "/proc/1/environ",
        },
        "server_dir": str(server.cwd),
        "flux_home": str(home),
        "port": urlsplit(server.url).port,
    }


def run_probe_beside_another_job(server: FluxServer) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the probe's finished job, its report), run while another job holds a directory."""
    with httpx.Client(base_url=server.url, timeout=30) as api:
        holder = submit(api, f"MARKER = {OTHER_JOB_MARKER!r}\n{HOLDER}", {})
        held = wait(api, holder, lambda j: "dir=" in (j["logs"] or "") or _finished(j))
        assert held["state"] == "RUNNING", held
        other_dir = held["logs"].split("dir=", 1)[1].split()[0]
        probe = submit(api, PROBE, probe_payload(server, other_dir))
        job = wait(api, probe, _finished)
        api.post(f"/jobs/{holder}/cancel")
        assert job["state"] == "COMPLETED", job
        return job, job["output"]


@pytest.fixture(scope="module")
def bwrap_probe(server: FluxServer) -> tuple[dict[str, Any], dict[str, Any]]:
    return run_probe_beside_another_job(server)


def test_the_probe_ran_in_bubblewrap(bwrap_probe: tuple[dict[str, Any], dict[str, Any]]) -> None:
    job, _ = bwrap_probe
    attempt = job["attempts"][-1]
    assert attempt["sandbox"] == "bwrap"
    assert attempt["enforced"]["filesystem"] == "bwrap"


def test_server_files_are_not_there(bwrap_probe: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, report = bwrap_probe
    for name in ("database", "config", "key_file", "server_log"):
        assert report[name].startswith("refused FileNotFoundError"), (name, report[name])
    # The directories on the way to the job's own exist only as empty mount points.
    assert report["server_dir"] == [".flux"]
    assert report["flux_home"] == ["worker"]


def test_other_jobs_directories_are_not_there(
    bwrap_probe: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, report = bwrap_probe
    assert report["other_job_file"].startswith("refused FileNotFoundError")
    assert report["jobs_root"] == [report["own_dir"]]


def test_no_token_or_key_in_the_environment_or_proc(
    bwrap_probe: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, report = bwrap_probe
    env: dict[str, str] = report["env"]
    flux_variables = {key for key in env if key.startswith("FLUX_")}
    assert flux_variables == JOB_VARIABLES
    assert not [key for key in env if "TOKEN" in key.upper() or "KEY" in key.upper()]
    seen = json.dumps(env) + json.dumps(report["proc_environ"]) + report["worker_environ"]
    for value in (BOOTSTRAP, ENCRYPTION_KEY, "FLUX_WORKERS__", "FLUX_SECURITY__"):
        assert value not in seen
    # The job's PID namespace holds only the job: the worker's processes are not there.
    assert report["proc_environ"], "the probe saw no process at all"
    assert len(report["proc_environ"]) <= 3


def test_no_network_when_off(
    bwrap_probe: tuple[dict[str, Any], dict[str, Any]], server: FluxServer
) -> None:
    job, report = bwrap_probe
    assert report["network"].startswith("refused"), report["network"]
    assert job["attempts"][-1]["enforced"]["network"] == "namespace"
    # The server itself is right there on the host's loopback.
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_the_process_backend_says_it_isolates_nothing(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server = _start(tmp_path_factory.mktemp("unisolated"), FLUX_JOBS__SANDBOX="process")
    try:
        job, report = run_probe_beside_another_job(server)
    finally:
        stop_server(server)
    attempt = job["attempts"][-1]
    assert attempt["sandbox"] == "process"
    assert attempt["enforced"]["filesystem"] == "not isolated"
    # What "not isolated" means: the job reads what the worker's user can read.
    assert report["config"].startswith("READ") and TOML_MARKER in report["config"]
    # Its own environment is still built from nothing.
    assert {key for key in report["env"] if key.startswith("FLUX_")} == JOB_VARIABLES


def test_uploaded_code_runs_only_in_the_worker(server: FluxServer, tmp_path: Path) -> None:
    """The server parses an uploaded file and never imports it: code at module level runs
    only when a worker loads the workflow to run it, in the worker's process."""
    marker = tmp_path / "imported-by"
    source = (
        "import os\n"
        "from flux import ExecutionContext, workflow\n"
        f"open({str(marker)!r}, 'a').write(str(os.getpid()) + '\\n')\n\n"
        "@workflow\n"
        "async def side_effect(ctx: ExecutionContext):\n"
        "    return os.getpid()\n"
    )
    with httpx.Client(base_url=server.url, timeout=60) as api:
        uploaded = api.post("/workflows", files={"file": ("side.py", source.encode())})
        assert uploaded.status_code == 200, uploaded.text
        assert api.get("/workflows/side_effect").status_code == 200
        assert not marker.exists(), "the server imported the uploaded file"
        run = api.post("/workflows/side_effect/run/sync", json=None).json()
    assert run["state"] == "COMPLETED", run
    pids = {int(line) for line in marker.read_text().split()}
    assert run["output"] in pids
    assert server.process.pid not in pids


TAMPER_WORKFLOW = b"""from flux import ExecutionContext, task, workflow
from flux.tasks import pause

@task
async def secret_plan(label: str) -> dict:
    return {"plan": label * 3}

@workflow
async def tamper_target(ctx: ExecutionContext[str]):
    value = await secret_plan(ctx.input)
    answer = await pause("confirm")
    return {**value, "answer": answer}
"""


def test_a_tampered_stored_pickle_is_refused_by_server_and_worker(server: FluxServer) -> None:
    """Someone with write access to the database flips one byte of a recorded task output:
    the API shows the value as failing its signature check (it is not unpickled), and the
    worker that resumes the run fails it instead of replaying the forged value."""
    with httpx.Client(base_url=server.url, timeout=60) as api:
        assert api.post("/workflows", files={"file": ("t.py", TAMPER_WORKFLOW)}).status_code == 200
        paused = api.post("/workflows/tamper_target/run/sync", json="abc").json()
        assert paused["state"] == "PAUSED", paused
        execution_id = paused["execution_id"]
        with sqlite3.connect(server.cwd / ".flux" / "flux.db", timeout=30) as db:
            seq, value = db.execute(
                "SELECT seq, value FROM events WHERE execution_id = ? AND type = 'TASK_COMPLETED'",
                (execution_id,),
            ).fetchone()
            forged = bytes(value[:-1]) + bytes([value[-1] ^ 1])
            db.execute(
                "UPDATE events SET value = ? WHERE execution_id = ? AND seq = ?",
                (forged, execution_id, seq),
            )
        db.close()
        shown = api.get(f"/executions/{execution_id}", params={"detailed": True})
        assert shown.status_code == 200, shown.text
        assert "failed its signature check" in shown.text
        assert "abcabcabc" not in shown.text
        resumed = api.post(f"/workflows/tamper_target/resume/{execution_id}/sync", json="go").json()
    assert resumed["state"] == "FAILED", resumed
    assert "abcabcabc" not in json.dumps(resumed)
