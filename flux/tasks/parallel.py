"""Running several steps at once, and one after another."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def parallel(*calls: Awaitable[Any]) -> list[Any]:
    """Await all `calls` concurrently; results in argument order.

    When a call fails, the others still run to their end before the first failure (in
    argument order) is raised: no branch is left running unobserved, and a replay raises
    the same error as the original run.
    """
    if not calls:
        return []
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


async def pipeline(*steps: Callable[[Any], Awaitable[Any]], input: Any = None) -> Any:
    """Feed `input` through `steps` in order, each step receiving the previous result."""
    result = input
    for step in steps:
        result = await step(result)
    return result
