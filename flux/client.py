"""Typed, synchronous HTTP client of the Flux server.

    from flux.client import FluxClient

    with FluxClient("http://localhost:8000") as client:
        client.upload_workflow("hello.py")
        view = client.run("hello_world", "World", mode="sync")
        print(view.state, view.output)

Every method returns the models of `flux.api.models` and raises a `FluxClientError` subclass
carrying the server's `detail` message and HTTP status. The CLI and the MCP server talk to the
server only through this module.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from flux.api.audit import AuditPage
from flux.api.auth import ApiKeyCreated, ApiKeyView, WhoAmI
from flux.api.dags import DagRunEnvelope, DagRunView, DagSubmitted
from flux.api.jobs import JobEnvelope, JobList, JobSubmitted, JobView
from flux.api.limits import LimitList
from flux.api.models import (
    ExecutionList,
    ExecutionView,
    SecretValue,
    WorkerView,
    WorkflowDetail,
    WorkflowInfo,
)
from flux.api.schedules import (
    ScheduleCreate,
    SchedulePreview,
    SchedulePreviewRequest,
    ScheduleView,
)
from flux.config import Configuration
from flux.errors import FluxError

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "EventStream",
    "FluxClient",
    "FluxClientError",
    "InvalidRequestError",
    "NotFoundError",
    "ServerError",
    "ServerUnavailableError",
    "StreamEvent",
]

WaitMode = Literal["sync", "async"]
# "Not sent" for optional request fields where None already means JSON null (FluxClient.rerun).
NOT_GIVEN: Any = object()
M = TypeVar("M", bound=BaseModel)

_JSON_HEADERS = {"Content-Type": "application/json"}
_WAIT_MODES = ("sync", "async")


class FluxClientError(FluxError):
    """The server refused a request or could not be reached. `status_code` is None when no
    HTTP answer came back."""

    def __init__(self, message: str, status_code: int | None = None):
        self.message = message
        self.status_code = status_code
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class InvalidRequestError(FluxClientError):
    """400 or 422: the request was malformed (bad input, a workflow file that does not parse)."""


class AuthenticationError(FluxClientError):
    """401 or 403: no token, a wrong one, or one without the needed role."""


class NotFoundError(FluxClientError):
    """404: unknown workflow, execution or secret."""


class ConflictError(FluxClientError):
    """409: the execution is not in a state that allows what was asked."""


class ServerError(FluxClientError):
    """A 5xx answer: the server failed while handling the request."""


class ServerUnavailableError(FluxClientError):
    """No answer: connection refused, timed out, or cut; or a 502/503/504 from in front of it."""


_ERRORS_BY_STATUS: dict[int, type[FluxClientError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    422: InvalidRequestError,
    502: ServerUnavailableError,
    503: ServerUnavailableError,
    504: ServerUnavailableError,
}


@dataclass(frozen=True)
class StreamEvent:
    """One server-sent event: `event` is its name (e.g. `workflow.execution.completed`),
    `data` its payload decoded from JSON (the raw text when it is not JSON)."""

    event: str
    data: Any
    id: str | None = None


class EventStream:
    """The events of a streamed run, in order; ends when the server closes the stream.

    Iterate it, or use it as a context manager to close the connection early.
    """

    def __init__(self, response: httpx.Response, on_error: _ErrorMapper):
        self._response = response
        self._on_error = on_error
        self._events = _parse_sse(response.iter_lines())

    def __iter__(self) -> Iterator[StreamEvent]:
        return self

    def __next__(self) -> StreamEvent:
        try:
            return next(self._events)
        except StopIteration:
            self.close()
            raise
        except httpx.TransportError as exc:
            self.close()
            raise self._on_error(exc) from None

    def close(self) -> None:
        self._response.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _ErrorMapper:
    """Turns transport failures into `ServerUnavailableError`s that name the server."""

    def __init__(self, server_url: str, timeout: float):
        self.server_url = server_url
        self.timeout = timeout

    def __call__(self, exc: httpx.TransportError) -> ServerUnavailableError:
        if isinstance(exc, httpx.TimeoutException):
            reason = f"no answer within {self.timeout:g}s"
        elif isinstance(exc, httpx.ConnectError) and "refused" in str(exc).lower():
            reason = "connection refused"
        else:
            reason = str(exc) or type(exc).__name__
        return ServerUnavailableError(
            f"cannot reach the Flux server at {self.server_url}: {reason}"
        )


def default_server_url() -> str:
    """The configured server (`workers.server_url`, e.g. `FLUX_WORKERS__SERVER_URL`)."""
    return Configuration.get().settings.workers.server_url


class FluxClient:
    """A connection to one Flux server; keeps connections alive between calls.

    `token` is the API key sent as `Authorization: Bearer` (docs/security.md); by default
    the `api_key` setting (`FLUX_API_KEY`). `timeout` bounds every call except the ones
    that wait for a run (`mode="sync"`, streams):
    those are bounded by the server, which answers a sync wait after `server.sync_timeout`
    with the run's current state, so the client does not cut them short.
    """

    def __init__(
        self,
        server_url: str | None = None,
        timeout: float = 30.0,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ):
        self.server_url = (server_url or default_server_url()).rstrip("/")
        self._on_error = _ErrorMapper(self.server_url, timeout)
        self._wait_timeout = httpx.Timeout(timeout, read=None)
        if token is None:
            token = Configuration.get().settings.api_key  # FLUX_API_KEY, flux.toml api_key
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.server_url, timeout=timeout, headers=headers, transport=transport
        )

    # -- workflows -------------------------------------------------------------------------

    def upload_workflow(self, path: str | os.PathLike[str]) -> list[WorkflowInfo]:
        """Register the workflows of a Python file. The server parses it, never runs it."""
        file = Path(path)
        upload = {"file": (file.name, file.read_bytes(), "text/x-python")}
        response = self._send("POST", "/workflows", files=upload)
        return _parse_list(WorkflowInfo, response)

    def upload_workflow_source(
        self, source: str | bytes, filename: str = "workflow.py"
    ) -> list[WorkflowInfo]:
        """Register the workflows of Python source held in memory (no file on disk), as
        `upload_workflow` does for a file; `filename` is the name the catalog shows."""
        content = source.encode() if isinstance(source, str) else source
        upload = {"file": (filename, content, "text/x-python")}
        response = self._send("POST", "/workflows", files=upload)
        return _parse_list(WorkflowInfo, response)

    def list_workflows(self) -> list[WorkflowInfo]:
        return _parse_list(WorkflowInfo, self._send("GET", "/workflows"))

    def get_workflow(self, name: str) -> WorkflowDetail:
        return _parse(WorkflowDetail, self._send("GET", f"/workflows/{_segment(name)}"))

    # -- executions ------------------------------------------------------------------------

    def run(
        self,
        name: str,
        input: Any = None,
        mode: WaitMode = "async",
        *,
        idempotency_key: str | None = None,
        priority: int | None = None,
    ) -> ExecutionView:
        """Start a run. `async` returns once it is queued; `sync` when it ends or pauses.
        With an `idempotency_key` the server has seen, the run that key started is
        returned (and waited for) instead of a new one. `priority` overrides the
        workflow's: queued runs with a higher one start first."""
        path = f"/workflows/{_segment(name)}/run/{_wait_mode(mode)}"
        if priority is not None:
            path += f"?priority={int(priority)}"
        headers = _idempotency(idempotency_key)
        return _parse(ExecutionView, self._post_input(path, input, mode, headers))

    def stream(
        self,
        name: str,
        input: Any = None,
        *,
        idempotency_key: str | None = None,
        priority: int | None = None,
    ) -> EventStream:
        """Start a run and follow it: `workflow.execution.*` events until it ends or pauses."""
        path = f"/workflows/{_segment(name)}/run/stream"
        if priority is not None:
            path += f"?priority={int(priority)}"
        return self._open_stream(path, input, _idempotency(idempotency_key))

    def resume(
        self, name: str, execution_id: str, input: Any = None, mode: WaitMode = "async"
    ) -> ExecutionView:
        """Resume a paused run; its `pause(...)` call returns `input`."""
        path = f"/workflows/{_segment(name)}/resume/{_segment(execution_id)}/{_wait_mode(mode)}"
        return _parse(ExecutionView, self._post_input(path, input, mode))

    def resume_stream(self, name: str, execution_id: str, input: Any = None) -> EventStream:
        path = f"/workflows/{_segment(name)}/resume/{_segment(execution_id)}/stream"
        return self._open_stream(path, input)

    def status(self, name: str, execution_id: str, detailed: bool = False) -> ExecutionView:
        """A run's state; `detailed` adds its event log."""
        path = f"/workflows/{_segment(name)}/status/{_segment(execution_id)}"
        response = self._send("GET", path, params={"detailed": _flag(detailed)})
        return _parse(ExecutionView, response)

    def cancel(self, name: str, execution_id: str, mode: WaitMode = "async") -> ExecutionView:
        """Ask a run to stop; `sync` waits until it has (its rollbacks included)."""
        path = f"/workflows/{_segment(name)}/cancel/{_segment(execution_id)}"
        timeout = self._wait_timeout if mode == "sync" else httpx.USE_CLIENT_DEFAULT
        params = {"mode": _wait_mode(mode)}
        return _parse(ExecutionView, self._send("GET", path, params=params, timeout=timeout))

    def list_executions(
        self,
        workflow: str | None = None,
        state: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> ExecutionList:
        """Runs, newest first, optionally of one workflow and/or in one state."""
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        if workflow is not None:
            params["workflow"] = workflow
        if state is not None:
            params["state"] = state
        return _parse(ExecutionList, self._send("GET", "/executions", params=params))

    def get_execution(self, execution_id: str, detailed: bool = False) -> ExecutionView:
        path = f"/executions/{_segment(execution_id)}"
        response = self._send("GET", path, params={"detailed": _flag(detailed)})
        return _parse(ExecutionView, response)

    def rerun(
        self,
        execution_id: str,
        *,
        input: Any = NOT_GIVEN,
        step_output: Any = NOT_GIVEN,
        step_id: str | None = None,
        version: str | None = None,
        mode: WaitMode = "async",
        detailed: bool = False,
        idempotency_key: str | None = None,
    ) -> ExecutionView:
        """Start a new run of a FAILED or CANCELLED execution that reuses the steps it
        finished (their recorded values) and runs the rest; the view's `rerun_of` names the
        original. `input` replaces the run's input; `step_output` is returned by the step
        that failed (or `step_id`) instead of running it; `version` is "latest" (default),
        "original" or a version hash. Leave a value out to not send it (None sends null)."""
        body: dict[str, Any] = {}
        if input is not NOT_GIVEN:
            body["input"] = input
        if step_output is not NOT_GIVEN:
            body["step_output"] = step_output
        if step_id is not None:
            body["step_id"] = step_id
        if version is not None:
            body["version"] = version
        query = f"mode={_wait_mode(mode)}&detailed={_flag(detailed)}"
        path = f"/executions/{_segment(execution_id)}/rerun?{query}"
        response = self._post_input(path, body, mode, _idempotency(idempotency_key))
        return _parse(ExecutionView, response)

    # -- script jobs -----------------------------------------------------------------------

    def submit_job(
        self,
        script: str | os.PathLike[str] | bytes,
        runtime: str,
        *,
        name: str | None = None,
        payload: Any = None,
        dependencies: list[str] | None = None,
        secrets: list[str] | None = None,
        run_at: datetime | str | None = None,
        max_retries: int | None = None,
        type: str | None = None,
        filename: str | None = None,
        idempotency_key: str | None = None,
        **limits: Any,
    ) -> JobSubmitted:
        """Queue a Python, Node.js or Bash script. `script` is a path to the file, or its
        source as bytes. `secrets`: names of stored secrets the script gets as environment
        variables of the same names. Limits: `timeout`, `memory`, `cpuSeconds`, `maxProcesses`,
        `network` (at most the server's defaults). With an `idempotency_key` the server
        has seen, the job that key submitted is answered (`replayed`)."""
        if isinstance(script, bytes):
            content, shown = script, filename or "script"
        else:
            file = Path(script)
            content, shown = file.read_bytes(), filename or file.name
        fields: dict[str, Any] = {"runtime": runtime}
        optional = {
            "name": name,
            "payload": None if payload is None else json.dumps(payload),
            "dependencies": None if dependencies is None else json.dumps(dependencies),
            "secrets": None if secrets is None else json.dumps(secrets),
            "runAt": run_at.isoformat() if isinstance(run_at, datetime) else run_at,
            "maxRetries": max_retries,
            "type": type,
            **limits,
        }
        fields.update({k: _form_value(v) for k, v in optional.items() if v is not None})
        files = {"script": (shown, content, "application/octet-stream")}
        headers = _idempotency(idempotency_key)
        response = self._send("POST", "/jobs/submit", data=fields, files=files, headers=headers)
        return _parse(JobSubmitted, response)

    def submit_job_source(
        self,
        source: str,
        runtime: str,
        *,
        name: str | None = None,
        payload: Any = None,
        dependencies: list[str] | None = None,
        secrets: list[str] | None = None,
        run_at: datetime | str | None = None,
        max_retries: int | None = None,
        type: str | None = None,
        filename: str | None = None,
        idempotency_key: str | None = None,
        **limits: Any,
    ) -> JobSubmitted:
        """`submit_job` for a script held as text: sent as JSON, so that without a
        `filename` the server names the file after the runtime (`script.py`, ...)."""
        body: dict[str, Any] = {"script": source, "runtime": runtime}
        optional = {
            "filename": filename,
            "name": name,
            "payload": payload,
            "dependencies": dependencies,
            "secrets": secrets,
            "runAt": run_at.isoformat() if isinstance(run_at, datetime) else run_at,
            "maxRetries": max_retries,
            "type": type,
            **limits,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        headers = {**_JSON_HEADERS, **(_idempotency(idempotency_key) or {})}
        response = self._send("POST", "/jobs/submit", content=_json_body(body), headers=headers)
        return _parse(JobSubmitted, response)

    def get_job(self, job_id: str) -> JobView:
        """A job with its state, output, logs and attempts."""
        response = self._send("GET", f"/jobs/{_segment(job_id)}")
        return _parse(JobEnvelope, response).job

    def list_jobs(
        self,
        state: str | None = None,
        name: str | None = None,
        type: str | None = None,
        limit: int = 25,
        offset: int = 0,
    ) -> JobList:
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        for key, value in (("state", state), ("name", name), ("type", type)):
            if value is not None:
                params[key] = value
        return _parse(JobList, self._send("GET", "/jobs", params=params))

    def cancel_job(self, job_id: str) -> JobView:
        response = self._send("POST", f"/jobs/{_segment(job_id)}/cancel")
        return _parse(JobEnvelope, response).job

    def follow_job(self, job_id: str) -> EventStream:
        """The job's output as it is printed: `log`, `attempt` and finally `end` events."""
        request = self._http.build_request(
            "GET",
            f"/jobs/{_segment(job_id)}/logs",
            params={"follow": "true"},
            timeout=self._wait_timeout,
        )
        return self._send_stream(request)

    # -- JSON DAGs -------------------------------------------------------------------------

    def submit_dag(self, dag: Mapping[str, Any]) -> DagSubmitted:
        """Store a DAG of script nodes (the JSON body of `docs/dags.md`: `nodes` and optional
        `name`, `input`, `maxRetries`, `cron`, `timezone`) and run it now, or with `cron`
        give it a schedule instead."""
        body = _json_body(dict(dag))
        response = self._send("POST", "/workflows/submit", content=body, headers=_JSON_HEADERS)
        return _parse(DagSubmitted, response)

    def get_dag_run(self, run_id: str) -> DagRunView:
        """A DAG run with each node's state, output, logs and attempts."""
        response = self._send("GET", f"/workflows/runs/{_segment(run_id)}")
        return _parse(DagRunEnvelope, response).run

    # -- schedules -------------------------------------------------------------------------

    def list_schedules(self) -> list[ScheduleView]:
        return _parse_list(ScheduleView, self._send("GET", "/schedules"))

    def get_schedule(self, key: str, runs: int = 20) -> ScheduleView:
        """A schedule by id or name, with its `runs` most recent fires."""
        response = self._send("GET", f"/schedules/{_segment(key)}", params={"runs": runs})
        return _parse(ScheduleView, response)

    def create_schedule(
        self,
        name: str,
        workflow: str,
        *,
        input: Any = None,
        cron: str | None = None,
        timezone: str | None = None,
        interval_seconds: float | None = None,
        once_at: datetime | str | None = None,
        overlap: str = "skip",
        catchup: str = "latest",
        catchup_limit: int = 100,
    ) -> ScheduleView:
        """Give exactly one of `cron` (with an optional IANA `timezone`), `interval_seconds`
        or `once_at`."""
        body = ScheduleCreate(
            name=name,
            workflow=workflow,
            input=input,
            cron=cron,
            timezone=timezone,
            interval_seconds=interval_seconds,
            once_at=once_at.isoformat() if isinstance(once_at, datetime) else once_at,
            overlap=overlap,
            catchup=catchup,
            catchup_limit=catchup_limit,
        ).model_dump(exclude_none=True)
        body["input"] = input
        return _parse(ScheduleView, self._send("POST", "/schedules", json=body))

    def pause_schedule(self, key: str) -> ScheduleView:
        return _parse(ScheduleView, self._send("POST", f"/schedules/{_segment(key)}/pause"))

    def resume_schedule(self, key: str) -> ScheduleView:
        return _parse(ScheduleView, self._send("POST", f"/schedules/{_segment(key)}/resume"))

    def delete_schedule(self, key: str) -> None:
        self._send("DELETE", f"/schedules/{_segment(key)}")

    def preview_schedule(
        self,
        key: str | None = None,
        *,
        count: int = 10,
        cron: str | None = None,
        timezone: str | None = None,
        interval_seconds: float | None = None,
        once_at: str | None = None,
    ) -> SchedulePreview:
        """The next `count` fire times of stored schedule `key`, or of the schedule given
        by the other arguments (not stored)."""
        if key is not None:
            path = f"/schedules/{_segment(key)}/preview"
            return _parse(SchedulePreview, self._send("GET", path, params={"count": count}))
        body = SchedulePreviewRequest(
            cron=cron,
            timezone=timezone,
            interval_seconds=interval_seconds,
            once_at=once_at,
            count=count,
        ).model_dump(exclude_none=True)
        return _parse(SchedulePreview, self._send("POST", "/schedules/preview", json=body))

    # -- workers ---------------------------------------------------------------------------

    def list_workers(self) -> list[WorkerView]:
        """Registered workers, whether they are connected and their last resource report."""
        return _parse_list(WorkerView, self._send("GET", "/workers"))

    def revoke_worker(self, name: str) -> None:
        """End a worker's session (admin): it exits and needs the bootstrap token to rejoin."""
        self._send("POST", f"/workers/{_segment(name)}/revoke")

    # -- API keys (docs/security.md) -------------------------------------------------------

    def whoami(self) -> WhoAmI:
        """Who the server takes this client for: its key and role, or why none is needed."""
        return _parse(WhoAmI, self._send("GET", "/auth/whoami"))

    def create_api_key(self, name: str, role: str) -> ApiKeyCreated:
        """A new key (admin); the answer holds the key itself, this once only."""
        body = {"name": name, "role": role}
        return _parse(ApiKeyCreated, self._send("POST", "/auth/keys", json=body))

    def list_api_keys(self) -> list[ApiKeyView]:
        return _parse_list(ApiKeyView, self._send("GET", "/auth/keys"))

    def revoke_api_key(self, key_id: str) -> ApiKeyView:
        return _parse(ApiKeyView, self._send("DELETE", f"/auth/keys/{_segment(key_id)}"))

    # -- secrets ---------------------------------------------------------------------------

    def list_secrets(self) -> list[str]:
        """Names only; values are shown only by `get_secret`."""
        return _parse_any(TypeAdapter(list[str]), self._send("GET", "/admin/secrets"))

    def get_secret(self, name: str) -> SecretValue:
        return _parse(SecretValue, self._send("GET", f"/admin/secrets/{_segment(name)}"))

    def set_secret(self, name: str, value: Any) -> None:
        body = SecretValue(name=name, value=value).model_dump(mode="json")
        self._send("POST", "/admin/secrets", json=body)

    def delete_secret(self, name: str) -> None:
        self._send("DELETE", f"/admin/secrets/{_segment(name)}")

    # -- server ----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return _parse_any(TypeAdapter(dict[str, Any]), self._send("GET", "/health"))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FluxClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise self._on_error(exc) from None
        if response.is_error:
            raise _error_from(response)
        return response

    def _post_input(
        self, path: str, input: Any, mode: str, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        timeout = self._wait_timeout if mode == "sync" else httpx.USE_CLIENT_DEFAULT
        body = _json_body(input)
        sent = {**_JSON_HEADERS, **headers} if headers else _JSON_HEADERS
        return self._send("POST", path, content=body, headers=sent, timeout=timeout)

    def _open_stream(
        self, path: str, input: Any, headers: dict[str, str] | None = None
    ) -> EventStream:
        body = _json_body(input)
        sent = {**_JSON_HEADERS, **headers} if headers else _JSON_HEADERS
        request = self._http.build_request(
            "POST", path, content=body, headers=sent, timeout=self._wait_timeout
        )
        return self._send_stream(request)

    def _send_stream(self, request: httpx.Request) -> EventStream:
        try:
            response = self._http.send(request, stream=True)
            if response.is_error:
                response.read()
                response.close()
                raise _error_from(response)
        except httpx.TransportError as exc:
            raise self._on_error(exc) from None
        return EventStream(response, self._on_error)

    # -- queues and limits -----------------------------------------------------------------

    def list_limits(self, workflow: str | None = None) -> LimitList:
        """Concurrency and rate limits: capacity, the runs holding a slot, how many wait;
        and what each workflow declares (`GET /limits`)."""
        params = {} if workflow is None else {"workflow": workflow}
        return _parse(LimitList, self._send("GET", "/limits", params=params))

    # -- audit -----------------------------------------------------------------------------

    def audit(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> AuditPage:
        """Who did what, newest first (`GET /audit`, admin). `actor` matches part of the
        actor's label, `action` one action or a family ("secret"); pass a page's
        `next_cursor` as `cursor` for the next one."""
        given = {
            "actor": actor,
            "action": action,
            "target": target,
            "since": None if since is None else since.isoformat(),
            "until": None if until is None else until.isoformat(),
            "cursor": cursor,
        }
        params = {key: value for key, value in given.items() if value is not None}
        params["limit"] = str(limit)
        return _parse(AuditPage, self._send("GET", "/audit", params=params))


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _segment(value: str) -> str:
    """One path segment: a name with `/` or `?` in it must not change which endpoint is hit."""
    return quote(value, safe="")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _wait_mode(mode: str) -> str:
    if mode not in _WAIT_MODES:
        raise ValueError(f"mode must be 'sync' or 'async', not {mode!r}")
    return mode


def _idempotency(key: str | None) -> dict[str, str] | None:
    return None if key is None else {"Idempotency-Key": key}


def _json_body(value: Any) -> bytes:
    try:
        return json.dumps(value).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(f"input is not JSON-serializable: {exc}") from None


def _error_from(response: httpx.Response) -> FluxClientError:
    status = response.status_code
    detail = _detail(response)
    error_class = _ERRORS_BY_STATUS.get(status)
    if error_class is None:
        error_class = ServerError if status >= 500 else FluxClientError
        request = response.request
        detail = f"HTTP {status} from {request.method} {request.url.path}: {detail}"
    return error_class(detail, status)


def _detail(response: httpx.Response) -> str:
    """The server's `detail`; FastAPI's validation errors are a list, joined into one line."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        return "; ".join(_validation_message(item) for item in detail)
    return response.text.strip() or response.reason_phrase


def _validation_message(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
    message = str(item.get("msg", item))
    return f"{where}: {message}" if where else message


def _parse(model: type[M], response: httpx.Response) -> M:
    return _parse_any(TypeAdapter(model), response)


def _parse_list(model: type[M], response: httpx.Response) -> list[M]:
    return _parse_any(TypeAdapter(list[model]), response)  # type: ignore[valid-type]


T = TypeVar("T")


def _parse_any(adapter: TypeAdapter[T], response: httpx.Response) -> T:
    try:
        return adapter.validate_json(response.content)
    except ValidationError as exc:
        request = response.request
        raise FluxClientError(
            f"unexpected answer to {request.method} {request.url.path}: {exc}",
            response.status_code,
        ) from None


def _parse_sse(lines: Iterator[str]) -> Iterator[StreamEvent]:
    """Server-sent events (WHATWG syntax): fields until a blank line, `:` lines are comments."""
    name, event_id = "message", None
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield StreamEvent(name, _decode_data("\n".join(data)), event_id)
            name, data = "message", []
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
        elif field == "id":
            event_id = value
    if data:
        yield StreamEvent(name, _decode_data("\n".join(data)), event_id)


def _decode_data(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
