"""Who may call what: every endpoint's (method, path template) and the access it needs.

One table, read by the auth middleware (`flux.server.auth`) and checked against the app's
routes by tests/security/test_auth_matrix.py, so a new route without an entry fails a test,
and a request that matches no entry needs admin (secure by default). HEAD is GET's.

The rule of thumb: reading needs viewer; starting, stopping, resuming and re-running runs,
uploads, job and DAG submissions and schedule changes need operator; secret values and
changes, keys, the audit and revoking workers need admin. The worker protocol
(`/workers/{name}/...`) is checked by the routes themselves against the worker's session
token (`flux.orchestrator.workers`), which no user key can stand in for.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from flux.domain.access import Role
from flux.server.route_templates import PARAMETER, template_pattern

RuleKind = Literal["public", "role", "worker-session", "worker-register"]


@dataclass(frozen=True, slots=True)
class Rule:
    kind: RuleKind
    role: Role | None = None

    def __str__(self) -> str:
        return self.role.value if self.role is not None else self.kind


PUBLIC = Rule("public")
VIEWER = Rule("role", Role.VIEWER)
OPERATOR = Rule("role", Role.OPERATOR)
ADMIN = Rule("role", Role.ADMIN)
# Checked by the route with the worker's session token; the middleware lets it through.
SESSION = Rule("worker-session")
# The bootstrap token (checked by the route) or an API key with the worker role.
REGISTER = Rule("worker-register", Role.WORKER)

POLICY: dict[str, dict[str, Rule]] = {
    # Public: probes, the API's description, the dashboard's static files (its data comes
    # from the API, which checks the key the page sends).
    "/health": {"GET": PUBLIC},
    "/ready": {"GET": PUBLIC},
    "/openapi.json": {"GET": PUBLIC},
    "/docs": {"GET": PUBLIC},
    "/docs/oauth2-redirect": {"GET": PUBLIC},
    "/redoc": {"GET": PUBLIC},
    "/": {"GET": PUBLIC},
    "/dashboard/{path:path}": {"GET": PUBLIC},
    "/metrics": {"GET": VIEWER},
    # Workflows and their runs
    "/workflows": {"GET": VIEWER, "POST": OPERATOR},
    "/workflows/submit": {"POST": OPERATOR},
    "/workflows/runs/{run_id}": {"GET": VIEWER},
    "/workflows/{name}": {"GET": VIEWER},
    "/workflows/{name}/run/{mode}": {"POST": OPERATOR},
    "/workflows/{name}/resume/{execution_id}/{mode}": {"POST": OPERATOR},
    "/workflows/{name}/status/{execution_id}": {"GET": VIEWER},
    # A GET that cancels (flux-core's URL): what it does decides, not its method.
    "/workflows/{name}/cancel/{execution_id}": {"GET": OPERATOR},
    "/executions": {"GET": VIEWER},
    "/executions/search": {"GET": VIEWER},
    "/executions/live": {"GET": VIEWER},
    "/executions/{execution_id}": {"GET": VIEWER},
    "/executions/{execution_id}/logs": {"GET": VIEWER},
    "/executions/{execution_id}/rerun": {"POST": OPERATOR},
    # Script jobs
    "/jobs": {"GET": VIEWER},
    "/jobs/submit": {"POST": OPERATOR},
    "/jobs/{job_id}": {"GET": VIEWER},
    "/jobs/{job_id}/cancel": {"POST": OPERATOR},
    "/jobs/{job_id}/logs": {"GET": VIEWER},
    # Schedules and limits
    "/schedules": {"GET": VIEWER, "POST": OPERATOR},
    "/schedules/preview": {"POST": VIEWER},  # computes fire times, changes nothing
    "/schedules/{key}": {"GET": VIEWER, "DELETE": OPERATOR},
    "/schedules/{key}/pause": {"POST": OPERATOR},
    "/schedules/{key}/resume": {"POST": OPERATOR},
    "/schedules/{key}/preview": {"GET": VIEWER},
    "/limits": {"GET": VIEWER},
    "/stats/overview": {"GET": VIEWER},
    "/stats/workers": {"GET": VIEWER},
    # Secrets: names are for operators (what a task may request), values for admins.
    "/admin/secrets": {"GET": OPERATOR, "POST": ADMIN},
    "/admin/secrets/{name}": {"GET": ADMIN, "DELETE": ADMIN},
    # Keys, the audit
    "/auth/whoami": {"GET": VIEWER},
    "/auth/keys": {"GET": ADMIN, "POST": ADMIN},
    "/auth/keys/{key_id}": {"DELETE": ADMIN},
    "/audit": {"GET": ADMIN},
    # Workers: the fleet as users see it, then the worker protocol.
    "/workers": {"GET": VIEWER},
    "/workers/register": {"POST": REGISTER},
    "/workers/{name}/revoke": {"POST": ADMIN},
    "/workers/{name}/connect": {"GET": SESSION},
    "/workers/{name}/claim": {"POST": SESSION},
    "/workers/{name}/claim/{execution_id}": {"POST": SESSION},
    "/workers/{name}/executions": {"POST": SESSION},
    "/workers/{name}/workflows/{workflow}": {"GET": SESSION},
    "/workers/{name}/workflows/{workflow}/{version}": {"GET": SESSION},
    "/workers/{name}/checkpoint/{execution_id}": {"POST": SESSION},
    "/workers/{name}/checkpoints": {"POST": SESSION},
    "/workers/{name}/logs": {"POST": SESSION},
    "/workers/{name}/heartbeat": {"POST": SESSION},
    "/workers/{name}/release/{execution_id}": {"POST": SESSION},
    "/workers/{name}/secrets": {"POST": SESSION},
    "/workers/{name}/cache/get": {"POST": SESSION},
    "/workers/{name}/cache": {"PUT": SESSION},
    "/workers/{name}/disconnect": {"POST": SESSION},
    "/workers/{name}/outputs/{digest}": {"GET": SESSION, "PUT": SESSION},
}

# Anything not in the table: only an admin passes, and the app answers (404, 405...).
UNKNOWN = ADMIN


def _specificity(template: str) -> tuple[int, ...]:
    """Sort key: at the first segment where two templates differ, a literal beats a
    parameter, which beats a `:path` parameter (as `/executions/live` before
    `/executions/{execution_id}` in the routers)."""
    ranks = []
    for segment in template.strip("/").split("/"):
        found = PARAMETER.fullmatch(segment)
        ranks.append(0 if found is None else 2 if found.group(2) else 1)
    return tuple(ranks)


_COMPILED = [
    (template, template_pattern(template), methods)
    for template, methods in sorted(POLICY.items(), key=lambda item: _specificity(item[0]))
]


def template_of(method: str, path: str) -> str | None:
    """The template of the policy that `method path` falls under, None if none does."""
    method = "GET" if method == "HEAD" else method
    for template, pattern, methods in _COMPILED:
        if method in methods and pattern.fullmatch(path):
            return template
    return None


@lru_cache(maxsize=8192)
def rule_for(method: str, path: str) -> Rule:
    """The rule of `method path`. Paths repeat (the same run polled, the same asset), so
    answers are kept; a bounded cache, as paths carry ids."""
    template = template_of(method, path)
    if template is None:
        return UNKNOWN
    return POLICY[template]["GET" if method == "HEAD" else method]
