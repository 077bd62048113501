"""Turning an uploaded workflow file into live workflow objects, on the worker only.

The server never imports uploaded code; a worker fetches the source once per version, keeps
it in memory and under the Flux home (a restarted worker does not fetch it again), and
imports it as a real module registered in `sys.modules` under a name derived from the
version. Values pickled by one worker (instances of classes defined in the file) then
unpickle on any other worker that loaded the same version.

Importing runs user code: it happens in a thread, so a slow import does not stall the other
runs or the heartbeats, and any failure (syntax error, missing package, exception at import)
becomes a `WorkflowLoadError` that fails the execution, never the worker.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import re
import sys
import traceback
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from types import ModuleType

from flux.api.worker_protocol import WorkflowSource
from flux.builtin_workflows import builtin_workflow
from flux.engine.runtime import active_run
from flux.errors import FluxError, WorkflowNotFoundError
from flux.jobs.dag import DAG_FILE_SUFFIX, dag_workflow
from flux.worker.connection import ServerConnection, ServerError
from flux.workflow import workflow

log = logging.getLogger("flux.worker")

MODULE_PREFIX = "flux_uploaded_"
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]")


class WorkflowLoadError(FluxError):
    """An uploaded workflow could not be fetched, imported or found in its file."""


def module_name(version: str) -> str:
    return MODULE_PREFIX + _UNSAFE.sub("_", version)


def _safe_filename(filename: str | None) -> str:
    base = _UNSAFE_FILENAME.sub("_", os.path.basename(filename or "")) or "workflow"
    return base if base.endswith(".py") else base + ".py"


def find_workflow(module: ModuleType, name: str, label: str) -> workflow:
    found = [obj for obj in vars(module).values() if isinstance(obj, workflow)]
    for wf in found:
        if wf.name == name:
            return wf
    defined = ", ".join(sorted(wf.name for wf in found)) or "none"
    raise WorkflowLoadError(f"workflow '{name}' is not defined in {label} (it defines: {defined})")


def import_source(name: str, path: Path) -> ModuleType:
    """Import the file at `path` as module `name`. On any failure nothing stays registered
    and WorkflowLoadError carries the error and where it happened in the user's file."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise WorkflowLoadError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        raise WorkflowLoadError(_describe_import_error(exc, path)) from None
    return module


def _describe_import_error(exc: BaseException, path: Path) -> str:
    if isinstance(exc, SyntaxError):
        return f"syntax error in {path.name}, line {exc.lineno}: {exc.msg}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
    where = f" (line {frames[-1].lineno})" if frames else ""
    return f"importing {path.name} failed{where}: {type(exc).__name__}: {exc}"


def _stamped(wf: workflow, version: str) -> workflow:
    """`wf`, carrying the catalog version of the upload it was loaded from. Its subworkflow
    executions are created with `wf.version` and replayed on the code of that version, so a
    workflow object of an uploaded file (also one handed to `call` directly) must name the
    upload, not whatever `version=` its decorator was given."""
    wf._version = version
    return wf


class WorkflowLoader:
    def __init__(self, conn: ServerConnection, cache_dir: Path):
        self._conn = conn
        self._cache_dir = cache_dir
        self._modules: dict[str, ModuleType] = {}
        self._labels: dict[str, str] = {}
        self._loading: dict[str, asyncio.Future[ModuleType]] = {}
        self._versions: dict[str, str] = {}  # workflow name -> version last loaded
        # A DAG's version hashes its definition only: two names can share one. Its workflow
        # carries the name, so it is built per (name, version) from the definition.
        self._dag_sources: dict[str, str] = {}  # version -> DAG definition (JSON)
        self._dags: dict[tuple[str, str], workflow] = {}

    def version_of(self, name: str) -> str | None:
        return self._versions.get(name)

    async def load(self, name: str, version: str | None) -> workflow:
        """The workflow `name` of that uploaded version (the latest when None)."""
        builtin = builtin_workflow(name)
        if builtin is not None:
            return builtin  # type: ignore[no-any-return]
        if version is None:
            return await self.resolve(name)
        dag = self._dags.get((name, version))
        if dag is not None:
            return dag
        module = self._modules.get(version)
        if module is None:
            module = await self._single_flight(version, lambda: self._fetch(name, version))
        self._versions[name] = version
        definition = self._dag_sources.get(version)
        if definition is not None:
            dag = _stamped(dag_workflow(name, definition), version)
            self._dags[(name, version)] = dag
            return dag
        return find_workflow(module, name, self._labels[version])

    async def load_missing_module(self, module: str, candidates: Iterable[str]) -> bool:
        """Import the uploaded file that `module` (a name `module_name` made) stands for,
        trying the workflow names in `candidates`; False when none of them has that version.

        A run's log can hold values of classes defined in another uploaded file (the output
        of a subworkflow called by name); replaying it on a worker that never loaded that
        file needs the file before the log can be decoded."""
        if not module.startswith(MODULE_PREFIX):
            return False
        version = module.removeprefix(MODULE_PREFIX)
        for name in dict.fromkeys(candidates):
            try:
                await self.load(name, version)
            except (WorkflowLoadError, WorkflowNotFoundError):
                continue
            if module in sys.modules:
                return True
        return False

    async def resolve(self, name: str) -> workflow:
        """The workflow a `call(name)` starts: the calling run's own upload when that file
        defines `name` (a file's workflows are deployed together, so a run started on one
        version keeps calling the code it was uploaded with, whatever is uploaded later);
        otherwise the latest uploaded version, asked of the server each time, so that an
        upload takes effect for the next such call on every worker. Once started, a
        subworkflow runs on the version recorded in its execution (`Engine.run_existing`)."""
        own = self._from_calling_run(name)
        if own is not None:
            return own
        return await self.load(name, await self._latest_version(name))

    def _from_calling_run(self, name: str) -> workflow | None:
        run = active_run()
        version = run.ctx.workflow_version if run is not None else None
        module = self._modules.get(version) if version is not None else None
        if module is None:
            return None
        found = [o for o in vars(module).values() if isinstance(o, workflow) and o.name == name]
        return found[0] if found else None

    async def _latest_version(self, name: str) -> str:
        try:
            response = await self._conn.call(
                "GET", self._conn.path("workflows", name), what=f"find workflow '{name}'"
            )
        except ServerError as exc:
            if exc.status == 404:
                raise WorkflowNotFoundError(name) from None
            raise WorkflowLoadError(f"cannot find workflow '{name}': {exc}") from None
        return WorkflowSource.model_validate_json(response.content).version

    async def _single_flight(
        self, version: str, make: Callable[[], Awaitable[ModuleType]]
    ) -> ModuleType:
        # Many executions of a new version arrive together: the first fetches and imports,
        # the others wait for it. A failure is not remembered, so a later run tries again.
        pending = self._loading.get(version)
        if pending is None:
            pending = asyncio.ensure_future(make())
            self._loading[version] = pending
            pending.add_done_callback(lambda _: self._loading.pop(version, None))
        return await asyncio.shield(pending)

    async def _fetch(self, name: str, version: str) -> ModuleType:
        cached = self._from_disk(version)
        if cached is not None:
            return await self._import(version, cached)
        path = self._conn.path("workflows", name, version)
        source = await self._get_source(path, name)
        if (source.filename or "").endswith(DAG_FILE_SUFFIX):
            # A JSON DAG: nothing to import, its workflow is built from the definition.
            self._dag_sources[version] = source.source
            return ModuleType(module_name(version))
        return await self._install(source)

    async def _get_source(self, path: str, name: str) -> WorkflowSource:
        try:
            return await self._conn.call_model(
                "GET", path, None, WorkflowSource, what=f"fetch workflow '{name}'"
            )
        except ServerError as exc:
            raise WorkflowLoadError(
                f"cannot fetch workflow '{name}' from the server: {exc.status} {exc.detail}"
            ) from None

    async def _install(self, source: WorkflowSource) -> ModuleType:
        module = self._modules.get(source.version)
        if module is not None:
            return module
        path = self._to_disk(source)
        return await self._import(source.version, path)

    async def _import(self, version: str, path: Path) -> ModuleType:
        name = module_name(version)
        module = sys.modules.get(name)
        if module is None:
            module = await asyncio.to_thread(import_source, name, path)
        for obj in vars(module).values():
            if isinstance(obj, workflow):
                _stamped(obj, version)
        self._modules[version] = module
        self._labels[version] = f"{path.name} (version {version[:12]})"
        return module

    def _version_dir(self, version: str) -> Path:
        return self._cache_dir / _UNSAFE.sub("_", version)

    def _from_disk(self, version: str) -> Path | None:
        folder = self._version_dir(version)
        files = sorted(folder.glob("*.py")) if folder.is_dir() else []
        return files[0] if files else None

    def _to_disk(self, source: WorkflowSource) -> Path:
        folder = self._version_dir(source.version)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / _safe_filename(source.filename)
        # Written to a temporary name first: a worker killed mid-write must not leave a
        # truncated file that a later start would import as if it were the upload.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source.source, encoding="utf-8")
        tmp.replace(path)
        return path
