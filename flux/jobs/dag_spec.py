"""JSON DAG workflows: validating a definition (`POST /workflows/submit`) before anything is
stored. Pure: the server checks a submission with it, the worker reads the same definition.

A node is one sandboxed script (`runtime`, `handler` as source text, `codeDependencies`)
that starts once every node in its `dependencies` completed; it receives
`{"input": <the run's input>, "upstream": {<node id>: <its output>, ...}}` as its payload.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from flux.domain.secret_names import check_env_names
from flux.jobs.spec import (
    DEFAULT_FILENAMES,
    JobSpecError,
    Limits,
    ScriptSpec,
    check_dependencies,
    parse_runtime,
)

MAX_NODES = 500
MAX_RETRIES = 100
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class DagError(JobSpecError):
    """A DAG definition that cannot run as given; the message names the node."""


@dataclass(frozen=True, slots=True)
class DagNode:
    id: str
    job_name: str
    runtime: str
    handler: str
    dependencies: tuple[str, ...]
    code_dependencies: tuple[str, ...]
    max_retries: int
    secrets: tuple[str, ...] = ()  # secret names, passed as environment variables

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "jobName": self.job_name,
            "runtime": self.runtime,
            "handler": self.handler,
            "dependencies": list(self.dependencies),
            "codeDependencies": list(self.code_dependencies),
            "maxRetries": self.max_retries,
        } | ({"secrets": list(self.secrets)} if self.secrets else {})

    def script(self, limits: Limits) -> ScriptSpec:
        family = parse_runtime(self.runtime).family
        return ScriptSpec(
            runtime=self.runtime,
            source=self.handler,
            filename=DEFAULT_FILENAMES[family],
            dependencies=self.code_dependencies,
            limits=limits,
            secrets=self.secrets,
        )


def parse_nodes(raw: Any, default_retries: int) -> list[DagNode]:
    """The nodes of a definition in their given order; DagError for the first problem:
    empty, malformed node, duplicate id, unknown or self dependency, cycle (named)."""
    if not isinstance(raw, list) or not raw:
        raise DagError("'nodes' must be a non-empty array of node objects")
    if len(raw) > MAX_NODES:
        raise DagError(f"a DAG has at most {MAX_NODES} nodes, this one has {len(raw)}")
    nodes: list[DagNode] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        node = _node(item, index, default_retries)
        if node.id in seen:
            raise DagError(f"duplicate node id '{node.id}'")
        seen.add(node.id)
        nodes.append(node)
    for node in nodes:
        for upstream in node.dependencies:
            if upstream == node.id:
                raise DagError(f"node '{node.id}' depends on itself")
            if upstream not in seen:
                raise DagError(f"node '{node.id}' depends on unknown node '{upstream}'")
    cycle = find_cycle({n.id: list(n.dependencies) for n in nodes})
    if cycle:
        raise DagError(f"the nodes form a cycle: {' -> '.join(cycle)}")
    return nodes


def check_name(name: Any) -> str | None:
    if name is None:
        return None
    if not isinstance(name, str) or not _NAME.match(name) or name.startswith("flux."):
        raise DagError(
            "'name' must be 1-128 letters, digits, '.', '_' or '-' (not starting with 'flux.')"
        )
    return name


def _node(item: Any, index: int, default_retries: int) -> DagNode:
    if not isinstance(item, dict):
        raise DagError(f"node #{index + 1} is not an object")
    node_id = item.get("id")
    if not isinstance(node_id, str) or not _ID.match(node_id):
        raise DagError(f"node #{index + 1}: 'id' must be 1-100 letters, digits, '.', '_' or '-'")
    where = f"node '{node_id}'"
    runtime_text = item.get("runtime")
    if not isinstance(runtime_text, str):
        raise DagError(f"{where}: 'runtime' is required (node:18, python:3.9, bash)")
    try:
        runtime = parse_runtime(runtime_text)
        code_deps = check_dependencies(runtime.family, item.get("codeDependencies") or [])
    except JobSpecError as exc:
        raise DagError(f"{where}: {exc}") from None
    handler = item.get("handler")
    if not isinstance(handler, str) or not handler.strip():
        raise DagError(f"{where}: 'handler' must be the script's source text")
    if runtime.family == "python":
        try:
            ast.parse(handler)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            raise DagError(f"{where}: syntax error in the handler, line {line}: {exc}") from None
    deps = item.get("dependencies") or []
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise DagError(f"{where}: 'dependencies' must be an array of node ids")
    job_name = item.get("jobName", node_id)
    if not isinstance(job_name, str) or len(job_name) > 200:
        raise DagError(f"{where}: 'jobName' must be text of at most 200 characters")
    retries = item.get("maxRetries", default_retries)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        raise DagError(f"{where}: 'maxRetries' must be an integer from 0 to {MAX_RETRIES}")
    try:
        secrets = check_env_names(item.get("secrets"))
    except ValueError as exc:
        raise DagError(f"{where}: {exc}") from None
    return DagNode(
        id=node_id,
        job_name=job_name,
        runtime=str(runtime),
        handler=handler,
        dependencies=tuple(dict.fromkeys(deps)),
        code_dependencies=code_deps,
        max_retries=retries,
        secrets=secrets,
    )


def find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """A cycle as a path that returns to its start (`a -> b -> a`), or None. Iterative
    depth-first search, so a long chain cannot exhaust the stack."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in edges:
        if state.get(root):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            children = edges.get(node, [])
            if i < len(children):
                stack.append((node, i + 1))
                child = children[i]
                if state.get(child) == 1:
                    cycle = [*path[path.index(child) :], child]
                    return cycle[::-1]  # shown in run order: upstream first
                if not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()
    return None
