"""Every route of the app against every kind of caller, on a real server (uvicorn in a thread,
SQLite) that requires API keys: no key, a malformed key, a wrong secret, a revoked key, and
a key of each role. Allowed means "not 401/403" (the route may still answer 404 or 422 to
the empty requests sent here); a route with no entry in the access policy fails
`test_every_route_has_a_policy_entry`."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from flux.domain.access import Role, allows
from flux.server.access_policy import POLICY, PUBLIC, REGISTER, SESSION, template_of
from tests.server.conftest import ServerThread, make_settings

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(:path)?\}")
ROLES = [Role.ADMIN, Role.OPERATOR, Role.VIEWER, Role.WORKER]


def app_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path template) of every route the app serves; HEAD counts as GET. The
    routers FastAPI includes lazily are walked to their routes."""
    found = set()
    pending = list(app.routes)
    while pending:
        route = pending.pop()
        if hasattr(route, "effective_route_contexts"):
            pending.extend(route.effective_route_contexts())
            continue
        template = getattr(route, "path", None) or route.path_format
        for method in getattr(route, "methods", None) or ():
            found.add(("GET" if method == "HEAD" else method, template))
    return sorted(found)


def sample_path(template: str) -> str:
    return _PARAM.sub(lambda m: "sample/page.js" if m.group(2) else f"x{m.group(1)}", template)


@dataclass
class Keys:
    by_role: dict[Role, str]
    revoked: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    home = tmp_path_factory.mktemp("matrix")
    settings = make_settings(f"sqlite:///{home / 'flux.db'}", Path(home) / ".flux")
    settings.security.require_auth = True
    thread = ServerThread(settings).start()
    try:
        yield thread
    finally:
        thread.stop()


def _on_server(server: ServerThread, work: Any) -> Any:
    return asyncio.run_coroutine_threadsafe(work, server.loop).result(timeout=30)


@pytest.fixture(scope="module")
def keys(server: ServerThread) -> Keys:
    service = server.app.state.flux.api_keys
    by_role = {
        role: _on_server(server, service.create(f"k-{role.value}", role, None)).key
        for role in ROLES
    }
    revoked = _on_server(server, service.create("gone", Role.ADMIN, None))
    _on_server(server, service.revoke(revoked.row.id))
    return Keys(by_role, revoked.key)


REGISTRATION = {
    "name": "matrix-worker",
    "resources": {"cpu_total": 1, "cpu_available": 1.0, "memory_total": 1, "memory_available": 1},
    "packages": [],
    "python_version": "3.11.7",
    "platform": "linux",
    "max_concurrency": 1,
}


def _status(server: ServerThread, method: str, path: str, key: str | None, body: Any = None) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    # Streamed, and closed after the status line: an allowed SSE route never ends by itself.
    with (
        httpx.Client(base_url=server.url, timeout=10) as client,
        client.stream(method, path, headers=headers, json=body) as response,
    ):
        return response.status_code


def test_every_route_has_a_policy_entry(server: ServerThread) -> None:
    routes = app_routes(server.app)
    missing = [(m, t) for m, t in routes if m not in POLICY.get(t, {})]
    assert missing == [], f"routes without an entry in flux/server/access_policy.py: {missing}"
    # ... and the policy picks each route's own entry for a path of that route.
    wrong = [(m, t) for m, t in routes if template_of(m, sample_path(t)) != t]
    assert wrong == []
    stale = {(m, t) for t, methods in POLICY.items() for m in methods} - set(routes)
    assert stale == set(), "policy entries for routes the app no longer has"


def _cases() -> list[tuple[str, str]]:
    return sorted((m, t) for t, methods in POLICY.items() for m in methods)


@pytest.mark.parametrize(("method", "template"), _cases())
def test_each_caller_gets_what_the_policy_says(
    server: ServerThread, keys: Keys, method: str, template: str
) -> None:
    rule = POLICY[template][method]
    path = sample_path(template)
    body = REGISTRATION if rule is REGISTER else None  # so the route gets to its token check
    callers = {
        "none": None,
        "malformed": "not-a-flux-key",
        "wrong": "flux_0123456789ab_" + "A" * 43,
        "revoked": keys.revoked,
        **{role.value: key for role, key in keys.by_role.items()},
    }
    got = {name: _status(server, method, path, key, body) for name, key in callers.items()}
    denied = {401, 403}
    if rule is PUBLIC:
        assert not set(got.values()) & denied, got
    elif rule is SESSION:
        # The worker protocol takes only a worker's session token: no user key gets in.
        assert set(got.values()) == {401}, got
    elif rule is REGISTER:
        # No key or a non-key token: the route wants the bootstrap token; a worker key
        # stands in for it.
        assert (got["none"], got["malformed"], got["worker"]) == (401, 401, 200), got
        assert all(got[r.value] == 403 for r in (Role.ADMIN, Role.OPERATOR, Role.VIEWER)), got
        assert (got["wrong"], got["revoked"]) == (401, 401), got
    else:
        assert rule.role is not None
        assert {got[k] for k in ("none", "malformed", "wrong", "revoked")} == {401}, got
        for role in ROLES:
            expected_allowed = allows(role, rule.role)
            assert (got[role.value] not in denied) == expected_allowed, (role, got)
            if not expected_allowed:
                assert got[role.value] == 403, (role, got)


def test_a_refusal_says_how_to_send_a_key_and_which_role_is_needed(
    server: ServerThread, keys: Keys
) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        missing = client.get("/workflows")
        viewer = client.delete(
            "/schedules/nightly", headers={"Authorization": f"Bearer {keys.by_role[Role.VIEWER]}"}
        )

    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in missing.json()["detail"]
    assert "FLUX_API_KEY" in missing.json()["detail"]
    assert viewer.status_code == 403
    assert "'viewer'" in viewer.json()["detail"] and "'operator'" in viewer.json()["detail"]


def test_streams_refuse_without_a_key_and_open_with_one(server: ServerThread, keys: Keys) -> None:
    viewer = {"Authorization": f"Bearer {keys.by_role[Role.VIEWER]}"}
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.get("/executions/live").status_code == 401
        with client.stream("GET", "/executions/live", headers=viewer) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")


def test_whoami_names_the_key_and_its_role(server: ServerThread, keys: Keys) -> None:
    answer = httpx.get(
        f"{server.url}/auth/whoami",
        headers={"Authorization": f"Bearer {keys.by_role[Role.OPERATOR]}"},
        timeout=10,
    ).json()

    assert (answer["kind"], answer["role"], answer["name"]) == ("key", "operator", "k-operator")
    assert answer["label"] == f"key {answer['key_id']} (k-operator)"
