"""API keys as users meet them outside HTTP: the real `flux` CLI (`flux auth ...`,
`--api-key`, FLUX_API_KEY, the break-glass `create-key --local`), the MCP server passing the
key through, and `flux worker revoke` making a real worker process exit."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FluxCLI, FluxServer, clean_env, start_server, stop_server
from tests.mcp.conftest import call, call_error, stdio_session

pytestmark = pytest.mark.slow

KEY = re.compile(r"flux_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")
BOOTSTRAP = "auth-clients-bootstrap-token"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FluxServer, str]]:
    """A server that requires keys, and the admin key its first start printed."""
    cwd = tmp_path_factory.mktemp("guarded")
    server = start_server(
        cwd, FLUX_SERVER__EMBEDDED_WORKER="false", FLUX_SECURITY__REQUIRE_AUTH="true"
    )
    try:
        admin = KEY.findall((cwd / "server.log").read_text())[0]
        yield server, admin
    finally:
        stop_server(server)


def test_the_cli_manages_keys_with_the_key_it_is_given(
    guarded: tuple[FluxServer, str], tmp_path: Path
) -> None:
    server, admin = guarded
    flux = FluxCLI(tmp_path, server.url)

    refused = flux("auth", "whoami")
    created = flux("--api-key", admin, "auth", "create-key", "--name", "ci", "--role", "viewer")
    viewer = created.stdout.strip()
    as_viewer = {"FLUX_API_KEY": viewer}
    whoami = flux("auth", "whoami", env=as_viewer)
    not_allowed = flux("auth", "list", env=as_viewer)
    listed = flux("auth", "list", env={"FLUX_API_KEY": admin})
    key_id = viewer.split("_")[1]
    revoked = flux("auth", "revoke", key_id, env={"FLUX_API_KEY": admin})
    after = flux("auth", "whoami", env=as_viewer)

    assert refused.returncode == 1 and "authentication required" in refused.stderr
    assert created.returncode == 0, created.stderr
    assert KEY.fullmatch(viewer) and "shown only now" in created.stderr
    assert whoami.returncode == 0 and f"key {key_id} (ci)" in whoami.stdout
    assert "viewer" in whoami.stdout
    assert not_allowed.returncode == 1 and "needs 'admin'" in not_allowed.stderr
    assert listed.returncode == 0 and key_id in listed.stdout and "ci" in listed.stdout
    assert viewer not in listed.stdout  # never a secret
    assert revoked.returncode == 0 and f"revoked API key {key_id}" in revoked.stdout
    assert after.returncode == 1 and "revoked" in after.stderr


def test_a_lost_admin_key_is_replaced_through_the_database(
    guarded: tuple[FluxServer, str],
) -> None:
    server, _ = guarded
    # In the server's directory, where its database_url (.flux/flux.db) points.
    flux = FluxCLI(server.cwd)

    made = flux("auth", "create-key", "--local", "--name", "rescue", "--role", "admin")
    me = httpx.get(
        f"{server.url}/auth/whoami",
        headers={"Authorization": f"Bearer {made.stdout.strip()}"},
        timeout=10,
    ).json()

    assert made.returncode == 0, made.stderr
    assert (me["name"], me["role"]) == ("rescue", "admin")


def test_a_bad_role_is_refused_before_anything_is_stored(
    guarded: tuple[FluxServer, str], tmp_path: Path
) -> None:
    server, admin = guarded
    flux = FluxCLI(tmp_path, server.url)

    bad = flux("--api-key", admin, "auth", "create-key", "--name", "x", "--role", "root")
    blank = httpx.post(
        f"{server.url}/auth/keys",
        json={"name": " ", "role": "viewer"},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=10,
    )
    listed = flux("--api-key", admin, "auth", "list", "--format", "json")

    assert bad.returncode == 2 and "root" in bad.stderr
    assert blank.status_code == 400 and "name" in blank.json()["detail"]
    assert '"name": " "' not in listed.stdout and '"name": "x"' not in listed.stdout


async def test_the_mcp_server_sends_the_key_from_its_environment(
    guarded: tuple[FluxServer, str], tmp_path: Path
) -> None:
    server, admin = guarded

    async with stdio_session(tmp_path, "--server-url", server.url, FLUX_API_KEY=admin) as session:
        listed = await call(session, "list_workers")
    async with stdio_session(tmp_path, "--server-url", server.url) as session:
        refused = await call_error(session, "list_workers")

    assert listed == {"workers": []}
    assert "authentication required" in refused


def _workers(url: str) -> dict[str, str]:
    return {w["name"]: w["status"] for w in httpx.get(f"{url}/workers", timeout=10).json()}


def _wait_connected(url: str, name: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while _workers(url).get(name) != "connected":
        assert process.poll() is None, f"the worker exited with {process.returncode}"
        assert time.monotonic() < deadline, "the worker did not connect"
        time.sleep(0.05)


def _worker(cwd: Path, url: str, name: str, log: Path) -> subprocess.Popen[bytes]:
    """`flux start worker NAME`, its output (stdout and stderr) in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "flux.cli.main", "start", "worker", name, "--server-url", url],
            cwd=cwd,
            env=clean_env(FLUX_WORKERS__BOOTSTRAP_TOKEN=BOOTSTRAP),
            stdout=out,
            stderr=out,
        )


def test_a_revoked_worker_exits_and_rejoins_only_with_the_bootstrap_token(
    tmp_path: Path,
) -> None:
    server = start_server(
        tmp_path, FLUX_SERVER__EMBEDDED_WORKER="false", FLUX_WORKERS__BOOTSTRAP_TOKEN=BOOTSTRAP
    )
    worker = _worker(tmp_path, server.url, "w-revoked", tmp_path / "worker.log")
    try:
        _wait_connected(server.url, "w-revoked", worker)
        revoke = FluxCLI(tmp_path, server.url)("worker", "revoke", "w-revoked")
        code = worker.wait(timeout=30)
        stderr = (tmp_path / "worker.log").read_text()
        status = _workers(server.url)["w-revoked"]
        unknown = FluxCLI(tmp_path, server.url)("worker", "revoke", "nobody")
        # The bootstrap token is the way back in.
        again = _worker(tmp_path, server.url, "w-revoked", tmp_path / "again.log")
        try:
            _wait_connected(server.url, "w-revoked", again)
        finally:
            again.terminate()
            again.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        stop_server(server)

    assert revoke.returncode == 0, revoke.stderr
    assert code == 4  # revoked: supervisors do not restart it
    assert "revoked this worker's session" in stderr and "bootstrap token" in stderr
    assert status != "connected"
    assert unknown.returncode == 1 and "not registered" in unknown.stderr


def test_a_revoked_embedded_worker_is_not_restarted(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        deadline = time.monotonic() + 30
        while "connected" not in _workers(server.url).values():
            assert time.monotonic() < deadline, "the embedded worker did not connect"
            time.sleep(0.05)
        [name] = _workers(server.url)
        revoke = FluxCLI(tmp_path, server.url)("worker", "revoke", name)
        log = tmp_path / "server.log"
        while "not restarted" not in log.read_text():
            assert time.monotonic() < deadline + 30, log.read_text()
            time.sleep(0.05)
        time.sleep(2)  # a restart would have reconnected it by now (backoff 0.5 s)
        status = _workers(server.url)[name]
        text = log.read_text()
    finally:
        stop_server(server)

    assert revoke.returncode == 0, revoke.stderr
    assert status != "connected"
    assert "restarting it" not in text
