"""The configuration reference (`docs/configuration.md`), rendered from the settings model so
that it cannot drift from the code: `python -m flux.config_reference > docs/configuration.md`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from flux.config import ENV_NESTED_DELIMITER, ENV_PREFIX, FluxSettings

_HEADER = """# Configuration reference

Sources, highest precedence first: `Configuration.override(...)`, environment variables,
`flux.toml` (table `[flux]`, sections as `[flux.workers]` ...), `pyproject.toml`
(`[tool.flux]`), then the defaults below. Nested sections merge key by key across sources.

This page is generated from `flux/config.py` by `python -m flux.config_reference`.
"""


def _default(field: FieldInfo) -> str:
    value = field.default
    if value is PydanticUndefined or value is None:
        return "-"
    return f"`{value}`"


def _rows(model: type[BaseModel], path: tuple[str, ...]) -> list[list[str]]:
    rows: list[list[str]] = []
    for name, field in model.model_fields.items():
        annotation: Any = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(_rows(annotation, (*path, name)))
            continue
        key = ".".join((*path, name))
        env = ENV_PREFIX + ENV_NESTED_DELIMITER.join((*path, name)).upper()
        rows.append([f"`{key}`", f"`{env}`", _default(field), field.description or ""])
    return rows


def render() -> str:
    lines = [
        _HEADER,
        "| setting | environment variable | default | what it is |",
        "|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(FluxSettings, ())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
