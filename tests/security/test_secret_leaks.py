"""A planted secret value never shows up anywhere Flux records or shows it.

One real `flux start server` (embedded worker, bubblewrap sandbox) with a random secret.
The secret is used by a task (returns it inside a dict, logs it, prints it), a failing task
whose exception message holds it, a workflow whose output and whose failure hold it, a
Python and a Bash job that print their variable and write it to their output file, and a
DAG node. Then every place is searched: each API response we can list (executions with
their events, logs, jobs, DAG runs, search, stats, a sample of the live stream), the
dashboard's HTML and scripts, `flux execution show` and `flux job show`, the server's and
the worker's output, and, once the server stopped, every file under its directory: the
database (every table; the encrypted column cannot contain it) and the output store. Zero
occurrences of the value, plain or JSON-escaped. The same again on PostgreSQL (a throwaway
schema of the test database), whose `pg_dump` is searched too (bytea columns are dumped in
hex, so the value's hex form is searched there as well).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
import pytest

from flux.client import FluxClient
from tests.conftest import FluxServer, clean_env, start_server, stop_server

# Non-ASCII on purpose: its JSON-escaped form (`\u00e9`) differs from the plain one.
SECRET = f"leak-{secrets.token_hex(12)}-é"
FORMS = (SECRET, json.dumps(SECRET)[1:-1], json.dumps(SECRET, ensure_ascii=False)[1:-1])
SERVER_ENV = {"FLUX_JOBS__RETRY_DELAY": "0.05", "FLUX_LOG_LEVEL": "DEBUG"}
SCHEMAS: dict[str, str] = {}  # server URL -> its PostgreSQL schema
POSTGRES_URL = os.environ.get("FLUX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

WORKFLOWS = """
import logging
from flux import ExecutionContext, task, workflow

log = logging.getLogger("flux.user")


class Holder:
    def __init__(self, value):
        self.value = value


@task.with_options(secret_requests=["LEAK_TOKEN"])
async def use_token(secrets):
    token = secrets["LEAK_TOKEN"]
    print("the task prints", token, flush=True)
    log.warning("the task logs %s", token)
    return {"token": token, "header": f"Bearer {token}", "holder": Holder(token), "n": 7}


@task.with_options(secret_requests=["LEAK_TOKEN"])
async def reject(secrets):
    raise ValueError(f"the API refused {secrets['LEAK_TOKEN']}")


@workflow
async def leaky(ctx: ExecutionContext):
    out = await use_token()
    try:
        await reject()
    except ValueError as exc:
        out["caught"] = str(exc)
    return {"output": out["token"], "n": out["n"], "caught": out["caught"]}


@workflow
async def leaky_failure(ctx: ExecutionContext):
    await use_token()
    await reject()
"""

PYTHON_JOB = """
import json, os
token = os.environ["LEAK_TOKEN"]
print("python job sees", token, flush=True)
with open(os.environ["FLUX_OUTPUT"], "w") as out:
    json.dump({"token": token, "length": len(token)}, out)
"""
BASH_JOB = """
echo "bash job sees $LEAK_TOKEN"
echo "on stderr $LEAK_TOKEN" >&2
printf '{"token": "%s"}' "$LEAK_TOKEN" > "$FLUX_OUTPUT"
"""
DAG_NODE = """
echo "dag node sees $LEAK_TOKEN"
printf '"%s"' "$LEAK_TOKEN" > "$FLUX_OUTPUT"
"""


def _leaks(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [form for form in FORMS if form.encode() in data]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[FluxServer]:
    env = dict(SERVER_ENV)
    schema = None
    if request.param == "postgresql":
        schema = f"flux_leaks_{uuid.uuid4().hex[:12]}"
        try:
            with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
        except psycopg.OperationalError as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(f"PostgreSQL unreachable at {POSTGRES_URL}: {exc}")
            pytest.skip(f"!!! POSTGRES LEAK TEST SKIPPED: unreachable at {POSTGRES_URL}")
        options = quote(f"-csearch_path={schema}")
        env["FLUX_DATABASE_URL"] = f"{POSTGRES_URL}?options={options}"
    started = start_server(tmp_path_factory.mktemp(f"leaks-{request.param}"), **env)
    if schema is not None:
        SCHEMAS[started.url] = schema
    try:
        deadline = time.monotonic() + 30
        while not any(
            w["status"] == "connected" for w in httpx.get(f"{started.url}/workers").json()
        ):
            assert time.monotonic() < deadline, "the embedded worker did not connect"
            time.sleep(0.05)
        yield started
    finally:
        stop_server(started)
        if schema is not None:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="module")
def used(server: FluxServer) -> dict[str, str]:
    """Plant the secret and use it everywhere; the ids of what ran."""
    with FluxClient(server.url, timeout=120) as client:
        client.set_secret("LEAK_TOKEN", SECRET)
        client.upload_workflow_source(WORKFLOWS, "leaky.py")
        ok = client.run("leaky", None, "sync")
        failed = client.run("leaky_failure", None, "sync")
        python_job = client.submit_job_source(PYTHON_JOB, "python", secrets=["LEAK_TOKEN"])
        bash_job = client.submit_job_source(BASH_JOB, "bash", secrets=["LEAK_TOKEN"])
        dag = client.submit_dag(
            {
                "name": "leaky-dag",
                "nodes": [
                    {"id": "n1", "runtime": "bash", "handler": DAG_NODE, "secrets": ["LEAK_TOKEN"]}
                ],
            }
        )
        ids = {
            "ok": ok.execution_id,
            "failed": failed.execution_id,
            "python_job": python_job.job_id,
            "bash_job": bash_job.job_id,
            "dag": str(dag.run_id),
        }
        deadline = time.monotonic() + 120
        for key in ("python_job", "bash_job", "dag"):
            while client.get_execution(ids[key]).state not in ("COMPLETED", "FAILED"):
                assert time.monotonic() < deadline, f"{key} did not finish"
                time.sleep(0.1)
    assert ok.state == "COMPLETED", ok
    assert failed.state == "FAILED", failed
    return ids


def test_the_runs_did_use_the_secret(server: FluxServer, used: dict[str, str]) -> None:
    """What each run saw was the value: masked where recorded, its length intact."""
    with FluxClient(server.url) as client:
        ok = client.get_execution(used["ok"])
        assert ok.output == {"output": "***", "n": 7, "caught": "the API refused ***"}
        python_job = client.get_job(used["python_job"])
        assert python_job.state == "COMPLETED", python_job
        assert python_job.output == {"token": "***", "length": len(SECRET)}
        assert "python job sees ***" in python_job.logs
        bash_job = client.get_job(used["bash_job"])
        assert bash_job.output == {"token": "***"}
        assert "bash job sees ***" in bash_job.logs and "on stderr ***" in bash_job.logs
        dag = client.get_dag_run(used["dag"])
        assert dag.state == "COMPLETED", dag
        assert "the API refused ***" in str(client.get_execution(used["failed"]).model_dump())


def _api_responses(url: str, used: dict[str, str]) -> dict[str, bytes]:
    paths = [
        "/executions?limit=1000",
        "/executions/search?limit=500",
        "/jobs?limit=1000",
        "/workflows",
        "/workflows/leaky",
        "/stats/overview",
        "/stats/workers",
        "/workers",
        "/schedules",
        "/admin/secrets",
        "/metrics",
        f"/workflows/runs/{used['dag']}",
    ]
    for execution_id in (used["ok"], used["failed"], used["dag"]):
        paths += [f"/executions/{execution_id}?detailed=true", f"/executions/{execution_id}/logs"]
    for job_id in (used["python_job"], used["bash_job"]):
        paths += [f"/jobs/{job_id}", f"/jobs/{job_id}/logs"]
    with httpx.Client(base_url=url, timeout=30) as http:
        listed = http.get("/executions", params={"limit": 1000}).json()
        rows = listed if isinstance(listed, list) else listed.get("executions", [])
        for row in rows:
            execution_id = row.get("execution_id") or row.get("executionId")
            if execution_id:
                paths.append(f"/executions/{execution_id}?detailed=true")
                paths.append(f"/executions/{execution_id}/logs")
        answers = {}
        for path in dict.fromkeys(paths):
            response = http.get(path)
            assert response.status_code == 200, (path, response.status_code, response.text)
            answers[path] = response.content
        answers["/executions/live (sample)"] = _live_sample(http)
    return answers


def _live_sample(http: httpx.Client) -> bytes:
    """The dashboard's live stream while a run that uses the secret goes, to its end."""
    sample = ""
    started = None
    with (
        FluxClient(str(http.base_url)) as client,
        http.stream("GET", "/executions/live", timeout=30) as stream,
    ):
        for line in stream.iter_lines():
            sample += line + "\n"
            if started is None and line.startswith("event: ready"):
                started = client.run("leaky", None, "async")
            elif started and started.execution_id in line and "COMPLETED" in line:
                break
    assert started is not None and started.execution_id in sample
    return sample.encode()


def _dashboard(url: str) -> dict[str, bytes]:
    with httpx.Client(base_url=url, timeout=30) as http:
        page = http.get("/")
        assert page.status_code == 200
        assets = {"/": page.content}
        scripts = re.findall(r'(?:src|href)="(/dashboard/[^"]+)"', page.text)
        imports = list(scripts)
        while imports:
            path = imports.pop()
            if path in assets:
                continue
            body = http.get(path)
            assert body.status_code == 200, path
            assets[path] = body.content
            for found in re.findall(r"from\s+['\"](\./[^'\"]+|\.\./[^'\"]+)['\"]", body.text):
                base = path.rsplit("/", 1)[0]
                while found.startswith("../"):
                    base, found = base.rsplit("/", 1)[0], found[3:]
                imports.append(f"{base}/{found.removeprefix('./')}")
    assert any(p.endswith(".js") for p in assets), assets.keys()
    return assets


def _cli(url: str, cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flux.cli.main", *args, "--server-url", url],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_no_api_response_dashboard_file_or_cli_output_holds_the_value(
    server: FluxServer, used: dict[str, str], tmp_path: Path
) -> None:
    shown = _api_responses(server.url, used)
    shown.update(_dashboard(server.url))
    for execution_id in (used["ok"], used["failed"], used["dag"]):
        text = _cli(server.url, tmp_path, "execution", "show", execution_id, "--detailed")
        shown[f"flux execution show {execution_id}"] = text.encode()
    for job_id in (used["python_job"], used["bash_job"]):
        shown[f"flux job show {job_id}"] = _cli(
            server.url, tmp_path, "job", "show", job_id
        ).encode()
    leaked = {where: _leaks(body) for where, body in shown.items() if _leaks(body)}
    assert leaked == {}
    assert b"***" in shown[f"/executions/{used['ok']}?detailed=true"]


def test_nothing_on_disk_or_in_the_process_output_holds_the_value(
    server: FluxServer, used: dict[str, str]
) -> None:
    # Runs last in this module (pytest keeps file order): stops the server, so that the
    # database's write-ahead log is folded in and every file is complete.
    stop_server(server)
    files = [p for p in server.cwd.rglob("*") if p.is_file()]
    schema = SCHEMAS.get(server.url)
    if schema is None:
        assert server.cwd / ".flux" / "flux.db" in files
    else:
        dump = subprocess.run(
            ["pg_dump", "--data-only", f"--schema={schema}", POSTGRES_URL],
            capture_output=True,
            timeout=120,
            check=True,
        ).stdout
        assert b"COPY " in dump and b".events (" in dump
        assert _leaks(dump) == []
        assert SECRET.encode().hex().encode() not in dump
    assert (server.cwd / "server.log").read_text().count("registered with") >= 1
    leaked = {str(p.relative_to(server.cwd)): _leaks(p.read_bytes()) for p in files}
    assert {where: forms for where, forms in leaked.items() if forms} == {}
    # The log did carry what the task printed and logged, masked.
    log = (server.cwd / "server.log").read_text()
    assert "the task prints ***" in log and "the task logs ***" in log
