"""Running a JSON DAG: each node a sandboxed script, started as soon as its upstream nodes
completed, so independent branches run at the same time.

A DAG is a workflow like any other (same log, replay, recovery, status): the worker builds
its workflow object from the stored definition (`dag_workflow`). Each node's attempts are
steps under a scope named after the node (`"0.<node id>.<n>"`), because which branch starts
first is not deterministic while node names are. When a node fails for good, the nodes
downstream of it are skipped, the branches already running finish, and the run fails
naming the node.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from flux.config import Configuration
from flux.domain.execution_context import ExecutionContext
from flux.engine.runtime import active_run
from flux.engine.steps import Scope, current_scope
from flux.errors import ScriptError
from flux.jobs.dag_spec import DagNode, parse_nodes
from flux.jobs.limits import default_limits
from flux.jobs.workflow import dag_nodes, failure, run_attempts, succeeded
from flux.workflow import workflow

DAG_FILE_SUFFIX = ".dag.json"  # how a catalog entry says its source is a DAG definition


def dag_workflow(name: str, definition: str) -> workflow:
    """The workflow object of DAG `name` from its stored definition (JSON text)."""
    data = json.loads(definition)
    nodes = parse_nodes(data["nodes"], 0)
    retry_delay = float(data.get("retryDelay", 1.0))

    async def run_dag(ctx: ExecutionContext[Any]) -> dict[str, Any]:
        limits = default_limits(Configuration.get().settings.jobs)
        dag_nodes.set({node.id: node.script(limits) for node in nodes})
        base = current_scope.get().next_step_id() if active_run() is not None else "0"
        return await _DagRun(nodes, base, ctx.input, retry_delay).run()

    return workflow(run_dag, name=name)


class _DagRun:
    def __init__(self, nodes: list[DagNode], base: str, input: Any, retry_delay: float):
        self._nodes = nodes
        self._base = base
        self._input = input
        self._delay = retry_delay
        self._done: dict[str, asyncio.Future[tuple[bool, Any]]] = {}
        self._failed: list[str] = []

    async def run(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        self._done = {node.id: loop.create_future() for node in self._nodes}
        # Started in definition order, so the same code gives the same tasks on replay.
        results = await asyncio.gather(
            *(self._node(node) for node in self._nodes), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        if self._failed:
            raise ScriptError("; ".join(self._failed))
        return {node.id: self._done[node.id].result()[1] for node in self._nodes}

    async def _node(self, node: DagNode) -> None:
        try:
            ok, output = await self._execute(node)
        except BaseException:
            self._done[node.id].set_result((False, None))
            raise
        self._done[node.id].set_result((ok, output))

    async def _execute(self, node: DagNode) -> tuple[bool, Any]:
        upstream: dict[str, Any] = {}
        for dep in node.dependencies:
            ok, output = await self._done[dep]
            if not ok:
                return False, None  # skipped: an upstream node did not complete
            upstream[dep] = output
        current_scope.set(Scope(f"{self._base}.{node.id}"))
        payload = {"input": self._input, "upstream": upstream}
        record, attempts = await run_attempts(node.max_retries, self._delay, node.id, payload)
        if succeeded(record):
            return True, record.get("output")
        self._failed.append(f"node '{node.id}' {failure(record, attempts)}")
        return False, None
