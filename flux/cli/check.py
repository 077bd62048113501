"""`flux workflow check FILE`: would the new code in FILE replay the runs already recorded?

The recorded runs come from a server (`GET /executions?workflow=…`, then each run's events)
or, with `--local`, from the configured database. Each is replayed against the code in FILE
by `flux.engine.check` (no task runs, nothing is written) and the verdicts are printed; the
exit code is 1 when a run diverges, so CI can stop a breaking change before it is deployed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from flux.cli.output import echo_json, table
from flux.cli.remote import format_option, server_client, server_url_option
from flux.client import FluxClient
from flux.domain.events import ExecutionEvent, ExecutionEventType
from flux.engine.check import DIVERGED, ERROR, ReplayCheck, check_replay
from flux.errors import WorkflowNotFoundError
from flux.workflow import get_workflow, workflow

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_KNOWN_TYPES = {t.value for t in ExecutionEventType}


@dataclass
class Recorded:
    """A run as recorded, with its values as well as they could be read."""

    execution_id: str
    workflow_name: str
    state: str
    input: Any
    events: list[ExecutionEvent]
    unreadable: int = 0  # values that could not be decoded (replaced by a description)


@dataclass
class Report:
    rows: list[tuple[Recorded, ReplayCheck]] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)  # workflows with no run to check

    def count(self, status: str) -> int:
        return sum(1 for _, check in self.rows if check.status == status)


def load_workflows(path: Path) -> dict[str, workflow]:
    """The workflows FILE defines, by name, imported as a module of its own (its directory
    importable, as when it runs as a script, but `__name__` is not `__main__`)."""
    name = "flux_check_" + _UNSAFE.sub("_", path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise click.BadParameter(f"cannot import {path}", param_hint="FILE")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        raise click.BadParameter(
            f"importing {path} failed: {type(exc).__name__}: {exc}", param_hint="FILE"
        ) from None
    finally:
        sys.path.remove(folder)
    found = {o.name: o for o in vars(module).values() if isinstance(o, workflow)}
    if not found:
        raise click.BadParameter(f"{path} defines no @workflow", param_hint="FILE")
    return found


# -- recorded runs ---------------------------------------------------------------------------


def from_server(
    client: FluxClient, names: Sequence[str], limit: int, execution_ids: Sequence[str]
) -> list[Recorded]:
    if execution_ids:
        ids = list(execution_ids)
    else:
        ids = [
            view.execution_id
            for name in names
            for view in client.list_executions(workflow=name, limit=limit).executions
        ]
    recorded = []
    for execution_id in ids:
        view = client.get_execution(execution_id, detailed=True)
        events = [
            ExecutionEvent(ExecutionEventType(e.type), e.source_id, e.name, e.value, e.time, e.id)
            for e in view.events or []
            if e.type in _KNOWN_TYPES
        ]
        recorded.append(
            Recorded(view.execution_id, view.workflow_name, view.state.value, view.input, events)
        )
    return recorded


async def from_database(
    names: Sequence[str], limit: int, execution_ids: Sequence[str]
) -> list[Recorded]:
    """Runs read from `database_url` directly, values decoded with this machine's key (as
    exact as they were stored, where the classes they name can be imported)."""
    from flux.codec import Codec
    from flux.config import Configuration
    from flux.keyring import signing_key
    from flux.outputs.setup import offloader
    from flux.storage.factory import create_store

    settings = Configuration.get().settings
    store = create_store(settings.database_url)
    # Large values live in the output store: without it they could not be compared.
    codec = Codec(settings.serializer, signing_key(settings), offloader(settings))
    try:
        ids = list(execution_ids)
        for name in [] if ids else names:
            rows = await store.list_executions(workflow_name=name, limit=limit)
            ids += [row.execution_id for row in rows]
        recorded = []
        for execution_id in ids:
            row = await store.get_execution(execution_id)
            if row is None:
                raise click.ClickException(f"execution '{execution_id}' not found")
            run = Recorded(row.execution_id, row.workflow_name, row.state.value, None, [])
            run.input = _decoded(codec, row.input, run)
            run.events = [
                ExecutionEvent(
                    ExecutionEventType(e.type),
                    e.source_id,
                    e.name,
                    _decoded(codec, e.value, run),
                    e.time,
                    e.id,
                )
                for e in row.events
                if e.type in _KNOWN_TYPES
            ]
            recorded.append(run)
        return recorded
    finally:
        await store.close()


def _decoded(codec: Any, value: bytes | None, run: Recorded) -> Any:
    if value is None:
        return None
    try:
        return codec.loads(value)
    except Exception as exc:
        # One value that cannot be read (a class this process cannot import) should not
        # stop the check of the whole run; it is described instead, and counted.
        run.unreadable += 1
        return f"<unreadable value: {type(exc).__name__}: {exc}>"


# -- checking --------------------------------------------------------------------------------


class _ByName:
    """`call("name")` during a check: the workflow if this process defines it, else a
    stand-in that carries only the name (a check never runs a child; the call's recorded
    outcome stands for it)."""

    async def resolve(self, name: str) -> workflow:
        try:
            return get_workflow(name)
        except WorkflowNotFoundError:
            return _stand_in(name)


def _stand_in(name: str) -> workflow:
    async def never(ctx: Any) -> Any:
        raise RuntimeError(f"workflow '{name}' is not defined here; a check never runs it")

    # `workflow.__init__` would register the stand-in by name in this process.
    stand_in = workflow.__new__(workflow)
    stand_in.__dict__.update(
        _func=never,
        _name=name,
        _version=None,
        _requests=None,
        secret_requests=(),
        schedule=None,
    )
    return stand_in


async def check_all(workflows: dict[str, workflow], runs: Sequence[Recorded]) -> Report:
    report = Report()
    resolver = _ByName()
    for run in runs:
        wf = workflows.get(run.workflow_name)
        if wf is None:
            check = ReplayCheck(
                run.execution_id, ERROR, f"the file does not define '{run.workflow_name}'"
            )
        else:
            check = await check_replay(
                wf, run.execution_id, run.input, run.events, workflows=resolver
            )
        report.rows.append((run, check))
    seen = {run.workflow_name for run in runs}
    report.unrecorded = [name for name in workflows if name not in seen]
    return report


# -- the command -----------------------------------------------------------------------------


@click.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--workflow",
    "only",
    metavar="NAME",
    multiple=True,
    help="Only runs of this workflow of FILE (repeatable).",
)
@click.option(
    "--execution",
    "execution_ids",
    metavar="ID",
    multiple=True,
    help="Check these runs (repeatable) instead of the latest ones.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=20,
    show_default=True,
    help="Latest runs checked per workflow.",
)
@click.option(
    "--local", is_flag=True, help="Read the runs from the configured database, not a server."
)
@click.option("--strict", is_flag=True, help="Also exit 1 when a run could not be checked (ERROR).")
@server_url_option
@format_option
def check(
    file: Path,
    only: tuple[str, ...],
    execution_ids: tuple[str, ...],
    limit: int,
    local: bool,
    strict: bool,
    server_url: str | None,
    output_format: str,
) -> None:
    """Replay recorded runs against the new code in FILE, running nothing.

    For each run of FILE's workflows (the latest --limit of each, from the server or with
    --local from the configured database), reports whether the new code makes the same
    calls at the same steps; a run that diverges is reported with the step, the recorded
    call and the new one. Exit code 1 when any run diverges (with --strict also when one
    could not be checked), 0 otherwise.

    \b
    flux workflow check workflows/orders.py
    flux workflow check workflows/orders.py --local --workflow charge_order
    """
    workflows = load_workflows(file)
    unknown = [name for name in only if name not in workflows]
    if unknown:
        raise click.BadParameter(
            f"{file} does not define {', '.join(unknown)}", param_hint="'--workflow'"
        )
    names = list(only or workflows)
    if local:
        runs = asyncio.run(from_database(names, limit, execution_ids))
    else:
        with server_client(server_url) as client:
            runs = from_server(client, names, limit, execution_ids)
    report = asyncio.run(check_all({n: workflows[n] for n in names}, runs))
    _show(report, output_format)
    if report.count(DIVERGED) or (strict and report.count(ERROR)):
        sys.exit(1)


def _show(report: Report, output_format: str) -> None:
    if output_format == "json":
        echo_json([_as_dict(run, check) for run, check in report.rows])
    elif report.rows:
        rows = [
            (
                run.execution_id,
                run.workflow_name,
                run.state,
                check.status.upper(),
                check.step_id or "",
                _short(check),
            )
            for run, check in report.rows
        ]
        headers = ("EXECUTION_ID", "WORKFLOW", "STATE", "RESULT", "STEP", "DETAIL")
        click.echo(table(headers, rows))
        for run, check in report.rows:
            if check.status != "ok":
                click.echo(f"{run.execution_id}: {check.detail}", err=True)
    for name in report.unrecorded:
        click.echo(f"No recorded run of '{name}' to check.", err=True)
    unreadable = sum(run.unreadable for run, _ in report.rows)
    if unreadable:
        click.echo(
            f"{unreadable} recorded value(s) could not be decoded and were replayed as text.",
            err=True,
        )
    click.echo(
        f"{len(report.rows)} run(s) checked: {report.count('ok')} ok, "
        f"{report.count(DIVERGED)} diverged, {report.count(ERROR)} could not be checked",
        err=True,
    )


def _short(check: ReplayCheck) -> str:
    if check.found is not None:
        return f"recorded '{check.expected}', new code calls '{check.found}'"
    return check.detail


def _as_dict(run: Recorded, check: ReplayCheck) -> dict[str, Any]:
    return {
        "execution_id": run.execution_id,
        "workflow": run.workflow_name,
        "state": run.state,
        "status": check.status,
        "detail": check.detail,
        "step_id": check.step_id,
        "expected": check.expected,
        "found": check.found,
        "replayed_steps": check.replayed,
        "unreadable_values": run.unreadable,
    }
