"""`JobService`: script jobs over the engine (`POST /jobs/submit`, `GET /jobs`, ...).

A job is an execution of the built-in workflow `flux.job` (see `flux.jobs.workflow`). This
module validates a submission completely before anything is stored, writes the execution,
its first event and the `jobs` row in one transaction, and shows a job in the job
platform's shape, with its attempts read from the execution's event log.
"""

from __future__ import annotations

import ast
import json
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flux.api.jobs import (
    JobAttempt,
    JobList,
    JobState,
    JobSubmitted,
    JobSummary,
    JobView,
)
from flux.builtin_workflows import BUILTIN_VERSION
from flux.domain.events import ExecutionEventType, ExecutionState, utcnow
from flux.domain.limits import LimitError, check_concurrency, check_priority
from flux.domain.names import name_problem
from flux.domain.secret_names import check_env_names
from flux.engine.store import ExecutionExistsError, ExecutionRow
from flux.errors import ExecutionNotFoundError, ExecutionStateError
from flux.jobs.limits import job_limits
from flux.jobs.spec import (
    JobSpecError,
    RuntimeRequest,
    ScriptSpec,
    check_dependencies,
    check_filename,
    parse_runtime,
)
from flux.orchestrator.core import Core
from flux.orchestrator.group_commit import GroupCommit
from flux.orchestrator.idempotency import derived_id
from flux.orchestrator.limits import job_run_limits
from flux.orchestrator.store import JobRow, JobRun, NewJob, QueuedRun, server_event
from flux.orchestrator.waiters import Watch
from flux.secret_managers import missing_secrets

_S = ExecutionState
_E = ExecutionEventType
JOB_WORKFLOW = "flux.job"  # flux.jobs.workflow.JOB_WORKFLOW, without importing the engine
ATTEMPT_STEP = "script_attempt"
JOB_ID_PREFIX = "job-"
DEFAULT_NAME = "dataset-worker"
DEFAULT_TYPE = "GENERIC_SCRIPT"
MAX_RETRIES = 100
RUN_AT_SLACK = timedelta(seconds=60)  # a runAt this far in the past is clock skew: run now
_STATE = {
    _S.CREATED: JobState.PENDING,
    _S.SCHEDULED: JobState.PENDING,
    _S.CLAIMED: JobState.PENDING,
    _S.RUNNING: JobState.RUNNING,
    _S.PAUSED: JobState.RUNNING,
    _S.CANCELLING: JobState.RUNNING,
    _S.COMPLETED: JobState.COMPLETED,
    _S.FAILED: JobState.FAILED,
    _S.CANCELLED: JobState.CANCELLED,
}
_EXECUTION_STATES = {
    state: [s for s, shown in _STATE.items() if shown is state] for state in JobState
}


class JobNotFoundError(ExecutionNotFoundError):
    def __init__(self, job_id: str):
        super().__init__(job_id)
        self.args = (f"job '{job_id}' not found",)


def job_state(state: ExecutionState) -> JobState:
    return _STATE.get(state, JobState.PENDING)


def execution_states(state: JobState | None) -> list[ExecutionState] | None:
    return None if state is None else _EXECUTION_STATES[state]


@dataclass(frozen=True, slots=True)
class Submission:
    """A checked job: what gets stored."""

    spec: ScriptSpec
    name: str
    type: str
    runtime: RuntimeRequest
    run_at: datetime | None
    max_retries: int
    priority: int = 0
    # At most `concurrency` jobs with this `concurrencyKey` run at once (None: no limit).
    concurrency_key: str | None = None
    concurrency: int = 1


class JobService:
    def __init__(self, core: Core):
        self.core = core
        self.store = core.store
        # Told of each delayed job, so the timer can wake up for it (RunAtTimer.due_at).
        self.on_delayed: Callable[[datetime], None] | None = None
        # Submissions arriving together are stored in one transaction (see group_commit).
        self._commits: GroupCommit[NewJob] = GroupCommit(self.store.create_jobs, self._stored)

    # Submitting

    async def check(
        self, fields: Mapping[str, Any], script: bytes, filename: str | None
    ) -> Submission:
        """Validate everything a submission says; JobSpecError names the first problem.
        `fields` hold form text (JSON inside strings) or already-parsed JSON values."""
        settings = self.core.settings
        runtime = parse_runtime(_text(fields, "runtime", required=True))
        await self._check_available(runtime)
        source = _script_text(script, settings.jobs.max_script_bytes, filename)
        if runtime.family == "python":
            _check_python(source, filename)
        payload = _json_field(fields, "payload", default={})
        size = len(json.dumps(payload, ensure_ascii=False).encode())
        if size > settings.jobs.max_payload_bytes:
            raise JobSpecError(
                f"payload is {size} bytes; the limit is {settings.jobs.max_payload_bytes}"
            )
        dependencies = check_dependencies(runtime.family, _json_field(fields, "dependencies"))
        secrets = await self._check_secrets(_json_field(fields, "secrets"))
        limits = job_limits(
            settings.jobs,
            memory=_opt(fields, "memory", str),
            timeout=_opt(fields, "timeout", float),
            cpu_seconds=_opt(fields, "cpuSeconds", float),
            max_processes=_opt(fields, "maxProcesses", int),
            network=_opt(fields, "network", _boolean),
        )
        retries = _opt(fields, "maxRetries", int)
        if retries is None:
            retries = settings.jobs.max_retries
        if not 0 <= retries <= MAX_RETRIES:
            raise JobSpecError(f"maxRetries must be between 0 and {MAX_RETRIES}, not {retries}")
        priority, concurrency_key, concurrency = _queue_fields(fields)
        return Submission(
            spec=ScriptSpec(
                runtime=str(runtime),
                source=source,
                filename=check_filename(filename, runtime.family),
                payload=payload,
                dependencies=dependencies,
                secrets=secrets,
                limits=limits,
            ),
            name=_label(fields, "name", DEFAULT_NAME, 200),
            type=_label(fields, "type", DEFAULT_TYPE, 100),
            runtime=runtime,
            run_at=_run_at(fields.get("runAt")),
            max_retries=retries,
            priority=priority,
            concurrency_key=concurrency_key,
            concurrency=concurrency,
        )

    async def submit(self, job: Submission, idempotency_key: str | None = None) -> JobSubmitted:
        """Store and queue a checked job. With an idempotency key the server has seen, the
        job that key submitted is answered instead (`replayed`), whatever `job` says."""
        if idempotency_key is None:
            return await self._submit(job, JOB_ID_PREFIX + uuid.uuid4().hex)
        execution_id = derived_id(idempotency_key, JOB_ID_PREFIX)
        try:
            return await self._submit(job, execution_id)
        except ExecutionExistsError:
            # Job ids have their own prefix: a key used for a workflow run is not this id.
            view = await self.get(execution_id)
            return JobSubmitted(
                job_id=execution_id, state=view.state, run_at=view.run_at, replayed=True
            )

    async def _submit(self, job: Submission, execution_id: str) -> JobSubmitted:
        now = utcnow()
        delayed = job.run_at is not None and job.run_at > now
        job_input = {
            "script": job.spec.to_json(),
            "maxRetries": job.max_retries,
            "retryDelay": self.core.settings.jobs.retry_delay,
            "name": job.name,
            "type": job.type,
        }
        row = ExecutionRow(
            execution_id=execution_id,
            workflow_name=JOB_WORKFLOW,
            state=_S.CREATED if delayed else _S.SCHEDULED,
            input=self.core.codec.dumps(job_input, "the job"),
            created_at=now,
            updated_at=now,
            workflow_version=BUILTIN_VERSION,
            requests=json.dumps({"runtime": job.runtime.family}),
            priority=job.priority,
            limits=job_run_limits(job.concurrency_key, job.concurrency),
        )
        scheduled = server_event(execution_id, 0, _E.WORKFLOW_SCHEDULED, JOB_WORKFLOW, None, now)
        record = JobRow(
            execution_id, job.name, job.type, str(job.runtime), now, job.run_at if delayed else None
        )
        await self._commits.write((row, [scheduled], record))
        state = JobState.PENDING
        return JobSubmitted(job_id=execution_id, state=state, run_at=job.run_at)

    async def _check_secrets(self, names: Any) -> tuple[str, ...]:
        """The secret names a job asks for, each stored and usable as a variable name."""
        try:
            wanted = check_env_names(names)
        except ValueError as exc:
            raise JobSpecError(str(exc)) from None
        missing = await missing_secrets(self.store, wanted)
        if missing:
            raise JobSpecError(f"unknown secret(s): {', '.join(missing)}")
        return wanted

    def _stored(self, new: NewJob) -> None:
        """Right after a job's commit (in the group commit's drain): start its timer, or
        offer it to the workers now."""
        row, _, record = new
        if record.run_at is not None:
            if self.on_delayed is not None:
                self.on_delayed(record.run_at)
            return
        self.core.announce_queued(
            QueuedRun(
                row.execution_id,
                JOB_WORKFLOW,
                BUILTIN_VERSION,
                row.requests,
                row.created_at,
                row.priority,
                row.limits is not None,
            )
        )

    async def _check_available(self, runtime: RuntimeRequest) -> None:
        """Refuse a runtime no registered worker can run, when workers say what they have
        (a worker that reported nothing might have anything: then the worker decides)."""
        reports = []
        for worker in await self.core.workers():
            try:
                reported = json.loads(worker.resources).get("runtimes")
            except (ValueError, AttributeError):
                reported = None
            if reported:
                reports.append(reported)
        if not reports or any(_offers(report, runtime) for report in reports):
            return
        merged: dict[str, set[str]] = {}
        for report in reports:
            for family, versions in report.items():
                merged.setdefault(family, set()).update(versions)
        available = "; ".join(
            f"{family} {', '.join(sorted(versions, key=_version_key))}"
            for family, versions in sorted(merged.items())
        )
        raise JobSpecError(
            f"runtime '{runtime}' is not available on any worker; available: {available}"
        )

    # Reading

    async def get(self, job_id: str) -> JobView:
        found = await self.store.get_job(job_id)
        if found is None:
            raise JobNotFoundError(job_id)
        return await self._view(found)

    async def page(
        self,
        *,
        name: str | None,
        type: str | None,
        state: JobState | None,
        limit: int,
        offset: int,
    ) -> JobList:
        states = execution_states(state)
        found = await self.store.list_jobs(
            name=name, type=type, states=states, limit=limit, offset=offset
        )
        count = await self.store.count_jobs(name=name, type=type, states=states)
        return JobList(count=count, limit=limit, offset=offset, jobs=[_summary(j) for j in found])

    async def cancel(self, job_id: str) -> JobView:
        if await self.store.get_job(job_id) is None:
            raise JobNotFoundError(job_id)
        try:
            moved = await self.store.cancel(job_id, utcnow())
        except KeyError:
            raise JobNotFoundError(job_id) from None
        except Exception as exc:
            state = getattr(exc, "state", None)
            if state is None:
                raise
            raise ExecutionStateError(job_id, state.value, "cancel") from None
        self.core.announce([moved])
        if moved.state is _S.CANCELLING and moved.worker_name:
            self.core.tell_worker(moved.worker_name, {"kind": "cancel", "execution_id": job_id})
        return await self.get(job_id)

    async def _view(self, found: JobRun) -> JobView:
        job, run = found.job, found.run
        row = run.execution
        decode = self.core.decoder.decode
        job_input = decode(row.input)
        job_input = job_input if isinstance(job_input, dict) else {}
        script = job_input.get("script") or {}
        attempts = await self._attempts(found)
        last_done = next((a for a in reversed(attempts) if a.finished_at is not None), None)
        state = job_state(row.state)
        return JobView(
            job_id=job.execution_id,
            name=job.name,
            type=job.type,
            runtime=job.runtime,
            state=state,
            execution_state=row.state.value,
            exit_code=last_done.exit_code if last_done else None,
            run_at=job.run_at,
            created_at=job.created_at,
            updated_at=row.updated_at,
            max_retries=int(job_input.get("maxRetries", 0)),
            dependencies=list(script.get("dependencies") or []),
            payload=script.get("payload"),
            output=decode(row.output) if row.state is _S.COMPLETED else None,
            error=_error_text(run.lease.error) if row.state is _S.FAILED else None,
            logs=attempts[-1].logs if attempts else "",
            attempts=attempts,
            worker_name=run.lease.worker_name,
        )

    async def _attempts(self, found: JobRun) -> list[JobAttempt]:
        """The attempts, from the `script_attempt` steps of the log; a step still running
        shows the output shipped so far."""
        decode = self.core.decoder.decode
        started: dict[str, datetime] = {}
        finished: dict[str, Any] = {}
        for event in found.run.execution.events:
            if event.name != ATTEMPT_STEP:
                continue
            if event.type == _E.TASK_STARTED:
                started.setdefault(event.source_id, event.time)
            elif event.type == _E.TASK_COMPLETED:
                finished[event.source_id] = decode(event.value)
        attempts = []
        for number, (step_id, began) in enumerate(started.items(), start=1):
            record = finished.get(step_id)
            if isinstance(record, dict):
                attempts.append(finished_attempt(number, began, record))
                continue
            live = await self.store.read_logs(found.job.execution_id, step_id)
            attempts.append(
                JobAttempt(
                    attempt=number,
                    state=JobState.RUNNING,
                    started_at=began,
                    logs=_joined(live),
                )
            )
        return attempts

    # Following

    async def follow(self, job_id: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """SSE events of a job's logs: `log` {attempt, text} as output arrives, `attempt`
        when one ends, then `end` with the job's final state. Ends at once for a finished
        job, after sending everything it printed."""
        if await self.store.get_job(job_id) is None:
            raise JobNotFoundError(job_id)
        watch = self.core.waiters.open(job_id)
        return self._follow(job_id, watch)

    async def _follow(self, job_id: str, watch: Watch) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        sent: dict[int, int] = {}  # attempt -> characters sent
        ended: set[int] = set()
        try:
            while True:
                view = await self.get(job_id)
                for attempt in view.attempts:
                    text = attempt.logs[sent.get(attempt.attempt, 0) :]
                    if text:
                        sent[attempt.attempt] = len(attempt.logs)
                        yield "log", {"attempt": attempt.attempt, "text": text}
                    if attempt.finished_at is not None and attempt.attempt not in ended:
                        ended.add(attempt.attempt)
                        yield (
                            "attempt",
                            attempt.model_dump(mode="json", by_alias=True, exclude={"logs"}),
                        )
                if view.state in (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED):
                    yield (
                        "end",
                        {
                            "jobId": job_id,
                            "state": view.state.value,
                            "exitCode": view.exit_code,
                            "output": view.output,
                            "error": view.error,
                        },
                    )
                    return
                try:
                    await watch.next(15.0)
                except TimeoutError:
                    yield "keepalive", {}
        finally:
            self.core.waiters.close(job_id, watch)


def finished_attempt(number: int, began: datetime, record: dict[str, Any]) -> JobAttempt:
    ok = record.get("reason") is None and record.get("exit_code") == 0
    return JobAttempt(
        attempt=number,
        state=JobState.COMPLETED if ok else JobState.FAILED,
        started_at=_time(record.get("started_at")) or began,
        finished_at=_time(record.get("finished_at")) or began,
        exit_code=record.get("exit_code"),
        signal=record.get("signal"),
        reason=record.get("reason"),
        limit=record.get("limit"),
        logs=record.get("logs") or "",
        sandbox=record.get("sandbox") or None,
        runtime=record.get("runtime") or None,
        usage=record.get("usage") or {},
        enforced=record.get("enforced") or {},
        output=record.get("output"),
    )


def _summary(found: JobRun) -> JobSummary:
    job, run = found.job, found.run
    return JobSummary(
        job_id=job.execution_id,
        name=job.name,
        type=job.type,
        runtime=job.runtime,
        state=job_state(run.execution.state),
        execution_state=run.execution.state.value,
        run_at=job.run_at,
        created_at=job.created_at,
        updated_at=run.execution.updated_at,
        worker_name=run.lease.worker_name,
    )


def _error_text(error: str | None) -> str | None:
    # The job workflow fails with ScriptError; its type name adds nothing for a job's user.
    return error.removeprefix("ScriptError: ") if error else error


def _joined(chunks: list[Any]) -> str:
    # Chunks are ordered by offset; a retried shipment may overlap, so text is placed by
    # its offset rather than appended blindly.
    text = ""
    for chunk in chunks:
        if chunk.offset <= len(text):
            text = text[: chunk.offset] + chunk.text
    return text


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


# Field parsing: form fields arrive as text; JSON bodies give typed values.


def _text(fields: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = fields.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise JobSpecError(f"'{key}' is required")
        return ""
    if not isinstance(value, str):
        raise JobSpecError(f"'{key}' must be a string")
    return value.strip()


def _json_field(fields: Mapping[str, Any], key: str, default: Any = None) -> Any:
    value = fields.get(key)
    if value is None:
        return default
    if isinstance(value, str):
        if not value.strip():
            return default
        try:
            return json.loads(value)
        except ValueError as exc:
            raise JobSpecError(f"'{key}' is not valid JSON: {exc}") from None
    return value


def _opt(fields: Mapping[str, Any], key: str, kind: Any) -> Any:
    value = fields.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if kind is int and isinstance(value, str):
            return int(value.strip())
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError
        return kind(value)
    except (TypeError, ValueError):
        raise JobSpecError(
            f"'{key}' is not a valid {getattr(kind, '__name__', 'value')}: {value!r}"
        ) from None


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(value)


def _queue_fields(fields: Mapping[str, Any]) -> tuple[int, str | None, int]:
    """`priority`, and `concurrencyKey` with `concurrency` (default 1: one at a time)."""
    try:
        priority = check_priority(_opt(fields, "priority", int) or 0)
        key = _text(fields, "concurrencyKey") or None
        concurrency = _opt(fields, "concurrency", int)
        if concurrency is not None and key is None:
            raise JobSpecError("'concurrency' needs 'concurrencyKey' (the jobs it limits)")
        concurrency = check_concurrency(1 if concurrency is None else concurrency)
    except LimitError as exc:
        raise JobSpecError(str(exc)) from None
    if key is not None and (len(key) > 200 or not key.isprintable()):
        raise JobSpecError("'concurrencyKey' must be printable text of at most 200 characters")
    return priority, key, concurrency


def _label(fields: Mapping[str, Any], key: str, default: str, longest: int) -> str:
    value = _text(fields, key) or default
    problem = name_problem(value, longest)
    if problem is not None:
        raise JobSpecError(f"'{key}' {problem}")
    return value


def _run_at(value: Any) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise JobSpecError("'runAt' must be an ISO-8601 date string")
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise JobSpecError(
            f"'runAt' is not an ISO-8601 date: {value[:60]!r} (e.g. 2030-01-01T12:00:00Z)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # a date without offset is read as UTC
    if when < utcnow() - RUN_AT_SLACK:
        raise JobSpecError(f"'runAt' {value} is in the past")
    return when.astimezone(UTC)


def _script_text(script: bytes, limit: int, filename: str | None) -> str:
    if not script.strip():
        raise JobSpecError("the script is empty")
    if len(script) > limit:
        raise JobSpecError(f"the script is {len(script)} bytes; the limit is {limit}")
    try:
        return script.decode("utf-8")
    except UnicodeDecodeError:
        raise JobSpecError(f"{filename or 'the script'} is not UTF-8 text") from None


def _check_python(source: str, filename: str | None) -> None:
    # Parsed here (never run) so that a syntax error is a 400 now, not three failed attempts.
    try:
        ast.parse(source, filename=filename or "script.py")
    except SyntaxError as exc:
        raise JobSpecError(
            f"{filename or 'the script'} has a syntax error, line {exc.lineno}: {exc.msg}"
        ) from None
    except ValueError as exc:
        raise JobSpecError(f"{filename or 'the script'} cannot be parsed: {exc}") from None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def _offers(report: Mapping[str, list[str]], runtime: RuntimeRequest) -> bool:
    """Whether a worker with these runtimes runs `runtime`: that version or a newer one (a
    version a worker lacks maps to the next one it has), within Python 3 for Python."""
    versions = report.get(runtime.family) or []
    if not versions:
        return False
    if runtime.version is None:
        return True
    wanted = _version_key(runtime.version)
    for version in versions:
        have = _version_key(version)
        same_major = have[:1] == wanted[:1] or runtime.family != "python"
        if same_major and have[: len(wanted)] >= wanted:
            return True
    return False
