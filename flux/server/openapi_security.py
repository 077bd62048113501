"""The access policy, written into the OpenAPI schema: a bearer scheme, which role each
operation needs (in its description and as `x-flux-access`), its 401/403 answers, and the
413 of a body over its limit.

Generated clients (the TypeScript SDK's types), the API reference and fuzzers read the schema,
so they learn from it that a key goes in `Authorization: Bearer ...` and what a refusal looks
like. The policy table stays the one source (`flux.server.access_policy`); nothing here
decides access.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from flux.server.access_policy import POLICY, UNKNOWN, Rule

SCHEME = "apiKey"

_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API key (`flux auth create-key`), or a worker's session token on the "
    "worker protocol. A server listening on loopback serves local callers without one.",
}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDetail"}}}
_ERROR_SCHEMA = {
    "title": "ErrorDetail",
    "type": "object",
    "properties": {"detail": {"title": "Detail", "type": "string"}},
    "required": ["detail"],
}
_REFUSALS = {
    "401": "No key, or a wrong, revoked or expired one",
    "403": "The key's role may not do this",
}
_NOTES = {
    "public": "Needs no key.",
    "worker-session": "Worker protocol: needs the worker's session token.",
    "worker-register": "Needs the workers' bootstrap token or an API key with the worker role.",
}


def _note(rule: Rule) -> str:
    if rule.kind == "role" and rule.role is not None:
        return f"Needs an API key with the {rule.role.value} role (or a higher one)."
    return _NOTES[rule.kind]


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with the access of every operation written in (changed in place)."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SCHEME] = _SCHEME
    components.setdefault("schemas", {}).setdefault("ErrorDetail", _ERROR_SCHEMA)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                # flux.server.body_limit answers before the route runs.
                operation.setdefault("responses", {}).setdefault(
                    "413",
                    {"description": "The request body is over its size limit", "content": _ERROR},
                )
            rule = POLICY.get(path, {}).get(method.upper(), UNKNOWN)
            operation["x-flux-access"] = str(rule)
            note = _note(rule)
            described = operation.get("description")
            operation["description"] = f"{described}\n\n{note}" if described else note
            if rule.kind == "public":
                operation["security"] = []
                continue
            operation["security"] = [{SCHEME: []}]
            responses = operation.setdefault("responses", {})
            for status, text in _REFUSALS.items():
                responses.setdefault(status, {"description": text, "content": _ERROR})
    return schema


def install(app: FastAPI) -> None:
    """Make `app.openapi()` return the documented schema (built once, like FastAPI's)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
