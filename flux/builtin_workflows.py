"""Workflows that ship with Flux and run on every worker without an upload.

Script jobs (`POST /jobs/submit`) are executions of `flux.job`. Names starting with `flux.`
are reserved for these, so an upload cannot shadow one. Imported lazily: a worker that never
runs a job does not load the sandbox code.
"""

from __future__ import annotations

import importlib
from typing import Any

RESERVED_PREFIX = "flux."
BUILTIN_VERSION = "builtin"
_BUILTINS = {"flux.job": ("flux.jobs.workflow", "script_job")}


def is_builtin(name: str) -> bool:
    return name in _BUILTINS


def builtin_workflow(name: str) -> Any | None:
    """The workflow object of built-in `name`, or None."""
    where = _BUILTINS.get(name)
    if where is None:
        return None
    module, attribute = where
    return getattr(importlib.import_module(module), attribute)
