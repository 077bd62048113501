"""Recording who did what (docs/audit.md): a pure ASGI middleware and the table of audited
actions.

One place decides what is audited: `ACTIONS` maps a method and a route template to an
action name and the path parameter that names its object. The middleware sits outside the
authentication middleware, so it also sees the attempts that were refused (401, 403); it
reads the principal that authentication left in the request's state once the response
has started. A record holds the time, the actor's label and role, the action, its target,
the HTTP status, the client's address and a small detail (the other path parameters, and
what a route adds in `request.state.audit_detail`, e.g. the id of the run it started).
Never a request body: a route whose object is named in its body sets
`request.state.audit_target`.

Recording appends to the replica's `AuditLog` buffer; the record is stored within about
0.2 s (flux.orchestrator.audit).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flux.domain.access import Principal
from flux.domain.events import utcnow
from flux.orchestrator.store import AuditRecord
from flux.server.route_templates import template_pattern

UNAUTHENTICATED = "unauthenticated"
_DETAIL_LIMIT = 2000  # characters of detail JSON kept; routes only add a few ids
_TARGET_LIMIT = 500  # characters of a target kept (it comes from the path: any length)


@dataclass(frozen=True, slots=True)
class Audited:
    method: str
    template: str  # a route's path, e.g. "/schedules/{key}/pause"
    action: str
    target: str | None = None  # the path parameter naming the object acted on
    # The other path parameters kept in the detail, as (parameter, key); None: all of them
    # under their own names.
    detail: tuple[tuple[str, str], ...] | None = None


_WORKFLOW = (("name", "workflow"),)


ACTIONS = (
    Audited("POST", "/workflows", "workflow.upload"),
    Audited("POST", "/workflows/submit", "dag.submit"),
    Audited("POST", "/workflows/{name}/run/{mode}", "execution.start", "name"),
    Audited(
        "POST",
        "/workflows/{name}/resume/{execution_id}/{mode}",
        "execution.resume",
        "execution_id",
        (*_WORKFLOW, ("mode", "mode")),
    ),
    Audited(
        "GET",
        "/workflows/{name}/cancel/{execution_id}",
        "execution.cancel",
        "execution_id",
        _WORKFLOW,
    ),
    Audited("POST", "/executions/{execution_id}/rerun", "execution.rerun", "execution_id"),
    Audited("POST", "/jobs/submit", "job.submit"),
    Audited("POST", "/jobs/{job_id}/cancel", "job.cancel", "job_id"),
    Audited("POST", "/schedules", "schedule.create"),
    Audited("POST", "/schedules/{key}/pause", "schedule.pause", "key"),
    Audited("POST", "/schedules/{key}/resume", "schedule.resume", "key"),
    Audited("DELETE", "/schedules/{key}", "schedule.delete", "key"),
    Audited("POST", "/admin/secrets", "secret.set"),
    Audited("GET", "/admin/secrets/{name}", "secret.read", "name"),
    Audited("DELETE", "/admin/secrets/{name}", "secret.delete", "name"),
    # Values a worker fetches for a task that requested them (target: their names).
    Audited("POST", "/workers/{name}/secrets", "secret.deliver", detail=()),
    Audited("POST", "/auth/keys", "key.create"),
    Audited("DELETE", "/auth/keys/{key_id}", "key.revoke", "key_id"),
    Audited("POST", "/workers/register", "worker.register"),
    Audited("POST", "/workers/{name}/revoke", "worker.revoke", "name"),
)


class ActionTable:
    """Finds the audited action of a request: by method and first path segment, then the
    few templates left; literal templates win over parameterized ones."""

    def __init__(self, actions: tuple[Audited, ...]) -> None:
        ordered = sorted(actions, key=lambda a: "{" in a.template)
        self._index: dict[tuple[str, str], list[tuple[re.Pattern[str], Audited]]] = {}
        for action in ordered:
            key = (action.method, _first_segment(action.template))
            self._index.setdefault(key, []).append((template_pattern(action.template), action))

    def match(self, method: str, path: str) -> tuple[Audited, dict[str, str]] | None:
        for pattern, action in self._index.get((method, _first_segment(path)), ()):
            found = pattern.fullmatch(path)
            if found is not None:
                return action, found.groupdict()
        return None


def note(
    request: Request, target: str | None = None, *, actor: str | None = None, **detail: Any
) -> None:
    """What a route adds to its audit record: the `target` when its body names it (never
    the body itself), a few ids in the detail (the run it started), and the `actor` when
    the route itself authenticated a caller that has no API key (a bootstrap token)."""
    if target is not None:
        request.state.audit_target = target
    if actor is not None:
        request.state.audit_actor = actor
    added = getattr(request.state, "audit_detail", None) or {}
    request.state.audit_detail = {**added, **detail}


def _first_segment(path: str) -> str:
    return path.split("/", 2)[1] if path.startswith("/") and len(path) > 1 else ""


TABLE = ActionTable(ACTIONS)


class AuditMiddleware:
    """Records each request to an audited action once its response started (or failed)."""

    def __init__(self, app: ASGIApp, table: ActionTable = TABLE) -> None:
        self.app = app
        self._table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        matched = self._table.match(scope["method"], scope["path"])
        if matched is None:
            await self.app(scope, receive, send)
            return
        # Created here so that the layers inside (authentication, the route) write into
        # this very dict: that is how the principal and the route's detail come back.
        state = scope.setdefault("state", {})
        status = 500  # unless a response starts: the app raised

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            audit = getattr(getattr(scope["app"].state, "flux", None), "audit", None)
            if audit is not None:
                audit.record(_record(scope, state, *matched, status))


def _record(
    scope: Scope, state: dict[str, Any], action: Audited, params: dict[str, str], status: int
) -> AuditRecord:
    principal = state.get("principal")
    known = principal if isinstance(principal, Principal) else None
    target = state.get("audit_target") or (params.get(action.target) if action.target else None)
    if action.detail is None:
        detail = {name: value for name, value in params.items() if name != action.target}
    else:
        detail = {key: params[name] for name, key in action.detail}
    added = state.get("audit_detail")
    if isinstance(added, dict):
        detail.update(added)
    client = scope.get("client")
    return AuditRecord(
        at=utcnow(),
        actor=known.label if known else str(state.get("audit_actor") or UNAUTHENTICATED),
        action=action.action,
        role=None if known is None else known.role.value,
        target=None if target is None else _clean(str(target)),
        status=status,
        client=client[0] if client else None,
        detail=_detail_text(detail),
    )


def _clean(text: str) -> str:
    # A NUL would fail the whole batch on PostgreSQL (text cannot hold it), every retry.
    return text.replace("\x00", "\\x00")[:_TARGET_LIMIT]


def _detail_text(detail: dict[str, Any]) -> str | None:
    if not detail:
        return None
    text = json.dumps(detail, default=str, separators=(",", ":"))
    return text if len(text) <= _DETAIL_LIMIT else json.dumps({"truncated": True})
