"""Secret names: what a valid name is, and which names a script may receive as environment
variables. Pure checks shared by the server (validating submissions) and the workers."""

from __future__ import annotations

import json
import re
from typing import Any

MAX_NAME_LENGTH = 255
_NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")
_SHOWN_NAME_CHARS = 60
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Variables the sandbox sets itself (flux.jobs.script) or that would change how the
# script's interpreter starts: a secret cannot take their place.
_RESERVED_ENV = frozenset({"PATH", "HOME", "PWD", "TMPDIR", "LANG", "NODE_PATH", "PYTHONPATH"})
_RESERVED_ENV_PREFIXES = ("FLUX_", "LD_", "PYTHON", "NODE_", "BASH_")


def validate_secret_name(name: str) -> str:
    """Return `name` if it is a valid secret name, else raise ValueError saying why."""
    if not isinstance(name, str) or not name:
        raise ValueError("a secret name must be a non-empty string")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(
            f"secret name '{name[:_SHOWN_NAME_CHARS]}...' is {len(name)} characters long; "
            f"the limit is {MAX_NAME_LENGTH}"
        )
    if not _NAME_PATTERN.fullmatch(name) or not name.strip("."):
        # Only dots ('.', '..'): a URL path segment that clients normalize away, so the
        # secret could never be read or removed through /admin/secrets/{name}.
        raise ValueError(
            f"invalid secret name {name[:_SHOWN_NAME_CHARS]!r}: "
            "use only letters, digits, '_', '.' and '-' (not only dots)"
        )
    return name


def check_env_names(names: Any) -> tuple[str, ...]:
    """The secret names a job or DAG node asks for (`secrets`), deduplicated in order.
    Each becomes an environment variable of the same name, so it must be a valid variable
    name too and not one the sandbox relies on. ValueError says what is wrong."""
    if names is None:
        return ()
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError("'secrets' must be a JSON array of secret names, e.g. [\"API_KEY\"]")
    for name in names:
        validate_secret_name(name)
        if not _ENV_NAME.fullmatch(name):
            raise ValueError(
                f"secret '{name}' cannot be an environment variable name: a job's secrets "
                "are passed as variables, so use letters, digits and '_' (not first a digit)"
            )
        if name.upper() in _RESERVED_ENV or name.upper().startswith(_RESERVED_ENV_PREFIXES):
            raise ValueError(
                f"secret '{name}' would replace the sandbox's own variable '{name}': "
                "store it under another name"
            )
    return tuple(dict.fromkeys(names))


def env_value(value: Any) -> str:
    """A secret's value as an environment variable: text as is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)
