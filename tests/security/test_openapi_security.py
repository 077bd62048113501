"""The OpenAPI schema tells clients how to authenticate and what each operation needs:
generated clients, the API reference and the fuzzer all read it."""

from __future__ import annotations

from typing import Any

import pytest

from flux.config import FluxSettings
from flux.server.access_policy import POLICY
from flux.server.app import create_app


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return create_app(FluxSettings(), token="t").openapi()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method.upper(), operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


def test_the_bearer_scheme_is_declared(schema: dict[str, Any]) -> None:
    scheme = schema["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_every_operation_says_what_it_needs_as_the_policy_does(schema: dict[str, Any]) -> None:
    for path, method, operation in _operations(schema):
        rule = POLICY[path][method]
        assert operation["x-flux-access"] == str(rule), (method, path)
        if rule.kind == "public":
            assert operation["security"] == [], (method, path)
            assert "401" not in operation["responses"], (method, path)
        else:
            assert operation["security"] == [{"apiKey": []}], (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)


@pytest.mark.parametrize(
    ("method", "path", "needs"),
    [
        ("post", "/jobs/submit", "Needs an API key with the operator role"),
        ("get", "/jobs/{job_id}", "Needs an API key with the viewer role"),
        ("get", "/admin/secrets/{name}", "Needs an API key with the admin role"),
        ("get", "/audit", "Needs an API key with the admin role"),
        ("get", "/health", "Needs no key."),
        ("post", "/workers/{name}/heartbeat", "needs the worker's session token"),
    ],
)
def test_descriptions_name_the_role(
    schema: dict[str, Any], method: str, path: str, needs: str
) -> None:
    assert needs in schema["paths"][path][method]["description"]


def test_operations_with_a_body_document_the_size_limit(schema: dict[str, Any]) -> None:
    with_body = [op for _, _, op in _operations(schema) if "requestBody" in op]
    assert with_body
    assert all("413" in op["responses"] for op in with_body)
