"""The audit log end to end: a real `flux start server` that requires API keys; runs started,
resumed and cancelled, a job submitted, a secret set, read and deleted, keys created and
revoked, and refused attempts, each found in `GET /audit` with who, what, on what and how
it ended. No secret value anywhere in the records; only admins may list them."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from server.conftest import ServerThread, make_settings
from storage.conftest import PostgresSchemas, _require_postgres

from flux.config import FluxSettings
from flux.orchestrator.api_keys import ApiKeyService
from flux.server.access_policy import POLICY, SESSION
from flux.server.app import create_app
from flux.server.audit import ACTIONS
from flux.storage.factory import create_orchestrator_store
from tests.conftest import FluxServer, start_server, stop_server
from tests.security.test_auth_matrix import app_routes

VALUE = "audit-planted-secret-7f3a9c"
WORKFLOW = """
from typing import Any

from flux import ExecutionContext, pause, task, workflow


@task.with_options(secret_requests=["BILLING_KEY"])
async def key_length(secrets: dict[str, Any] = {}) -> int:
    return len(secrets["BILLING_KEY"])


@workflow
async def uses_secret(ctx: ExecutionContext[None]):
    return await key_length()


@workflow
async def approval(ctx: ExecutionContext[str]):
    answer = await pause("approve")
    return f"{ctx.input}: {answer}"
"""


@dataclass(frozen=True)
class Keys:
    admin: str
    operator: str
    viewer: str
    admin_id: str
    operator_id: str
    viewer_id: str


def _issue(database: Path) -> Keys:
    async def issue() -> Keys:
        store = create_orchestrator_store(f"sqlite:///{database}")
        try:
            service = ApiKeyService(store)
            admin = await service.create("alice", "admin", None)
            operator = await service.create("olga", "operator", None)
            viewer = await service.create("vera", "viewer", None)
        finally:
            await store.close()
        ids = (admin.row.id, operator.row.id, viewer.row.id)
        return Keys(admin.key, operator.key, viewer.key, *ids)

    return asyncio.run(issue())


@pytest.fixture(scope="module")
def keys_and_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Keys, FluxServer]]:
    cwd = tmp_path_factory.mktemp("audit-server")
    keys = _issue(cwd / ".flux" / "flux.db")
    server = start_server(cwd, FLUX_SECURITY__REQUIRE_AUTH="true")
    try:
        yield keys, server
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def keys(keys_and_server: tuple[Keys, FluxServer]) -> Keys:
    return keys_and_server[0]


@pytest.fixture(scope="module")
def server(keys_and_server: tuple[Keys, FluxServer]) -> FluxServer:
    return keys_and_server[1]


def http(server: FluxServer, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


def wait_paused(client: httpx.Client, execution_id: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if client.get(f"/executions/{execution_id}").json()["state"] == "PAUSED":
            return
        time.sleep(0.05)
    raise AssertionError(f"{execution_id} did not pause")


def audit(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/audit", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def one(entries: list[dict[str, Any]], action: str, target: str | None) -> dict[str, Any]:
    found = [e for e in entries if e["action"] == action and e["target"] == target]
    assert len(found) == 1, (action, target, entries)
    return found[0]


def test_actions_are_recorded_with_actor_target_and_status(server: FluxServer, keys: Keys) -> None:
    with http(server, keys.operator) as operator, http(server, keys.admin) as admin:
        files = {"file": ("approval.py", WORKFLOW.encode(), "text/x-python")}
        assert operator.post("/workflows", files=files).status_code == 200
        resumed = operator.post("/workflows/approval/run/async", json="deploy").json()
        wait_paused(operator, resumed["execution_id"])
        answer = operator.post(
            f"/workflows/approval/resume/{resumed['execution_id']}/async", json="yes"
        )
        assert answer.status_code == 200, answer.text
        cancelled = operator.post("/workflows/approval/run/async", json="other").json()
        wait_paused(operator, cancelled["execution_id"])
        stop = operator.get(f"/workflows/approval/cancel/{cancelled['execution_id']}")
        assert stop.status_code == 200, stop.text
        job = operator.post("/jobs/submit", json={"runtime": "bash", "script": "echo hi"})
        assert job.status_code == 201, job.text

        secret = {"name": "PAYMENTS_TOKEN", "value": VALUE}
        assert admin.post("/admin/secrets", json=secret).status_code == 204
        assert admin.get("/admin/secrets/PAYMENTS_TOKEN").json()["value"] == VALUE
        assert admin.delete("/admin/secrets/PAYMENTS_TOKEN").status_code == 204

        entries = audit(admin)

    olga = f"key {keys.operator_id} (olga)"
    alice = f"key {keys.admin_id} (alice)"
    starts = [e for e in entries if e["action"] == "execution.start"]
    assert {e["detail"]["execution_id"] for e in starts} == {
        resumed["execution_id"],
        cancelled["execution_id"],
    }
    assert all(
        (e["actor"], e["role"], e["target"], e["status"]) == (olga, "operator", "approval", 200)
        for e in starts
    ), starts
    resume = one(entries, "execution.resume", resumed["execution_id"])
    assert (resume["actor"], resume["status"], resume["detail"]["workflow"]) == (
        olga,
        200,
        "approval",
    )
    cancel = one(entries, "execution.cancel", cancelled["execution_id"])
    assert (cancel["actor"], cancel["status"]) == (olga, 200)
    submitted = one(entries, "job.submit", job.json()["jobId"])
    assert (submitted["actor"], submitted["status"], submitted["client"]) == (
        olga,
        201,
        "127.0.0.1",
    )
    upload = one(entries, "workflow.upload", None)
    assert sorted(upload["detail"]["workflows"]) == ["approval", "uses_secret"]
    for action, status in (("secret.set", 204), ("secret.read", 200), ("secret.delete", 204)):
        record = one(entries, action, "PAYMENTS_TOKEN")
        assert (record["actor"], record["role"], record["status"]) == (alice, "admin", status)
    # Newest first: the secret's deletion came last.
    assert entries[0]["action"] == "secret.delete"


def test_refused_attempts_are_recorded_with_their_status(server: FluxServer, keys: Keys) -> None:
    with http(server, None) as nobody, http(server, "flux_000000000000_wrong") as wrong:
        assert nobody.post("/admin/secrets", json={"name": "X", "value": VALUE}).status_code == 401
        assert wrong.delete("/admin/secrets/GUARDED").status_code == 401
    with http(server, keys.viewer) as viewer:
        assert viewer.delete("/admin/secrets/GUARDED").status_code == 403
        assert viewer.post("/workflows/approval/run/async", json=None).status_code == 403
    with http(server, keys.admin) as admin:
        refused = audit(admin, target="GUARDED")
        started = audit(admin, action="execution.start", actor="vera")
        unnamed = audit(admin, action="secret.set", actor="unauthenticated")
    assert [(e["actor"], e["status"]) for e in refused] == [
        (f"key {keys.viewer_id} (vera)", 403),
        ("unauthenticated", 401),
    ]
    assert [(e["role"], e["status"]) for e in started] == [("viewer", 403)]
    assert [e["status"] for e in unnamed] == [401]


def test_values_delivered_to_a_worker_are_recorded(server: FluxServer, keys: Keys) -> None:
    with http(server, keys.admin) as admin:
        secret = {"name": "BILLING_KEY", "value": VALUE}
        assert admin.post("/admin/secrets", json=secret).status_code == 204
        run = admin.post("/workflows/uses_secret/run/sync", json=None)
        assert (run.status_code, run.json()["output"]) == (200, len(VALUE)), run.text
        (delivered,) = audit(admin, action="secret.deliver")
    assert delivered["actor"].startswith("worker ")
    assert (delivered["target"], delivered["status"]) == ("BILLING_KEY", 200)
    assert delivered["detail"] == {"execution_id": run.json()["execution_id"]}


def test_every_change_is_audited(tmp_path: Path) -> None:
    """Each audited template is a route, and every route that changes something is audited
    except the worker protocol's (checked by session token) and a preview."""
    app = create_app(FluxSettings(home=str(tmp_path), workers={"bootstrap_token": "t"}))
    routes = set(app_routes(app))
    audited = {(action.method, action.template) for action in ACTIONS}
    assert audited - routes == set()
    changing = {
        (method, template)
        for method, template in routes
        if method in ("POST", "PUT", "PATCH", "DELETE") and POLICY[template][method] is not SESSION
    }
    assert changing - audited == {("POST", "/schedules/preview")}


def test_key_changes_are_recorded(server: FluxServer, keys: Keys) -> None:
    with http(server, keys.admin) as admin:
        created = admin.post("/auth/keys", json={"name": "ci", "role": "operator"})
        assert created.status_code == 201, created.text
        key_id = created.json()["id"]
        assert admin.delete(f"/auth/keys/{key_id}").status_code == 200
        assert admin.delete("/auth/keys/000000000000").status_code == 404
        entries = audit(admin, action="key")
    made = one(entries, "key.create", key_id)
    assert (made["actor"], made["status"], made["detail"]) == (
        f"key {keys.admin_id} (alice)",
        201,
        {"name": "ci", "role": "operator"},
    )
    assert one(entries, "key.revoke", key_id)["status"] == 200
    assert one(entries, "key.revoke", "000000000000")["status"] == 404
    # The key itself (shown once, in the answer) is in no record.
    assert created.json()["key"] not in json.dumps(entries)


def test_only_admins_list_the_audit(server: FluxServer, keys: Keys) -> None:
    for key, status in ((keys.viewer, 403), (keys.operator, 403), (None, 401)):
        with http(server, key) as client:
            assert client.get("/audit").status_code == status
    with http(server, keys.admin) as admin:
        assert admin.get("/audit", params={"cursor": "not-a-cursor"}).status_code == 400
        first = admin.get("/audit", params={"limit": 2}).json()
        second = admin.get("/audit", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(first["entries"]) == 2 and first["next_cursor"]
    assert [e["id"] for e in first["entries"]] + [e["id"] for e in second["entries"]] == sorted(
        [e["id"] for e in first["entries"] + second["entries"]], reverse=True
    )


def test_no_secret_value_in_any_record(server: FluxServer, keys: Keys) -> None:
    with http(server, keys.admin) as admin:
        assert admin.post("/admin/secrets", json={"name": "LEAK", "value": VALUE}).status_code
        assert VALUE not in json.dumps(audit(admin))
    database = server.cwd / ".flux" / "flux.db"
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT * FROM audit_log").fetchall()
    assert rows and VALUE not in repr(rows)


@pytest.mark.postgres
def test_records_reach_postgresql_even_with_a_nul_in_the_path(tmp_path: Path) -> None:
    """PostgreSQL text cannot hold a NUL: one in a path must not fail the batch."""
    _require_postgres()
    schemas = PostgresSchemas()
    server = ServerThread(make_settings(schemas.new(), tmp_path / ".flux")).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as local:
            assert local.delete("/admin/secrets/bad%00name").status_code == 400
            assert local.post("/admin/secrets", json={"name": "PG", "value": VALUE}).is_success
            entries = audit(local, action="secret")
    finally:
        server.stop()
        schemas.drop_all()
    assert [(e["action"], e["target"], e["status"]) for e in entries] == [
        ("secret.set", "PG", 204),
        ("secret.delete", "bad\\x00name", 400),
    ]
    assert entries[0]["actor"] == "anonymous (loopback)"


def test_a_streamed_start_names_its_run(server: FluxServer, keys: Keys) -> None:
    with (
        http(server, keys.operator) as operator,
        operator.stream("POST", "/workflows/approval/run/stream", json="streamed") as sse,
    ):
        assert sse.status_code == 200
        body = "".join(sse.iter_text())  # ends when the run pauses
    with http(server, keys.admin) as admin:
        paused = admin.get("/executions", params={"workflow": "approval", "state": "PAUSED"})
        ids = {e["execution_id"] for e in paused.json()["executions"]}
        starts = audit(admin, action="execution.start")
    streamed = [e for e in starts if e["detail"].get("execution_id") in ids and e["status"] == 200]
    [entry] = [e for e in streamed if e["detail"]["execution_id"] in body]
    assert entry["actor"].endswith("(olga)")
