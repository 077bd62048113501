"""Who gets in without a key, on real `flux start server` processes: a server listening on
every interface refuses callers without a key (even from loopback) unless the explicit
`security.allow_anonymous` opt-out is set, which it warns about in its log; the first start
prints an admin key once, and it works; two replicas starting together on one PostgreSQL
database make one admin key between them."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flux.orchestrator.api_keys import FIRST_KEY_NAME
from flux.server.auth import is_loopback
from tests.conftest import (
    FluxServer,
    _wait_until_healthy,
    clean_env,
    free_port,
    start_server,
    stop_server,
)
from tests.server.conftest import ServerThread, make_settings
from tests.storage.conftest import PostgresSchemas, _require_postgres

pytestmark = pytest.mark.slow

NO_WORKER = {"FLUX_SERVER__EMBEDDED_WORKER": "false"}
KEY = re.compile(r"flux_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def start_on(cwd: Path, host: str, **env: str) -> FluxServer:
    """`flux start server --host HOST`, reached through loopback."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = cwd / "server.log"
    command = [sys.executable, "-m", "flux.cli.main", "start", "server"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--host", host, "--port", str(port)],
            cwd=cwd,
            env=clean_env(**NO_WORKER, **env),
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    _wait_until_healthy(url, process, log)
    return FluxServer(url, cwd, process)


@pytest.fixture
def exposed(tmp_path: Path) -> Iterator[FluxServer]:
    server = start_on(tmp_path, "0.0.0.0")
    try:
        yield server
    finally:
        stop_server(server)


def test_listening_beyond_loopback_needs_a_key_even_from_loopback(exposed: FluxServer) -> None:
    anonymous = httpx.get(f"{exposed.url}/workflows", timeout=10)
    printed = KEY.findall((exposed.cwd / "server.log").read_text())

    assert anonymous.status_code == 401
    assert "authentication required" in anonymous.json()["detail"]
    # Probes stay open for load balancers.
    assert httpx.get(f"{exposed.url}/health", timeout=10).status_code == 200
    # The first key is the way in.
    admin = {"Authorization": f"Bearer {printed[0]}"}
    assert httpx.get(f"{exposed.url}/workflows", headers=admin, timeout=10).status_code == 200


def test_the_opt_out_serves_anonymous_callers_and_says_so_in_the_log(tmp_path: Path) -> None:
    server = start_on(tmp_path, "0.0.0.0", FLUX_SECURITY__ALLOW_ANONYMOUS="true")
    try:
        answer = httpx.get(f"{server.url}/auth/whoami", timeout=10)
        log = (tmp_path / "server.log").read_text()
    finally:
        stop_server(server)

    assert answer.status_code == 200
    assert answer.json()["label"] == "anonymous (allow_anonymous)"
    assert "WARNING" in log and "allow_anonymous" in log and "BEYOND LOOPBACK" in log


def test_a_loopback_server_serves_local_callers_as_admin_unless_told_not_to(
    tmp_path: Path,
) -> None:
    (tmp_path / "open").mkdir()
    (tmp_path / "closed").mkdir()
    laptop = start_server(tmp_path / "open", **NO_WORKER)
    try:
        closed = start_server(tmp_path / "closed", **NO_WORKER, FLUX_SECURITY__REQUIRE_AUTH="1")
    except BaseException:
        stop_server(laptop)
        raise
    try:
        local = httpx.get(f"{laptop.url}/auth/whoami", timeout=10).json()
        # Through a proxy on the same machine the caller is not local: a key is needed.
        proxied = httpx.get(
            f"{laptop.url}/workflows", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10
        )
        wrong = httpx.get(
            f"{laptop.url}/workflows",
            headers={"Authorization": "Bearer flux_0123456789ab_" + "A" * 43},
            timeout=10,
        )
        required = httpx.get(f"{closed.url}/workflows", timeout=10)
    finally:
        stop_server(laptop)
        stop_server(closed)

    assert (local["label"], local["role"]) == ("anonymous (loopback)", "admin")
    assert proxied.status_code == 401
    assert wrong.status_code == 401, "a wrong key is never served as anonymous"
    assert required.status_code == 401


def test_the_first_start_prints_an_admin_key_once_and_it_works(tmp_path: Path) -> None:
    first = start_server(tmp_path, **NO_WORKER, FLUX_SECURITY__REQUIRE_AUTH="true")
    try:
        log = (tmp_path / "server.log").read_text()
        keys = sorted(set(KEY.findall(log)))
        assert len(keys) == 1, log
        assert f"export FLUX_API_KEY={keys[0]}" in log
        me = httpx.get(
            f"{first.url}/auth/whoami", headers={"Authorization": f"Bearer {keys[0]}"}, timeout=10
        ).json()
    finally:
        stop_server(first)
    again = start_server(tmp_path, **NO_WORKER, FLUX_SECURITY__REQUIRE_AUTH="true")
    try:
        second_log = (tmp_path / "server.log").read_text()
        listed = httpx.get(
            f"{again.url}/auth/keys", headers={"Authorization": f"Bearer {keys[0]}"}, timeout=10
        ).json()
    finally:
        stop_server(again)

    assert (me["role"], me["name"]) == ("admin", FIRST_KEY_NAME)
    assert KEY.findall(second_log) == []
    assert [k["name"] for k in listed] == [FIRST_KEY_NAME]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    _require_postgres()
    schemas = PostgresSchemas()
    try:
        yield schemas.new()
    finally:
        schemas.drop_all()


@pytest.mark.postgres
def test_two_replicas_starting_together_make_one_admin_key(
    postgres_url: str, tmp_path: Path
) -> None:
    replicas = [ServerThread(make_settings(postgres_url, tmp_path / f"r{i}")) for i in range(2)]
    starting = [threading.Thread(target=replica.start) for replica in replicas]
    for thread in starting:
        thread.start()
    for thread in starting:
        thread.join(timeout=60)
    try:
        listed = [httpx.get(f"{r.url}/auth/keys", timeout=10).json() for r in replicas]
    finally:
        for replica in replicas:
            replica.stop()

    assert listed[0] == listed[1]
    assert [(k["name"], k["role"]) for k in listed[0]] == [(FIRST_KEY_NAME, "admin")]


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),  # an IPv4 peer on a dual-stack socket
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        (None, False),
        ("10.0.0.5", False),
        ("::ffff:10.0.0.5", False),
        ("example.com", False),
    ],
)
def test_what_counts_as_loopback(host: str | None, local: bool) -> None:
    assert is_loopback(host) is local
