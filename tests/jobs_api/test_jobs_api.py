"""`/jobs` end to end against a real server and its embedded worker (bubblewrap sandbox)."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from .conftest import LoopbackService, submit, wait_job

pytestmark = pytest.mark.slow


def test_python_output_file_and_job_view(api: httpx.Client) -> None:
    script = (
        "import json, os\n"
        "payload = json.loads(os.environ['PAYLOAD'])\n"
        "print('adding', payload['a'], payload['b'])\n"
        "with open(os.environ['FLUX_OUTPUT'], 'w') as out:\n"
        "    json.dump({'sum': payload['a'] + payload['b']}, out)\n"
    )
    job_id = submit(api, script, "python", payload={"a": 2, "b": 3}, name="adder", type="MATH")
    job = wait_job(api, job_id)
    assert job["state"] == "COMPLETED", job
    assert job["output"] == {"sum": 5}
    assert job["logs"] == "adding 2 3\n"
    assert job["exitCode"] == 0
    assert job["payload"] == {"a": 2, "b": 3}
    assert job["name"] == "adder" and job["type"] == "MATH" and job["runtime"] == "python"
    attempt = job["attempts"][0]
    assert attempt["attempt"] == 1 and attempt["reason"] is None
    assert attempt["enforced"]["network"]  # says how the network was switched off

    # A job is an execution of the engine: it shows in the executions listing too.
    execution = api.get(f"/executions/{job_id}").json()
    assert execution["workflow_name"] == "flux.job" and execution["state"] == "COMPLETED"


def test_node_function_return_value_is_the_output(api: httpx.Client) -> None:
    script = "module.exports = async (p) => { console.error('to stderr'); return p.x * 2; };\n"
    job = wait_job(api, submit(api, script, "node", payload={"x": 21}))
    assert job["state"] == "COMPLETED", job
    assert job["output"] == 42
    assert "to stderr" in job["logs"]


def test_stdout_and_stderr_interleave_in_order(api: httpx.Client) -> None:
    script = "echo one; echo two >&2; echo three\n"
    job = wait_job(api, submit(api, script, "bash"))
    assert job["logs"] == "one\ntwo\nthree\n"


def test_list_jobs_with_count_filters_and_paging(api: httpx.Client) -> None:
    tag = f"list-{time.monotonic_ns()}"
    ids = [submit(api, "echo hi", "bash", name=tag, type="T1") for _ in range(3)]
    ids.append(submit(api, "exit 3", "bash", name=tag, type="T2", maxRetries=0))
    for job_id in ids:
        wait_job(api, job_id)
    page = api.get("/jobs", params={"name": tag, "limit": 2}).json()
    assert page["success"] is True and page["count"] == 4
    assert [j["jobId"] for j in page["jobs"]] == ids[::-1][:2]  # newest first
    second = api.get("/jobs", params={"name": tag, "limit": 2, "offset": 2}).json()
    assert [j["jobId"] for j in second["jobs"]] == ids[::-1][2:]
    failed = api.get("/jobs", params={"name": tag, "state": "FAILED"}).json()
    assert failed["count"] == 1 and failed["jobs"][0]["jobId"] == ids[3]
    typed = api.get("/jobs", params={"name": tag, "type": "T1"}).json()
    assert typed["count"] == 3


def test_retries_until_success(api: httpx.Client, loopback: LoopbackService) -> None:
    counter = f"/count/{time.monotonic_ns()}"
    script = (
        "import sys, urllib.request\n"
        f"n = int(urllib.request.urlopen('{loopback.url}{counter}').read())\n"
        "print('call', n)\n"
        "sys.exit(0 if n >= 3 else 1)\n"
    )
    job = wait_job(api, submit(api, script, "python", maxRetries=5, network=True))
    assert job["state"] == "COMPLETED", job
    attempts = job["attempts"]
    assert [a["state"] for a in attempts] == ["FAILED", "FAILED", "COMPLETED"]
    assert [a["exitCode"] for a in attempts] == [1, 1, 0]
    assert attempts[0]["reason"] == "exit code 1"
    assert attempts[0]["logs"] == "call 1\n" and attempts[2]["logs"] == "call 3\n"
    # Each retry waits longer than the one before (backoff doubles from jobs.retry_delay).
    gaps = [
        datetime.fromisoformat(b["startedAt"]) - datetime.fromisoformat(a["finishedAt"])
        for a, b in itertools.pairwise(attempts)
    ]
    assert gaps[0] >= timedelta(seconds=0.05) and gaps[1] >= timedelta(seconds=0.1)


def test_retries_until_exhausted(api: httpx.Client) -> None:
    job = wait_job(api, submit(api, "echo failing; exit 7", "bash", maxRetries=2))
    assert job["state"] == "FAILED"
    assert len(job["attempts"]) == 3
    assert all(a["exitCode"] == 7 for a in job["attempts"])
    assert job["exitCode"] == 7
    assert job["error"] == "the job failed after 3 attempts: exit code 7"


def test_default_is_three_retries(api: httpx.Client) -> None:
    job = wait_job(api, submit(api, "exit 1", "bash"))
    assert job["maxRetries"] == 3 and len(job["attempts"]) == 4


def test_run_at_starts_the_job_later(api: httpx.Client) -> None:
    run_at = datetime.now(UTC) + timedelta(seconds=2)
    job_id = submit(api, "date +%s.%N", "bash", runAt=run_at.isoformat())
    pending = api.get(f"/jobs/{job_id}").json()["job"]
    assert pending["state"] == "PENDING" and pending["executionState"] == "CREATED"
    assert datetime.fromisoformat(pending["runAt"]) == run_at
    job = wait_job(api, job_id, timeout=30)
    assert job["state"] == "COMPLETED"
    assert datetime.fromisoformat(job["attempts"][0]["startedAt"]) >= run_at
    assert float(job["logs"]) >= run_at.timestamp()


def test_cancel_kills_a_running_job(api: httpx.Client) -> None:
    job_id = submit(api, "echo started; sleep 60; echo never", "bash")
    wait_job(api, job_id, ("RUNNING",))
    began = time.monotonic()
    response = api.post(f"/jobs/{job_id}/cancel")
    assert response.status_code == 200, response.text
    job = wait_job(api, job_id, ("CANCELLED",), timeout=10)
    assert time.monotonic() - began < 5
    assert "never" not in job["logs"]
    again = api.post(f"/jobs/{job_id}/cancel")
    assert again.status_code == 409


def test_cancel_a_delayed_job(api: httpx.Client) -> None:
    run_at = datetime.now(UTC) + timedelta(hours=1)
    job_id = submit(api, "echo hi", "bash", runAt=run_at.isoformat())
    response = api.post(f"/jobs/{job_id}/cancel")
    assert response.status_code == 200
    assert response.json()["job"]["state"] == "CANCELLED"


def test_follow_logs_live(api: httpx.Client) -> None:
    script = "for i in 1 2 3 4 5; do echo line $i; sleep 0.5; done\n"
    job_id = submit(api, script, "bash")
    seen: list[tuple[float, str]] = []
    with api.stream("GET", f"/jobs/{job_id}/logs", params={"follow": "true"}) as stream:
        event = ""
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "log":
                seen.append((time.monotonic(), json.loads(line[6:])["text"]))
            elif line.startswith("data: ") and event == "end":
                end = json.loads(line[6:])
                ended = time.monotonic()
                break
    assert end["state"] == "COMPLETED"
    assert "".join(text for _, text in seen) == "".join(f"line {i}\n" for i in range(1, 6))
    # Live: output arrived in pieces while the job ran, not all at once at its end.
    assert len(seen) >= 2 and ended - seen[0][0] > 1.0


def test_follow_a_finished_job_replays_and_ends(api: httpx.Client) -> None:
    job_id = submit(api, "echo done", "bash")
    wait_job(api, job_id)
    with api.stream("GET", f"/jobs/{job_id}/logs", params={"follow": "true"}) as stream:
        body = "".join(stream.iter_text())
    assert "event: log" in body and "done" in body and "event: end" in body
    plain = api.get(f"/jobs/{job_id}/logs")
    assert plain.text == "done\n"


# Limits and isolation


def test_memory_limit(api: httpx.Client) -> None:
    script = "data = bytearray(10 * 1024 ** 3)\nprint('allocated')\n"
    job = wait_job(api, submit(api, script, "python", memory="128Mi", maxRetries=0))
    assert job["state"] == "FAILED"
    attempt = job["attempts"][0]
    assert attempt["limit"] == "memory" and attempt["reason"].startswith("out of memory")
    assert "allocated" not in job["logs"]


def test_wall_time_limit(api: httpx.Client) -> None:
    job = wait_job(api, submit(api, "while true; do :; done", "bash", timeout=1, maxRetries=0))
    attempt = job["attempts"][0]
    assert attempt["limit"] == "wall_time" and attempt["reason"].startswith("timed out")
    duration = datetime.fromisoformat(attempt["finishedAt"]) - datetime.fromisoformat(
        attempt["startedAt"]
    )
    assert duration < timedelta(seconds=5)


def test_fork_bomb_is_contained_and_the_next_job_runs(api: httpx.Client) -> None:
    bomb = ":(){ :|:& };:\nsleep 1\n"
    job = wait_job(api, submit(api, bomb, "bash", maxProcesses=32, timeout=3, maxRetries=0))
    assert job["state"] == "FAILED"
    assert job["attempts"][0]["limit"] == "processes", job["attempts"][0]
    follower = wait_job(api, submit(api, "echo still fine", "bash"))
    assert follower["state"] == "COMPLETED" and follower["logs"] == "still fine\n"


def test_output_limit(api: httpx.Client) -> None:
    job = wait_job(api, submit(api, "yes 'spam spam spam'", "bash", maxRetries=0, timeout=20))
    attempt = job["attempts"][0]
    assert attempt["limit"] == "output" and attempt["reason"].startswith("output too large")
    assert len(job["logs"].encode()) <= 262144


def test_network_is_off_unless_asked(api: httpx.Client) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    script = (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
        "    print('connected')\n"
        "except OSError as exc:\n"
        "    print('refused:', exc)\n"
    )
    try:
        off = wait_job(api, submit(api, script, "python"))
        assert off["logs"].startswith("refused:"), off["logs"]
        on = wait_job(api, submit(api, script, "python", network=True))
        assert on["logs"] == "connected\n"
    finally:
        for conn in accepted:
            conn.close()
        listener.close()


def test_the_sandbox_hides_the_server_files(api: httpx.Client, jobs_server: object) -> None:
    home = jobs_server.cwd  # type: ignore[attr-defined]
    script = (
        "import os\n"
        f"for path in ['{home}/.flux/flux.db', '{home}/.flux/encryption.key',\n"
        f"             '{home}/server.log', '/root/.bash_history', '/etc/shadow']:\n"
        "    print(path.rsplit('/', 1)[-1], os.path.exists(path))\n"
        f"print(sorted(os.listdir('{home}/.flux')))\n"
        "try:\n"
        "    open('/usr/flux-test', 'w')\n"
        "except OSError as exc:\n"
        "    print('usr', type(exc).__name__)\n"
    )
    job = wait_job(api, submit(api, script, "python"))
    lines = job["logs"].splitlines()
    assert lines[:5] == [
        "flux.db False",
        "encryption.key False",
        "server.log False",
        ".bash_history False",
        "shadow False",
    ]
    assert lines[5] == "['worker']"  # only the way to its own job directory
    assert lines[6] in ("usr OSError", "usr PermissionError")


# Bad input: a clear 4xx and nothing stored


def _count(api: httpx.Client) -> int:
    count: int = api.get("/jobs").json()["count"]
    return count


@pytest.mark.parametrize(
    ("fields", "script", "status", "message"),
    [
        ({"runtime": "bash"}, None, 400, "missing the 'script' file"),
        ({"runtime": "ruby"}, b"puts 1", 400, "unknown runtime 'ruby'"),
        ({}, b"echo", 400, "'runtime' is required"),
        ({"runtime": "python:3.99"}, b"print(1)", 400, "not available on any worker"),
        ({"runtime": "bash", "payload": "{not json"}, b"echo", 400, "'payload' is not valid JSON"),
        ({"runtime": "node", "dependencies": "axios"}, b"1", 400, "'dependencies' is not valid"),
        ({"runtime": "node", "dependencies": '["--evil"]'}, b"1", 400, "not a npm package"),
        ({"runtime": "bash", "runAt": "tomorrow"}, b"echo", 400, "'runAt' is not an ISO-8601"),
        ({"runtime": "bash", "runAt": "2001-01-01T00:00:00Z"}, b"echo", 400, "in the past"),
        ({"runtime": "bash", "maxRetries": "-1"}, b"echo", 400, "maxRetries must be between"),
        ({"runtime": "bash", "maxRetries": "lots"}, b"echo", 400, "'maxRetries' is not a valid"),
        ({"runtime": "python"}, b"def broken(:\n", 400, "syntax error, line 1"),
        ({"runtime": "bash"}, b"   ", 400, "the script is empty"),
        ({"runtime": "bash", "memory": "64Gi"}, b"echo", 400, "above this server's limit"),
        ({"runtime": "bash", "timeout": "0"}, b"echo", 400, "timeout must be a positive"),
    ],
)
def test_bad_submissions(
    api: httpx.Client, fields: dict[str, str], script: bytes | None, status: int, message: str
) -> None:
    before = _count(api)
    files = {"script": ("job.txt", script, "text/plain")} if script is not None else None
    response = api.post(
        "/jobs/submit", data=fields, files=files or {"other": ("x", b"1", "text/plain")}
    )
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert _count(api) == before


def test_path_traversal_in_the_file_name(api: httpx.Client) -> None:
    before = _count(api)
    for name in ("../../etc/passwd", "..", "a/b.sh", "evil\\name.sh"):
        files = {"script": (name, b"echo hi", "text/plain")}
        response = api.post("/jobs/submit", data={"runtime": "bash"}, files=files)
        assert response.status_code == 400, (name, response.text)
        assert "is not allowed" in response.json()["detail"]
    assert _count(api) == before


def test_oversized_upload_and_payload(api: httpx.Client) -> None:
    before = _count(api)
    big = b"#" * (1024 * 1024 + 10)
    response = api.post(
        "/jobs/submit", data={"runtime": "bash"}, files={"script": ("big.sh", big, "text/plain")}
    )
    assert response.status_code == 413
    payload = json.dumps({"blob": "x" * 200_000})
    response = api.post(
        "/jobs/submit",
        data={"runtime": "bash", "payload": payload},
        files={"script": ("a.sh", b"echo", "text/plain")},
    )
    assert response.status_code == 400 and "payload is" in response.json()["detail"]
    assert _count(api) == before


def test_wrong_content_type_and_unknown_job(api: httpx.Client) -> None:
    response = api.post(
        "/jobs/submit", content=b"runtime=bash", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert api.get("/jobs/job-doesnotexist").status_code == 404
    assert api.post("/jobs/job-doesnotexist/cancel").status_code == 404
    assert "not found" in api.get("/jobs/nope").json()["detail"]


def test_json_submission(api: httpx.Client) -> None:
    response = api.post(
        "/jobs/submit",
        json={"runtime": "python", "script": "print('json body')", "payload": {"k": 1}},
    )
    assert response.status_code == 201, response.text
    job = wait_job(api, response.json()["jobId"])
    assert job["logs"] == "json body\n"
