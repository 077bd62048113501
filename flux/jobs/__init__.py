"""Script jobs: Python, Node.js and Bash scripts run in a sandbox, as steps of the engine.

`flux.jobs.spec` holds the pure values (runtimes, limits, a job's spec and an attempt's
result) shared by the server, which validates submissions, and the worker, which runs them.
Nothing here imports a web framework or a database driver.
"""

from typing import Any

__all__ = ["run_script"]


def __getattr__(name: str) -> Any:
    # `from flux.jobs import run_script` loads the engine-facing part only when asked for:
    # the server imports `flux.jobs.spec` without needing the workflow machinery.
    if name == "run_script":
        from flux.jobs.workflow import run_script

        return run_script
    raise AttributeError(f"module 'flux.jobs' has no attribute '{name}'")
