"""Route templates (`/schedules/{key}/pause`, `/dashboard/{path:path}`) as regular
expressions, for the middlewares that must know which route a request is for before the
router runs: authentication (`access_policy`) and the audit log (`audit`)."""

from __future__ import annotations

import re

PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(:path)?\}")


def template_pattern(template: str) -> re.Pattern[str]:
    """A pattern whose `fullmatch` of a path gives the template's parameters by name; a
    parameter is one segment, a `:path` one the rest of the path."""
    parts, end = [], 0
    for found in PARAMETER.finditer(template):
        parts.append(re.escape(template[end : found.start()]))
        parts.append(f"(?P<{found.group(1)}>{'.*' if found.group(2) else '[^/]+'})")
        end = found.end()
    parts.append(re.escape(template[end:]))
    return re.compile("".join(parts))
