"""Step identity.

A step's id is its position in the call tree: the n-th step started directly by the workflow
body is "n", the m-th step started inside step "n" is "n.m". Positions are handed out when a
step begins (synchronously, before its first await), so a deterministic workflow gets the
same ids on every replay, including steps started together by `parallel`/`map`: the event
loop starts gathered coroutines in argument order.
"""

from __future__ import annotations

from contextvars import ContextVar


class Scope:
    __slots__ = ("_next", "path")

    def __init__(self, path: str = ""):
        self.path = path
        self._next = 0

    def next_step_id(self) -> str:
        n = self._next
        self._next += 1
        return f"{self.path}.{n}" if self.path else str(n)


current_scope: ContextVar[Scope] = ContextVar("flux_current_scope")
