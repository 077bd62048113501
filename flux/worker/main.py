"""`run_worker`: the blocking entry point behind `flux start worker [NAME] --server-url URL`.

SIGTERM or SIGINT stops the worker gracefully: it takes no new work, lets running executions
finish within `workers.shutdown_grace` seconds, hands the rest back to the server and exits
0. A second signal skips what is left of the grace period.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from flux.config import Configuration
from flux.errors import ConfigurationError
from flux.worker.connection import RegistrationRefusedError, SessionRevokedError
from flux.worker.masked_output import mask_process_output
from flux.worker.process import Worker, WorkerOptions

log = logging.getLogger("flux.worker")

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def default_name() -> str:
    """`<hostname>-<6 hex>`: unique per process, recognisable per machine."""
    host = _NAME_UNSAFE.sub("-", socket.gethostname()).strip("-._")[:100] or "worker"
    return f"{host}-{secrets.token_hex(3)}"


# `flux start worker` exits with this when an admin revoked its session: whoever supervises
# it (`flux start server` for its embedded worker, systemd) should not start it again.
EXIT_REVOKED = 4


def _fail(message: str, code: int = 1) -> int:
    sys.stderr.write(f"flux worker: {message}\n")
    sys.stderr.flush()
    return code


def worker_options(name: str | None, server_url: str | None) -> WorkerOptions:
    """Options from the arguments and the settings. Raises ConfigurationError when the
    bootstrap token is missing."""
    settings = Configuration.get().settings
    workers = settings.workers
    if not workers.bootstrap_token:
        raise ConfigurationError(
            "no bootstrap token: set workers.bootstrap_token in flux.toml or the "
            "FLUX_WORKERS__BOOTSTRAP_TOKEN environment variable (the server prints or "
            "reads the same token)"
        )
    return WorkerOptions(
        name=name or default_name(),
        server_url=server_url or workers.server_url,
        bootstrap_token=workers.bootstrap_token,
        home=Path(settings.home),
        max_concurrency=workers.max_concurrency,
        shutdown_grace=workers.shutdown_grace,
    )


def run_worker(name: str | None, server_url: str | None) -> int:
    """Run a worker until SIGTERM/SIGINT. Returns the process exit code: 0 after a graceful
    stop, 1 when the configuration is incomplete or the server refuses the worker."""
    try:
        options = worker_options(name, server_url)
    except ConfigurationError as exc:
        return _fail(str(exc))
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", options.name):
        return _fail(
            f"invalid worker name {options.name!r}: use up to 128 letters, digits, "
            "'_', '.' and '-', starting with a letter or digit"
        )
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            return runner.run(_serve(options))
    except RegistrationRefusedError as exc:
        return _fail(str(exc))
    except SessionRevokedError as exc:
        return _fail(
            f"the server revoked this worker's session ({exc.detail}); exiting. To rejoin, "
            "start the worker again with the bootstrap token (workers.bootstrap_token)",
            EXIT_REVOKED,
        )


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when it is installed (a dependency on POSIX): a worker spends much of its time
    in the event loop and on sockets, where uvloop costs less than asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _serve(options: WorkerOptions) -> int:
    worker = Worker(options)
    mask_process_output(worker.masks)  # what tasks print or log, with secret values masked
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, worker.request_stop)
            handled.append(signum)
        except (ValueError, RuntimeError, NotImplementedError):
            # Not the main thread (a worker embedded in another program), or no signals.
            log.debug("no handler for signal %s here", signum)
    log.info("worker '%s' starting; server %s", options.name, options.server_url)
    try:
        return await worker.run()
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
