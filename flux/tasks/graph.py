"""`Graph`: steps wired as a directed acyclic graph, with conditional edges.

A node runs once all its upstream nodes have finished, so independent branches run
concurrently. It receives its upstream nodes' outputs as positional arguments (in the order
the edges were added); the start node receives the graph's input. A node is skipped, and so
is everything downstream of it, when an upstream node was skipped or an edge's condition is
false for the upstream output. The graph returns the end node's output (None if skipped).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flux.engine.runtime import active_run
from flux.engine.steps import Scope, current_scope
from flux.errors import GraphValidationError

Condition = Callable[[Any], Any]


def _always(_: Any) -> bool:
    return True


@dataclass
class _Node:
    name: str
    action: Callable[..., Any]
    upstream: dict[str, Condition] = field(default_factory=dict)


class Graph:
    def __init__(self, name: str):
        self.name = name
        self._nodes: dict[str, _Node] = {}
        self._start: str | None = None
        self._end: str | None = None

    def add_node(self, name: str, action: Callable[..., Any]) -> Graph:
        if name in self._nodes:
            raise GraphValidationError(f"graph '{self.name}': node '{name}' is already defined")
        self._nodes[name] = _Node(name, action)
        return self

    def add_edge(self, start_node: str, end_node: str, condition: Condition = _always) -> Graph:
        for node in (start_node, end_node):
            self._require(node)
        if start_node == end_node:
            raise GraphValidationError(
                f"graph '{self.name}': edge {start_node} -> {end_node} is a self-loop"
            )
        cycle = self._path(end_node, start_node)
        if cycle:
            raise GraphValidationError(
                f"graph '{self.name}': edge {start_node} -> {end_node} makes a cycle: "
                + " -> ".join([start_node, *cycle])
            )
        self._nodes[end_node].upstream[start_node] = condition
        return self

    def start_with(self, node: str) -> Graph:
        self._require(node)
        self._start = node
        return self

    def end_with(self, node: str) -> Graph:
        self._require(node)
        self._end = node
        return self

    def validate(self) -> Graph:
        if self._start is None or self._end is None:
            raise GraphValidationError(f"graph '{self.name}' needs start_with() and end_with()")
        if self._nodes[self._start].upstream:
            raise GraphValidationError(
                f"graph '{self.name}': start node '{self._start}' must not have upstream edges"
            )
        if self._end != self._start and not self._path(self._start, self._end):
            raise GraphValidationError(
                f"graph '{self.name}': end node '{self._end}' is not reachable from "
                f"start node '{self._start}'"
            )
        return self

    async def __call__(self, input: Any = None) -> Any:
        self.validate()
        run = active_run()
        # The graph's nodes get step ids under one position of the caller's scope, named by
        # node, so ids do not depend on which branch happens to finish first.
        base = current_scope.get().next_step_id() if run is not None else self.name
        runner = _GraphRun(self, base, input)
        return await runner.run()

    def _require(self, node: str) -> None:
        if node not in self._nodes:
            raise GraphValidationError(f"graph '{self.name}': unknown node '{node}'")

    def _downstream(self, node: str) -> list[str]:
        return [n.name for n in self._nodes.values() if node in n.upstream]

    def _path(self, source: str, target: str) -> list[str]:
        """Nodes on a path from source to target (inclusive), or [] if there is none."""
        stack: list[tuple[str, list[str]]] = [(source, [source])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            if node == target:
                return path
            if node in seen:
                continue
            seen.add(node)
            stack.extend((nxt, [*path, nxt]) for nxt in self._downstream(node))
        return []


class _GraphRun:
    def __init__(self, graph: Graph, base: str, input: Any):
        self._graph = graph
        self._base = base
        self._input = input
        self._outcome: dict[str, asyncio.Future[tuple[bool, Any]]] = {}

    async def run(self) -> Any:
        loop = asyncio.get_running_loop()
        nodes = self._graph._nodes
        self._outcome = {name: loop.create_future() for name in nodes}
        tasks = [asyncio.ensure_future(self._node(node)) for node in nodes.values()]
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        assert self._graph._end is not None
        ran, output = self._outcome[self._graph._end].result()
        return output if ran else None

    async def _node(self, node: _Node) -> None:
        try:
            ran, output = await self._execute(node)
        except BaseException:
            self._outcome[node.name].set_result((False, None))
            raise
        self._outcome[node.name].set_result((ran, output))

    async def _execute(self, node: _Node) -> tuple[bool, Any]:
        if node.name == self._graph._start:
            args: list[Any] = [self._input]
        else:
            args = []
            for upstream, condition in node.upstream.items():
                ran, output = await self._outcome[upstream]
                if not ran or not await _holds(condition, output):
                    return False, None
                args.append(output)
            if not node.upstream:
                return False, None
        current_scope.set(Scope(f"{self._base}.{node.name}"))
        result = node.action(*args)
        return True, (await result if inspect.isawaitable(result) else result)


async def _holds(condition: Condition, value: Any) -> bool:
    result = condition(value)
    if inspect.isawaitable(result):
        result = await result
    return bool(result)
