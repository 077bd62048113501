"""The HTTP API reference (`docs/reference/api.md`), rendered from the server's own OpenAPI
schema so that it lists exactly the endpoints the code serves:
`python -m flux.api_reference > docs/reference/api.md`.

The output depends only on the code: the app is built from default settings (no environment,
no flux.toml) and nothing is started, and endpoints keep the order of the schema, grouped by
tag in alphabetical order.
"""

from __future__ import annotations

from typing import Any

from flux.config import FluxSettings

REGENERATE = "python -m flux.api_reference > docs/reference/api.md"
_METHODS = ("get", "head", "post", "put", "patch", "delete")
_REF_PREFIX = "#/components/schemas/"

_HEADER = f"""# HTTP API reference

Every endpoint of `flux start server`, with its parameters, request body and responses. A
running server also serves this as an OpenAPI document at `/openapi.json` and as interactive
pages at `/docs`. Who may call what is described in [Security](../security.md); status codes
common to every endpoint in [Distributed mode](../distributed.md#as-built).

This page is generated from the code by `{REGENERATE}`.
"""


def openapi_schema() -> dict[str, Any]:
    """The schema of an app built from default settings (the lifespan never runs, so no
    database is opened)."""
    from flux.server.app import create_app

    app = create_app(FluxSettings.model_construct(), token="api-reference")
    schema: dict[str, Any] = app.openapi()
    return schema


def _cell(text: str | None) -> str:
    """Text that fits in one table cell."""
    return " ".join((text or "").split()).replace("|", "\\|")


def _ref_name(ref: str) -> str:
    return ref.removeprefix(_REF_PREFIX)


def _link(name: str) -> str:
    return f"[`{name}`](#schema-{name.lower()})"


def type_of(schema: dict[str, Any]) -> str:
    """A short, readable type: `string`, `list of Job`, `integer or null`, `"a" \\| "b"`."""
    if "$ref" in schema:
        return _link(_ref_name(schema["$ref"]))
    for union in ("anyOf", "oneOf", "allOf"):
        if union in schema:
            return " or ".join(type_of(part) for part in schema[union])
    if "enum" in schema:
        return " \\| ".join(f"`{value!r}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']!r}`"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"map of {type_of(schema['additionalProperties'])}"
    if isinstance(kind, list):
        return " or ".join(kind)
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def _purpose(operation: dict[str, Any]) -> str:
    """FastAPI's summary (the function's name in words), then the first sentence of the
    endpoint's docstring, which is often written to follow that name."""
    summary = operation.get("summary") or ""
    paragraph = (operation.get("description") or "").strip().split("\n\n")[0]
    sentence = " ".join(paragraph.split()).split(". ")[0].rstrip(".")
    if not sentence:
        return _cell(summary)
    if not sentence[1:2].isupper():  # keep acronyms (SSE) as written
        sentence = sentence[0].lower() + sentence[1:]
    return _cell(f"{summary}: {sentence}")


def _field_rows(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    rows = ["| field | type | required | description |", "|---|---|---|---|"]
    for name, field in schema.get("properties", {}).items():
        description = field.get("description") or field.get("title", "")
        if "default" in field and field["default"] is not None:
            description = f"{description} (default `{field['default']!r}`)".strip()
        yes = "yes" if name in required else ""
        rows.append(f"| `{name}` | {type_of(field)} | {yes} | {_cell(description)} |")
    return rows


def _parameters(operation: dict[str, Any]) -> list[str]:
    parameters = operation.get("parameters", [])
    if not parameters:
        return []
    lines = ["**Parameters**", "", "| name | in | type | required | description |"]
    lines.append("|---|---|---|---|---|")
    for parameter in parameters:
        schema = parameter.get("schema", {})
        description = parameter.get("description") or schema.get("description", "")
        if schema.get("default") is not None:
            description = f"{description} (default `{schema['default']!r}`)".strip()
        yes = "yes" if parameter.get("required") else ""
        lines.append(
            f"| `{parameter['name']}` | {parameter['in']} | {type_of(schema)} | {yes} "
            f"| {_cell(description)} |"
        )
    return [*lines, ""]


def _request_body(operation: dict[str, Any]) -> list[str]:
    body = operation.get("requestBody")
    if not body:
        return []
    lines: list[str] = []
    for media_type, content in body.get("content", {}).items():
        schema = content.get("schema", {})
        needed = "required" if body.get("required") else "optional"
        if schema.get("type") == "object" and "properties" in schema:
            lines += [f"**Request body** (`{media_type}`, {needed})", "", *_field_rows(schema)]
        else:
            lines.append(f"**Request body** (`{media_type}`, {needed}): {type_of(schema)}")
        lines.append("")
    return lines


def _responses(operation: dict[str, Any]) -> list[str]:
    lines = ["**Responses**", "", "| status | meaning | body |", "|---|---|---|"]
    for status, response in sorted(operation.get("responses", {}).items()):
        bodies = [
            f"{type_of(content.get('schema', {}))} (`{media_type}`)"
            for media_type, content in response.get("content", {}).items()
        ]
        body = "; ".join(bodies) or "-"
        lines.append(f"| {status} | {_cell(response.get('description'))} | {body} |")
    return [*lines, ""]


def _operation(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", ""]
    if operation.get("summary"):
        lines += [f"*{operation['summary']}*", ""]
    if operation.get("description"):
        lines += [operation["description"].strip(), ""]
    return lines + _parameters(operation) + _request_body(operation) + _responses(operation)


def _by_tag(schema: dict[str, Any]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    groups: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["other"])[0]
                groups.setdefault(tag, []).append((method, path, item[method]))
    return dict(sorted(groups.items()))


def _schemas(schema: dict[str, Any]) -> list[str]:
    lines = ["## Schemas", ""]
    for name, model in sorted(schema.get("components", {}).get("schemas", {}).items()):
        lines += [f"### {name} {{#schema-{name.lower()}}}", ""]
        if model.get("description"):
            lines += [_cell(model["description"]), ""]
        if "properties" in model:
            lines += _field_rows(model)
        else:
            lines.append(f"Type: {type_of(model)}")
        lines.append("")
    return lines


def render(schema: dict[str, Any] | None = None) -> str:
    schema = openapi_schema() if schema is None else schema
    lines = [_HEADER]
    groups = _by_tag(schema)
    lines += ["| endpoint | what it does |", "|---|---|"]
    for operations in groups.values():
        for method, path, operation in operations:
            lines.append(f"| `{method.upper()} {path}` | {_purpose(operation)} |")
    lines.append("")
    for tag, operations in groups.items():
        lines += [f"## {tag.capitalize()}", ""]
        for method, path, operation in operations:
            lines += _operation(method, path, operation)
    lines += _schemas(schema)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
