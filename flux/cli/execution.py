"""`flux execution`: list and inspect runs of every workflow on a Flux server."""

from __future__ import annotations

import click

from flux.cli.output import echo_json, executions_table, show_execution
from flux.cli.remote import format_option, server_client, server_url_option
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
