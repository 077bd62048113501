"""`flux workflow`: register, run, resume, cancel and follow workflows on a Flux server, and
check new code against recorded runs before deploying it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from flux.api.models import ExecutionView
from flux.cli.check import check as check_command
from flux.cli.output import (
    echo_json,
    show_execution,
    stream_event_line,
    workflow_fields,
    workflows_table,
)
from flux.cli.remote import (
    IDEMPOTENCY_KEY_OPTION,
    format_option,
    parse_json_input,
    server_client,
    server_url_option,
)
from flux.client import EventStream, StreamEvent, WaitMode
from flux.domain.events import ExecutionState
from flux.domain.limits import MAX_PRIORITY, MIN_PRIORITY

_WAITING_STATES = (ExecutionState.PAUSED, *(s for s in ExecutionState if s.is_terminal))


@click.group()
def workflow() -> None:
    """Register, run and follow workflows on a Flux server."""


workflow.add_command(check_command)


@workflow.command("list")
@server_url_option
@format_option
def list_workflows(server_url: str | None, output_format: str) -> None:
    """List the registered workflows (latest version of each)."""
    with server_client(server_url) as client:
        workflows = client.list_workflows()
    if output_format == "json":
        echo_json(workflows)
    elif workflows:
        click.echo(workflows_table(workflows))
    else:
        click.echo("No workflows registered.", err=True)


@workflow.command("register")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@server_url_option
@format_option
def register(file: Path, server_url: str | None, output_format: str) -> None:
    """Register the workflows of a Python FILE.

    The server parses the file without running it; workers import it when they run it.
    """
    with server_client(server_url) as client:
        registered = client.upload_workflow(file)
    if output_format == "json":
        echo_json(registered)
        return
    for info in registered:
        click.echo(f"Registered workflow '{info.name}' (version {info.version[:12]}) from {file}")


@workflow.command("show")
@click.argument("name")
@click.option("--source", is_flag=True, help="Also print the workflow file's source.")
@server_url_option
@format_option
def show(name: str, source: bool, server_url: str | None, output_format: str) -> None:
    """Show a registered workflow.

    Its version (sha256 of its file), file, earlier versions, the secrets it asks for and its
    resource requests.
    """
    with server_client(server_url) as client:
        detail = client.get_workflow(name)
    if output_format == "json":
        echo_json(detail)
        return
    click.echo(workflow_fields(detail))
    if source and detail.source is not None:
        click.echo("\n" + detail.source.rstrip("\n"))


_MODE = click.option(
    "--mode",
    type=click.Choice(["sync", "async", "stream"]),
    default="async",
    show_default=True,
    help="async: return once queued; sync: wait until it ends or pauses; "
    "stream: print its events as they happen.",
)


@workflow.command("run")
@click.argument("name")
@click.argument("input_text", metavar="[INPUT]", required=False)
@_MODE
@IDEMPOTENCY_KEY_OPTION
@click.option(
    "--priority",
    type=click.IntRange(MIN_PRIORITY, MAX_PRIORITY),
    default=None,
    help="Overrides the workflow's priority: queued runs with a higher one start first.",
)
@server_url_option
@format_option
def run(
    name: str,
    input_text: str | None,
    mode: str,
    idempotency_key: str | None,
    priority: int | None,
    server_url: str | None,
    output_format: str,
) -> None:
    """Start a run of workflow NAME.

    INPUT is a JSON value (`-` reads it from stdin); strings need their own quotes.

    \b
    flux workflow run hello_world '"World"' --mode sync
    flux workflow run process_order '{"order_id": 42}' --idempotency-key order-42
    flux workflow run nightly_report --priority 10
    """
    value = parse_json_input(input_text)
    with server_client(server_url) as client:
        if mode == "stream":
            stream = client.stream(name, value, idempotency_key=idempotency_key, priority=priority)
            _follow(stream, output_format)
            return
        view = client.run(
            name, value, mode=_wait(mode), idempotency_key=idempotency_key, priority=priority
        )
    _show_run(view, output_format, waited=mode == "sync")


@workflow.command("resume")
@click.argument("name")
@click.argument("execution_id")
@click.argument("input_text", metavar="[INPUT]", required=False)
@_MODE
@server_url_option
@format_option
def resume(
    name: str,
    execution_id: str,
    input_text: str | None,
    mode: str,
    server_url: str | None,
    output_format: str,
) -> None:
    """Resume a paused run.

    The run's `pause(...)` call returns INPUT, a JSON value (`-` reads it from stdin).
    """
    value = parse_json_input(input_text)
    with server_client(server_url) as client:
        if mode == "stream":
            _follow(client.resume_stream(name, execution_id, value), output_format)
            return
        view = client.resume(name, execution_id, value, mode=_wait(mode))
    _show_run(view, output_format, waited=mode == "sync")


@workflow.command("status")
@click.argument("name")
@click.argument("execution_id")
@click.option("--detailed", is_flag=True, help="Also list the run's events.")
@server_url_option
@format_option
def status(
    name: str, execution_id: str, detailed: bool, server_url: str | None, output_format: str
) -> None:
    """Show the state, input and output of a run."""
    with server_client(server_url) as client:
        view = client.status(name, execution_id, detailed=detailed)
    show_execution(view, output_format)


@workflow.command("cancel")
@click.argument("name")
@click.argument("execution_id")
@click.option(
    "--mode",
    type=click.Choice(["sync", "async"]),
    default="async",
    show_default=True,
    help="async: return once asked; sync: wait until the run has stopped.",
)
@server_url_option
@format_option
def cancel(
    name: str, execution_id: str, mode: str, server_url: str | None, output_format: str
) -> None:
    """Cancel a run; its task rollbacks run."""
    with server_client(server_url) as client:
        view = client.cancel(name, execution_id, mode=_wait(mode))
    show_execution(view, output_format)


def _wait(mode: str) -> WaitMode:
    return "sync" if mode == "sync" else "async"


def _show_run(view: ExecutionView, output_format: str, waited: bool) -> None:
    show_execution(view, output_format)
    if view.state is ExecutionState.FAILED:
        raise click.ClickException(_failure(view.execution_id, view.error))
    if waited and view.state not in _WAITING_STATES:
        # The server ends a sync wait after its `server.sync_timeout` with the current state.
        click.echo(
            f"The run is still {view.state.value}; follow it with "
            f"`flux workflow status {view.workflow_name} {view.execution_id}`.",
            err=True,
        )


def _follow(events: EventStream, output_format: str) -> None:
    last: StreamEvent | None = None
    with events:
        for event in events:
            click.echo(stream_event_line(event, output_format))
            last = event
    if last is not None and last.event.endswith(".failed"):
        data: Any = last.data if isinstance(last.data, dict) else {}
        raise click.ClickException(_failure(data.get("execution_id"), data.get("error")))


def _failure(execution_id: str | None, error: str | None) -> str:
    run = f"execution {execution_id}" if execution_id else "the execution"
    return f"{run} failed: {error}" if error else f"{run} failed"
