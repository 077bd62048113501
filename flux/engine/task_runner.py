"""Running one task call as a durable step: replay, cache, retries, timeout, fallback, rollback.

Event order for a step: TASK_STARTED, then any TASK_RETRY_* / TASK_FALLBACK_* /
TASK_ROLLBACK_* events, then TASK_COMPLETED or TASK_FAILED. Replay trusts only the last two:
a step that has neither was in flight when the process died and runs again.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import pickle
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flux.domain.events import ExecutionEventType
from flux.domain.task_metadata import TaskMetadata
from flux.engine.options import TaskOptions
from flux.engine.runtime import ActiveRun, StepHooks, active_run
from flux.engine.steps import Scope, current_scope
from flux.errors import ExecutionError, ExecutionTimeoutError, RetryError, SerializationError

_E = ExecutionEventType


async def run_task(
    opts: TaskOptions, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    run = active_run()
    if run is None:
        # Called outside any workflow: plain function semantics, nothing recorded.
        return await _call(func, args, kwargs)
    step_id = current_scope.get().next_step_id()
    recorded = run.history.visit(step_id, opts.name)
    if recorded is not None and recorded.completed:
        return recorded.value
    if recorded is not None and recorded.failed:
        raise _as_exception(recorded.value)
    hooks = run.services.hooks
    if hooks is not None:
        return await _run_hooked(hooks, run, opts, func, step_id, args, kwargs)
    return await _run_step(run, opts, func, step_id, args, kwargs)


async def _run_hooked(
    hooks: StepHooks,
    run: ActiveRun,
    opts: TaskOptions,
    func: Callable[..., Any],
    step_id: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """A step under a test harness: the hooks see every attempt of the body, then the step's
    durable outcome (`_run_step` returns or raises only once that outcome is committed)."""
    execution_id = run.ctx.execution_id
    body = hooks.wrap_body(execution_id, step_id, opts.name, func)
    try:
        value = await _run_step(run, opts, body, step_id, args, kwargs)
    except Exception:
        await hooks.after_step(execution_id, step_id, opts.name, True)
        raise
    await hooks.after_step(execution_id, step_id, opts.name, False)
    return value


async def _run_step(
    run: ActiveRun,
    opts: TaskOptions,
    func: Callable[..., Any],
    step_id: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    cp = run.checkpointer
    cache_key = _cache_key(opts, args, kwargs) if opts.cache else None
    if cache_key is not None:
        hit = await run.services.store.cache_get(cache_key, run.services.clock.utcnow())
        if hit is not None:
            value = run.services.codec.loads(hit)
            cp.add(_E.TASK_STARTED, step_id, opts.name, _inputs(args, kwargs), what=_what(opts))
            cp.add(_E.TASK_COMPLETED, step_id, opts.name, value, what=_what(opts, "output"))
            await cp.commit()
            return value
    cp.add(_E.TASK_STARTED, step_id, opts.name, _inputs(args, kwargs), what=_what(opts))
    token = current_scope.set(Scope(step_id))
    try:
        value, from_fallback = await _with_policies(run, opts, func, step_id, args, kwargs)
        cp.add(_E.TASK_COMPLETED, step_id, opts.name, value, what=_what(opts, "output"))
    except Exception as exc:
        cp.add(_E.TASK_FAILED, step_id, opts.name, exc, what="an exception")
        await cp.commit()
        raise
    finally:
        current_scope.reset(token)
    # Only the task's own result is cached: a fallback answer must not outlive the outage.
    if cache_key is not None and not from_fallback:
        expires = (
            run.services.clock.utcnow() + timedelta(seconds=opts.cache_ttl)
            if opts.cache_ttl
            else None
        )
        await run.services.store.cache_set(cache_key, run.services.codec.dumps(value), expires)
    await cp.commit()
    return value


async def _with_policies(
    run: ActiveRun,
    opts: TaskOptions,
    func: Callable[..., Any],
    step_id: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[Any, bool]:
    """The step's value, and whether it came from the fallback."""
    if opts.is_plain:
        # Most steps have no policy; skipping four coroutine frames per step matters in
        # 10,000-step fan-outs (fewer allocations, fewer garbage-collector passes).
        result = func(*args, **kwargs)
        return (await result if inspect.isawaitable(result) else result), False
    try:
        return await _with_retries(run, opts, func, step_id, args, kwargs), False
    except asyncio.CancelledError:
        await _rollback(run, opts, step_id, args, kwargs)
        raise
    except Exception:
        if opts.fallback is None:
            await _rollback(run, opts, step_id, args, kwargs)
            raise
    try:
        return await _fallback(run, opts, step_id, args, kwargs), True
    except Exception:
        await _rollback(run, opts, step_id, args, kwargs)
        raise


async def _with_retries(
    run: ActiveRun,
    opts: TaskOptions,
    func: Callable[..., Any],
    step_id: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    try:
        return await _attempt(run, opts, func, step_id, args, kwargs)
    except Exception as first_error:
        if opts.retry_max_attempts == 0:
            raise
        last_error: Exception = first_error
    cp = run.checkpointer
    for attempt in range(1, opts.retry_max_attempts + 1):
        wait = opts.retry_wait(attempt)
        await asyncio.sleep(wait)
        info = {"attempt": attempt, "max_attempts": opts.retry_max_attempts, "delay": wait}
        cp.add(_E.TASK_RETRY_STARTED, step_id, opts.name, info)
        try:
            value = await _attempt(run, opts, func, step_id, args, kwargs)
        except Exception as exc:
            last_error = exc
            cp.add(_E.TASK_RETRY_FAILED, step_id, opts.name, {**info, "error": exc})
            await cp.commit()
            continue
        cp.add(_E.TASK_RETRY_COMPLETED, step_id, opts.name, {**info, "output": value})
        return value
    raise RetryError(
        last_error, opts.retry_max_attempts, opts.retry_delay, opts.retry_backoff
    ) from last_error


async def _attempt(
    run: ActiveRun,
    opts: TaskOptions,
    func: Callable[..., Any],
    step_id: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    # Secrets are fetched per attempt, inside the policies: a missing secret is a task
    # failure like any other (retried, then fallback/rollback, then TASK_FAILED recorded).
    call_kwargs = await _injected_kwargs(run, opts, step_id, kwargs)
    if opts.timeout <= 0:
        return await _call(func, args, call_kwargs)
    try:
        return await asyncio.wait_for(_call(func, args, call_kwargs), opts.timeout)
    except TimeoutError:
        raise ExecutionTimeoutError("task", opts.name, step_id, opts.timeout) from None


async def _fallback(
    run: ActiveRun, opts: TaskOptions, step_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    assert opts.fallback is not None
    cp = run.checkpointer
    cp.add(_E.TASK_FALLBACK_STARTED, step_id, opts.name)
    try:
        value = await _call(opts.fallback, args, kwargs)
    except Exception as exc:
        cp.add(_E.TASK_FALLBACK_FAILED, step_id, opts.name, exc)
        raise
    cp.add(_E.TASK_FALLBACK_COMPLETED, step_id, opts.name, value, what=_what(opts, "output"))
    return value


async def _rollback(
    run: ActiveRun, opts: TaskOptions, step_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    if opts.rollback is None:
        return
    cp = run.checkpointer
    cp.add(_E.TASK_ROLLBACK_STARTED, step_id, opts.name)
    try:
        value = await _call(opts.rollback, args, kwargs)
    except Exception as exc:
        # The original failure is what the caller must see; a failed cleanup is recorded.
        cp.add(_E.TASK_ROLLBACK_FAILED, step_id, opts.name, exc)
        return
    cp.add(_E.TASK_ROLLBACK_COMPLETED, step_id, opts.name, value, what=_what(opts, "output"))


async def _call(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = func(*args, **kwargs)
    if inspect.isawaitable(result):
        return await result
    return result


async def _injected_kwargs(
    run: ActiveRun, opts: TaskOptions, step_id: str, kwargs: dict[str, Any]
) -> dict[str, Any]:
    # Injected after TASK_STARTED is recorded, so secret values never reach the event log.
    if not opts.secret_requests and not opts.metadata:
        return kwargs
    extra = dict(kwargs)
    if opts.secret_requests:
        extra["secrets"] = await run.services.secrets.get(list(opts.secret_requests))
    if opts.metadata:
        extra["metadata"] = TaskMetadata(step_id, opts.name)
    return extra


def _inputs(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not kwargs:
        return list(args)
    return {"args": list(args), "kwargs": kwargs}


def _what(opts: TaskOptions, part: str = "input") -> str:
    return f"the {part} of task '{opts.name}'"


def _cache_key(opts: TaskOptions, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    try:
        material = pickle.dumps((opts.name, args, sorted(kwargs.items())), protocol=4)
    except Exception as exc:
        raise SerializationError(f"the cache key of task '{opts.name}'", "pkl", exc) from exc
    return f"{opts.name}:{hashlib.sha256(material).hexdigest()}"


def _as_exception(value: Any) -> BaseException:
    if isinstance(value, BaseException):
        return value
    return ExecutionError(message=str(value))
