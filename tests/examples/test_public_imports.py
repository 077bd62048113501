"""Every import path flux-core users write keeps working, and names the same objects."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_top_level_names() -> None:
    import flux.tasks
    from flux import (
        ExecutionContext,
        TaskMetadata,
        call,
        cron,
        interval,
        once,
        pause,
        task,
        workflow,
    )
    from flux.domain.execution_context import ExecutionContext as context_class
    from flux.task import task as task_class
    from flux.workflow import workflow as workflow_class

    assert task is task_class and isinstance(task, type)
    assert workflow is workflow_class and isinstance(workflow, type)
    assert ExecutionContext is context_class
    assert pause is flux.tasks.pause and call is flux.tasks.call
    assert TaskMetadata("0", "t").task_name == "t"
    assert all(callable(f) for f in (cron, interval, once))


def test_flux_tasks_names() -> None:
    from flux.tasks import (
        Graph,
        call,
        choice,
        now,
        parallel,
        pause,
        pipeline,
        progress,
        randint,
        randrange,
        sleep,
        uuid4,
    )

    assert isinstance(Graph, type)
    builtins = (call, choice, now, parallel, pause, pipeline, progress, randint, randrange)
    assert all(callable(f) for f in (*builtins, sleep, uuid4))


def test_other_module_paths() -> None:
    from flux import TaskMetadata
    from flux.config import Configuration
    from flux.decorators import TaskMetadata as decorators_metadata
    from flux.domain.events import ExecutionEventType, ExecutionState
    from flux.domain.resource_request import ResourceRequest
    from flux.errors import ExecutionError
    from flux.output_storage import OutputStorage
    from flux.secret_managers import SecretManager
    from flux.task import TaskMetadata as task_metadata

    assert decorators_metadata is TaskMetadata is task_metadata
    assert ExecutionEventType.WORKFLOW_STARTED == "WORKFLOW_STARTED"
    assert ExecutionState.COMPLETED == "COMPLETED"
    assert issubclass(ExecutionError, Exception)
    assert all(isinstance(c, type) for c in (ResourceRequest, OutputStorage, SecretManager))
    assert Configuration.get() is Configuration.get()


def test_decorators_module_names_the_same_decorators() -> None:
    from flux import task, workflow
    from flux.decorators import task as decorators_task
    from flux.decorators import workflow as decorators_workflow

    assert decorators_task is task and decorators_workflow is workflow


# `import flux.task` binds the submodule to `flux.task` only when the submodule is first
# loaded; a fresh interpreter shows whether the package import order keeps the decorator.
_SUBMODULE_IMPORTS = """
import flux
import flux.task
import flux.workflow
import flux.tasks.pause
from flux.task import task

assert flux.task is task, flux.task
assert isinstance(flux.workflow, type), flux.workflow


@flux.task
async def shout(text: str) -> str:
    return text.upper()


@flux.task.with_options(name="whisper")
async def whisper(text: str) -> str:
    return text.lower()


@flux.workflow
async def loud(ctx: flux.ExecutionContext[str]):
    return [await shout(ctx.input), await whisper(ctx.input)]


print(loud.run("Hi").output)
"""


@pytest.mark.slow
def test_import_flux_task_keeps_the_decorator(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("FLUX_")}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [sys.executable, "-c", _SUBMODULE_IMPORTS],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['HI', 'hi']\n"
