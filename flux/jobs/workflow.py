"""Script jobs as executions of the engine, and sandboxed scripts as steps of any workflow.

A job submitted over HTTP is an execution of the built-in workflow `flux.job`: each attempt
is one recorded step (`script_attempt`) whose value is the attempt's record (exit code,
reason, logs, output, usage), with a durable backoff sleep between attempts. So retries,
recovery from a dead worker, cancellation, status and listings are the engine's, and a
finished attempt is never run again after a crash.

`run_script` is the same thing for Python workflows: a task that runs a script in the
sandbox and returns its output (or raises `ScriptError` with the attempt's record).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from flux.config import Configuration
from flux.domain.execution_context import ExecutionContext
from flux.domain.secret_names import check_env_names, env_value
from flux.engine.runtime import active_run
from flux.engine.steps import current_scope
from flux.errors import ScriptError
from flux.jobs.limits import job_limits
from flux.jobs.output import StepOutput, output_sink
from flux.jobs.spec import (
    AttemptResult,
    JobSpecError,
    ScriptSpec,
    check_dependencies,
    check_filename,
    parse_runtime,
)
from flux.task import task
from flux.tasks.builtins import sleep
from flux.workflow import workflow

JOB_WORKFLOW = "flux.job"
ATTEMPT_STEP = "script_attempt"
MAX_RETRY_DELAY = 300.0  # seconds: the doubling backoff stops growing here
# An attempt that could not even start the same way next time is not retried.
_FINAL_REASONS = ("runtime unavailable",)


async def _run(spec: ScriptSpec) -> AttemptResult:
    """Run `spec` in this process's sandbox, shipping its output live when the edge running
    this workflow set a sink."""
    from flux.jobs.runner import default_runner  # sandboxes load only where scripts run

    sink = output_sink.get()
    out: StepOutput | None = None
    if sink is not None:
        ctx = await ExecutionContext.get()
        out = sink.open(ctx.execution_id, current_scope.get().path)
    run = active_run()
    if run is not None:
        # The step's start travels now, not with its end: a script may run for minutes, and
        # status, live logs and the dashboard should show it running meanwhile.
        await run.checkpointer.commit()
    try:
        spec = await _with_secrets(spec)
        runner = default_runner(Configuration.get().settings)
        return await runner.run(spec, on_output=out.write if out is not None else None)
    finally:
        if out is not None:
            out.close()


async def _with_secrets(spec: ScriptSpec) -> ScriptSpec:
    """`spec` with the values of the secrets it names in its environment. Fetched through the
    run's secret source (on a worker: for the run it holds; the values are then masked in
    everything the run records), per attempt, and only into the spec handed to the sandbox:
    the stored spec keeps the names alone."""
    if not spec.secrets:
        return spec
    run = active_run()
    if run is None:
        raise ScriptError("a script's secrets can only be read inside a running workflow")
    values = await run.services.secrets.get(list(spec.secrets))
    return replace(spec, env={**spec.env, **{k: env_value(v) for k, v in values.items()}})


@task.with_options(name=ATTEMPT_STEP)
async def _attempt(number: int, node: str | None = None, payload: Any = None) -> dict[str, Any]:
    """One run of a job's script (`node` None: the spec is the execution's input, read here
    rather than passed in so the script is stored once, not once more per attempt), or of
    a DAG node's script with its upstream outputs as `payload`."""
    if node is None:
        ctx = await ExecutionContext.get()
        spec = ScriptSpec.from_json(ctx.input["script"])
    else:
        spec = replace(dag_nodes.get()[node], payload=payload)
    return (await _run(spec)).to_json()


# The scripts of the DAG being run in this context (node id -> spec), set by its workflow.
dag_nodes: ContextVar[dict[str, ScriptSpec]] = ContextVar("flux_dag_nodes")


def succeeded(record: dict[str, Any]) -> bool:
    return record.get("reason") is None and record.get("exit_code") == 0


async def run_attempts(
    retries: int, delay: float, node: str | None = None, payload: Any = None
) -> tuple[dict[str, Any], int]:
    """Attempts until one succeeds or `retries` retries failed, with a durable doubling
    backoff; returns the last attempt's record and how many ran."""
    record: dict[str, Any] = {}
    number = 0
    for number in range(1, retries + 2):
        if number > 1:
            await sleep(min(delay * 2 ** (number - 2), MAX_RETRY_DELAY))
        record = await _attempt(number, node, payload) if node else await _attempt(number)
        if succeeded(record) or str(record.get("reason")).startswith(_FINAL_REASONS):
            break
    return record, number


def failure(record: dict[str, Any], attempts: int) -> str:
    return f"failed after {attempts} attempt{'s' if attempts > 1 else ''}: {record.get('reason')}"


@workflow.with_options(name=JOB_WORKFLOW)
async def script_job(ctx: ExecutionContext[dict[str, Any]]) -> Any:
    """Input: {"script": ScriptSpec JSON, "maxRetries": n, "retryDelay": seconds}. Output:
    the script's output. Fails with the last attempt's reason when every attempt failed."""
    job = ctx.input or {}
    record, attempts = await run_attempts(
        int(job.get("maxRetries", 0)), float(job.get("retryDelay", 1.0))
    )
    if succeeded(record):
        return record.get("output")
    raise ScriptError(f"the job {failure(record, attempts)}")


def build_spec(
    runtime: str,
    script: str,
    payload: Any = None,
    *,
    dependencies: list[str] | None = None,
    filename: str | None = None,
    env: dict[str, str] | None = None,
    secrets: list[str] | None = None,
    memory: str | int | None = None,
    timeout: float | None = None,
    cpu_seconds: float | None = None,
    max_processes: int | None = None,
    network: bool | None = None,
) -> ScriptSpec:
    """A validated spec (JobSpecError says what is wrong), limits from this process's
    `jobs.*` settings."""
    wanted = parse_runtime(runtime)
    limits = job_limits(
        Configuration.get().settings.jobs,
        memory=memory,
        timeout=timeout,
        cpu_seconds=cpu_seconds,
        max_processes=max_processes,
        network=network,
    )
    return ScriptSpec(
        runtime=str(wanted),
        source=script,
        filename=check_filename(filename, wanted.family),
        payload=payload,
        dependencies=check_dependencies(wanted.family, dependencies),
        limits=limits,
        env=dict(env or {}),
        secrets=_secret_names(secrets),
    )


def _secret_names(names: list[str] | None) -> tuple[str, ...]:
    try:
        return check_env_names(names)
    except ValueError as exc:
        raise JobSpecError(str(exc)) from None


@task.with_options(name="run_script")
async def run_script(
    runtime: str,
    script: str,
    payload: Any = None,
    *,
    dependencies: list[str] | None = None,
    filename: str | None = None,
    env: dict[str, str] | None = None,
    secrets: list[str] | None = None,
    memory: str | int | None = None,
    timeout: float | None = None,
    cpu_seconds: float | None = None,
    max_processes: int | None = None,
    network: bool | None = None,
) -> Any:
    """Run a Python, Node.js or Bash script in the sandbox as a step of this workflow and
    return its output (what a Node function returns, or the JSON a script writes to
    $FLUX_OUTPUT). `secrets` names stored secrets the script gets as environment variables
    (masked in everything recorded). Raises ScriptError, carrying the attempt's record
    (logs, exit code, reason), when it fails; give the task retries with
    `run_script.with_options(...)`."""
    spec = build_spec(
        runtime,
        script,
        payload,
        dependencies=dependencies,
        filename=filename,
        env=env,
        secrets=secrets,
        memory=memory,
        timeout=timeout,
        cpu_seconds=cpu_seconds,
        max_processes=max_processes,
        network=network,
    )
    result = await _run(spec)
    if not result.ok:
        raise ScriptError(f"{spec.runtime} script failed: {result.reason}", result.to_json())
    return result.output
