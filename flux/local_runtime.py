"""Local mode: `workflow.run()` with no server.

Builds the engine's services from configuration once per thread and settings, and keeps one
event loop per thread alive between runs. Both matter for speed: opening the database and
starting a loop each cost more than running a small workflow.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from flux.codec.masking import MaskingCodec
from flux.config import Configuration, FluxSettings
from flux.domain.masking import SecretMasks
from flux.engine.engine import Engine
from flux.engine.runtime import Services
from flux.keyring import secret_cipher, signing_key
from flux.output_storage import OutputStorage
from flux.outputs.setup import offloader, with_outputs
from flux.secret_managers import DatabaseSecretManager, MaskingSecrets
from flux.storage.factory import create_store

T = TypeVar("T")

_local = threading.local()
_all_runtimes: list[LocalRuntime] = []
_lock = threading.Lock()
# Used when run() is called from a thread that already runs an event loop (a notebook, an
# async app): the run happens on this thread's own loop instead of failing.
_offloader: concurrent.futures.ThreadPoolExecutor | None = None


class LocalRuntime:
    def __init__(self) -> None:
        self._runner = asyncio.Runner()
        self._engines: dict[tuple[Any, ...], Engine] = {}
        # Per settings: the services before outputs were wired in, and the engines of
        # workflows that chose their own `output_storage=` (sharing the store).
        self._plain: dict[tuple[Any, ...], Services] = {}
        self._variants: dict[tuple[Any, ...], Engine] = {}
        self._settings: FluxSettings | None = None
        self._key: tuple[Any, ...] = ()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(coro)

    async def engine(self, output_storage: OutputStorage | None = None) -> Engine:
        settings = Configuration.get().settings
        if settings is not self._settings:
            # Built once per settings object (a new one comes with every override or reload).
            self._settings = settings
            self._key = (
                settings.database_url,
                settings.serializer,
                settings.home,
                settings.security.encryption_key,
                tuple(vars(settings.outputs).values()),  # plain scalars
            )
        key = self._key
        engine = self._engines.get(key)
        if engine is None:
            store = create_store(settings.database_url)
            # Secret values a task fetches are masked in everything recorded afterwards.
            masks = SecretMasks()
            codec = MaskingCodec(settings.serializer, signing_key(settings), masks)
            stored = DatabaseSecretManager(store, secret_cipher(settings))
            secrets = MaskingSecrets(stored, masks)
            plain = self._plain[key] = Services(store, codec, secrets)
            engine = self._engines[key] = Engine(with_outputs(plain, offloader(settings)))
        if output_storage is None:
            return engine
        variant_key = (*key, output_storage.identity())
        variant = self._variants.get(variant_key)
        if variant is None:
            sink = offloader(settings, output_storage)
            variant = Engine(with_outputs(self._plain[key], sink))
            self._variants[variant_key] = variant
        return variant

    def close(self) -> None:
        async def close_stores() -> None:
            for engine in self._engines.values():
                await engine.services.store.close()

        try:
            self._runner.run(close_stores())
        finally:
            self._engines.clear()
            self._plain.clear()
            self._variants.clear()
            self._runner.close()


def _runtime() -> LocalRuntime:
    runtime: LocalRuntime | None = getattr(_local, "runtime", None)
    if runtime is None:
        runtime = _local.runtime = LocalRuntime()
        with _lock:
            _all_runtimes.append(runtime)
    return runtime


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run an engine coroutine to completion from synchronous code."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _runtime().run(coro)
    return _offload().submit(lambda: _runtime().run(coro)).result()


def _offload() -> concurrent.futures.ThreadPoolExecutor:
    global _offloader
    with _lock:
        if _offloader is None:
            _offloader = concurrent.futures.ThreadPoolExecutor(1, "flux-local")
        return _offloader


async def local_engine(output_storage: OutputStorage | None = None) -> Engine:
    return await _runtime().engine(output_storage)


@atexit.register
def _close_all() -> None:
    # Closing the stores lets SQLite fold its write-ahead log back into the database file.
    if _offloader is not None:
        _offloader.shutdown(wait=True)
    with _lock:
        runtimes = list(_all_runtimes)
        _all_runtimes.clear()
    for runtime in runtimes:
        try:
            runtime.close()
        except Exception:
            continue
