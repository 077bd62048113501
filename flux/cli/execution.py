"""`flux execution`: list, inspect and rerun runs of every workflow on a Flux server."""

from __future__ import annotations

from typing import Any

import click

from flux.cli.output import echo_json, executions_table, show_execution
from flux.cli.remote import (
    IDEMPOTENCY_KEY_OPTION,
    format_option,
    parse_json_input,
    server_client,
    server_url_option,
)
from flux.domain.events import ExecutionState


@click.group()
def execution() -> None:
    """List and inspect workflow runs."""


@execution.command("list")
@click.option("--workflow", "workflow_name", metavar="NAME", help="Only runs of this workflow.")
@click.option(
    "--state",
    type=click.Choice([state.value for state in ExecutionState], case_sensitive=False),
    help="Only runs in this state.",
)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@server_url_option
@format_option
def list_executions(
    workflow_name: str | None,
    state: str | None,
    limit: int,
    offset: int,
    server_url: str | None,
    output_format: str,
) -> None:
    """List runs, newest first, a page at a time."""
    with server_client(server_url) as client:
        page = client.list_executions(
            workflow=workflow_name, state=state and state.upper(), limit=limit, offset=offset
        )
    if output_format == "json":
        echo_json(page)
    elif page.executions:
        click.echo(executions_table(page))
        _page_note(page.count, offset, len(page.executions))
    else:
        click.echo("No executions.", err=True)


def _page_note(count: int, offset: int, shown: int) -> None:
    if offset + shown < count:
        click.echo(
            f"Showing {offset + 1}-{offset + shown} of {count}; "
            f"next page: --offset {offset + shown}",
            err=True,
        )


@execution.command("show")
@click.argument("execution_id")
@click.option("--detailed", is_flag=True, help="Also list the run's events.")
@server_url_option
@format_option
def show(execution_id: str, detailed: bool, server_url: str | None, output_format: str) -> None:
    """Show run EXECUTION_ID, whatever its workflow."""
    with server_client(server_url) as client:
        view = client.get_execution(execution_id, detailed=detailed)
    show_execution(view, output_format)


@execution.command("rerun")
@click.argument("execution_id")
@click.option(
    "--input",
    "input_text",
    metavar="JSON",
    help="Run with this input instead of the original's (reused steps keep their values).",
)
@click.option(
    "--step-output",
    "step_output_text",
    metavar="JSON",
    help="The value the failed step (or --step) returns instead of running again.",
)
@click.option("--step", "step_id", metavar="STEP_ID", help="The step --step-output is for.")
@click.option(
    "--version",
    metavar="VERSION",
    help="latest (default: the newest upload), original (the failed run's), or a version hash.",
)
@click.option(
    "--mode",
    type=click.Choice(["sync", "async"]),
    default="async",
    show_default=True,
    help="async: return once queued; sync: wait until the new run ends or pauses.",
)
@IDEMPOTENCY_KEY_OPTION
@server_url_option
@format_option
def rerun(
    execution_id: str,
    input_text: str | None,
    step_output_text: str | None,
    step_id: str | None,
    version: str | None,
    mode: str,
    idempotency_key: str | None,
    server_url: str | None,
    output_format: str,
) -> None:
    """Run a FAILED or CANCELLED execution again from where it stopped.

    A new execution reuses every step the original finished before its failure (their
    bodies do not run again) and runs the rest; the original stays as it was.

    \b
    flux execution rerun 4f2a… --mode sync
    flux execution rerun 4f2a… --step-output '{"status": "manual"}'
    """
    options: dict[str, Any] = {}
    if input_text is not None:
        options["input"] = parse_json_input(input_text, "--input")
    if step_output_text is not None:
        options["step_output"] = parse_json_input(step_output_text, "--step-output")
    if step_id is not None and step_output_text is None:
        raise click.BadParameter("give --step-output too", param_hint="'--step'")
    with server_client(server_url) as client:
        view = client.rerun(
            execution_id,
            step_id=step_id,
            version=version,
            mode="sync" if mode == "sync" else "async",
            idempotency_key=idempotency_key,
            **options,
        )
    show_execution(view, output_format)
    if view.state is ExecutionState.FAILED:
        raise click.ClickException(f"execution {view.execution_id} failed: {view.error}")
