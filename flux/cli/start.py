"""`flux start server|worker|mcp`.

`flux start server` serves the HTTP API with uvicorn (httptools and uvloop when installed)
and, unless `--no-worker` or `server.embedded_worker = false`, runs an embedded worker as a
child process (`flux start worker`): uploaded code is only ever imported there, never in the
server. The child gets the bootstrap token in its environment, is restarted with backoff if
it dies, and is stopped before the server shuts down. `flux start mcp` serves the MCP tools
of `flux.mcp`, which reach a Flux server over HTTP like the CLI does.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import re
import signal
import socket
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import click

from flux.config import Configuration, FluxSettings

logger = logging.getLogger("flux.server")
_MAX_BACKOFF_S = 30.0
_HEALTHY_RUN_S = 60.0
_STOP_TIMEOUT_S = 10.0


@click.group()
def start() -> None:
    """Start a Flux server, a worker, or the MCP server."""


@start.command("server")
@click.option("--host", default=None, help="Interface to listen on (default: server_host).")
@click.option("--port", type=int, default=None, help="Port (default: server_port; 0 = any).")
@click.option("--no-worker", is_flag=True, help="Do not start the embedded worker.")
def server(host: str | None, port: int | None, no_worker: bool) -> None:
    """Serve the HTTP API (and an embedded worker)."""
    from flux.server.app import bootstrap_token

    if host:
        # The app decides who may call without an API key from where it listens.
        Configuration.get().override(server_host=host)
    settings = Configuration.get().settings
    _check_encryption_key(settings)
    embedded = settings.server.embedded_worker and not no_worker
    token = bootstrap_token(settings)
    port = settings.server_port if port is None else port
    server = _uvicorn_server(settings, host or settings.server_host, port, token)
    # uvicorn's loop factory: uvloop when it is installed.
    loop_factory = server.config.get_loop_factory()
    with (
        contextlib.suppress(KeyboardInterrupt),
        asyncio.Runner(loop_factory=loop_factory) as runner,
    ):
        runner.run(_serve(server, token, embedded))


def _check_encryption_key(settings: FluxSettings) -> None:
    """Exit with the reason, before serving anything, when secrets are stored that the
    configured key cannot read (flux.secret_managers.check_encryption_key)."""
    from flux.errors import EncryptionKeyError
    from flux.secret_managers import check_encryption_key
    from flux.storage.factory import create_store

    async def check() -> None:
        store = create_store(settings.database_url)
        try:
            await check_encryption_key(settings, store)
        finally:
            await store.close()

    try:
        asyncio.run(check())
    except EncryptionKeyError as exc:
        raise click.ClickException(f"refusing to start: {exc}") from None


@start.command("worker")
@click.argument("name", required=False)
@click.option("--server-url", default=None, help="Server to join (default: workers.server_url).")
def worker(name: str | None, server_url: str | None) -> None:
    """Run a worker that joins a server and runs its workflows."""
    from flux.worker.main import run_worker

    result: Any = run_worker(name, server_url)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    sys.exit(result if isinstance(result, int) else 0)


@start.command("mcp")
@click.option("--host", default=None, help="Interface for sse/streamable-http (default: mcp.host).")
@click.option(
    "--port", type=int, default=None, help="Port for sse/streamable-http (default: mcp.port)."
)
@click.option(
    "--transport",
    type=click.Choice(["stdio", "sse", "streamable-http"]),
    default=None,
    help="stdio for a client that launches this command; sse or streamable-http to listen "
    "on HOST:PORT (default: mcp.transport).",
)
@click.option(
    "--server-url",
    default=None,
    metavar="URL",
    help="Flux server the tools talk to (default: mcp.server_url).",
)
def mcp_server(
    host: str | None, port: int | None, transport: str | None, server_url: str | None
) -> None:
    """Serve Flux's tools over the Model Context Protocol (for AI assistants and IDEs)."""
    from flux.mcp.server import serve

    flux_settings = Configuration.get().settings
    settings = flux_settings.mcp
    url = server_url or settings.server_url
    if urlsplit(url).scheme not in ("http", "https"):
        raise click.BadParameter(
            f"'{url}' is not an http:// or https:// URL", param_hint="--server-url"
        )
    chosen = transport or settings.transport
    if chosen == "stdio":
        # stdout carries the protocol; say where the tools point on stderr only.
        click.echo(f"Flux MCP server on stdio, talking to {url}", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        serve(
            chosen,
            server_url=url,
            host=host or settings.host,
            port=settings.port if port is None else port,
            name=settings.name,
            log_level=flux_settings.log_level,
        )


def _uvicorn_server(settings: FluxSettings, host: str, port: int, token: str) -> Any:
    import uvicorn

    from flux.server.app import create_app

    app = create_app(settings, token=token)

    class Server(uvicorn.Server):
        embedded: EmbeddedWorker | None = None

        async def shutdown(self, sockets: Any = None) -> None:
            # The embedded worker goes first, while the server can still take back its runs
            # (and before uvicorn re-raises the signal that stopped it, ending this process).
            if self.embedded is not None:
                await self.embedded.stop()
            # Workers' SSE streams never end on their own: close them, or uvicorn waits for
            # them until its graceful-shutdown timeout.
            state = getattr(app.state, "flux", None)
            if state is not None:
                state.close_sessions()
            await super().shutdown(sockets)

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        # JSON lines: uvicorn's messages go through Flux's handler (flux.logs) instead of
        # uvicorn's own text formatter.
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
        timeout_graceful_shutdown=5,
        # Thousands of small requests a second come from a few workers and clients.
        backlog=2048,
        access_log=settings.debug,
    )
    return Server(config)


async def _serve(server: Any, token: str, embedded: bool) -> None:
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():
        await asyncio.sleep(0.02)
    if server.started and embedded:
        host, port = server.config.host, _bound_port(server)
        server.embedded = EmbeddedWorker(
            _worker_name(port),
            f"http://{_loopback(host)}:{port}",
            token,
            Configuration.get().settings.workers.shutdown_grace,
        )
        server.embedded.start()
    try:
        await serving
    finally:
        if server.embedded is not None:
            await server.embedded.stop()


def _bound_port(server: Any) -> int:
    port: int = server.servers[0].sockets[0].getsockname()[1]
    return port


def _loopback(host: str) -> str:
    if host in ("", "0.0.0.0", "localhost", "127.0.0.1"):
        return "127.0.0.1"
    if host in ("::", "::1"):
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _worker_name(port: int) -> str:
    machine = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:60] or "host"
    return f"embedded-{machine}-{port}"


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM it if the server process dies, even by SIGKILL,
    so that an embedded worker never outlives its server."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class EmbeddedWorker:
    """Keeps one `flux start worker` child running next to the server."""

    def __init__(self, name: str, server_url: str, token: str, grace: float):
        self.name, self.server_url = name, server_url
        # The child's grace stays inside the time `stop` waits, so that on shutdown it hands
        # back what it could not finish instead of being killed holding leases.
        self._env = {
            **os.environ,
            "FLUX_WORKERS__BOOTSTRAP_TOKEN": token,
            "FLUX_WORKERS__SHUTDOWN_GRACE": str(min(grace, _STOP_TIMEOUT_S - 2)),
        }
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name="flux-embedded-worker")

    async def _supervise(self) -> None:
        from flux.worker.main import EXIT_REVOKED

        backoff = 0.5
        while not self._stopping:
            started = time.monotonic()
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                *("-m", "flux.cli.main", "start", "worker", self.name),
                *("--server-url", self.server_url),
                env=self._env,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
            code = await self._process.wait()
            if self._stopping:
                return
            if code == EXIT_REVOKED:
                logger.warning(
                    "the embedded worker's session was revoked (flux worker revoke); it is not "
                    "restarted until this server is"
                )
                return
            if time.monotonic() - started > _HEALTHY_RUN_S:
                backoff = 0.5
            logger.warning(
                "the embedded worker exited with code %s; restarting it in %.1fs", code, backoff
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF_S)

    async def stop(self) -> None:
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            # SIGTERM: the worker finishes or hands back its runs, then exits.
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), _STOP_TIMEOUT_S)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
