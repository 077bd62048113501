"""The rule for names people give workflows, schedules and jobs.

These names travel in URL paths (`/workflows/{name}/run`, `/schedules/{key}`), log lines,
the dashboard and file-system-minded tools, so one rule refuses what would break or fool
any of them: control characters (NUL, line breaks, bidirectional overrides), path
separators and the `.`/`..` segments clients normalize away, and absurd lengths.
"""

from __future__ import annotations

MAX_NAME_LENGTH = 200


def name_problem(name: str, longest: int = MAX_NAME_LENGTH) -> str | None:
    """What is wrong with `name` as a name ("must be ..."), or None when it is fine."""
    if (
        not name
        or len(name) > longest
        or not name.isprintable()
        or "/" in name
        or "\\" in name
        or name in (".", "..")
    ):
        return (
            f"must be 1 to {longest} printable characters, without '/' or '\\', and not '.' or '..'"
        )
    return None


def shown(name: str) -> str:
    """`name` safe to put in a message: escaped, and cut when it is long."""
    return name[:80].encode("unicode_escape").decode("ascii") + ("..." if len(name) > 80 else "")
