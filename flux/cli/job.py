"""`flux job`: submit scripts to a Flux server, follow and inspect them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from flux.api.jobs import JobState, JobView
from flux.cli.output import echo_json, fields, table, value_text, when
from flux.cli.remote import (
    IDEMPOTENCY_KEY_OPTION,
    format_option,
    parse_json_input,
    server_client,
    server_url_option,
)


@click.group()
def job() -> None:
    """Run Python, Node.js and Bash scripts as sandboxed jobs."""


@job.command("submit")
@click.argument("script", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--runtime", "-r", required=True, help="node, node:18, python, python:3.9, bash")
@click.option("--name", help="A human-readable name (default: dataset-worker).")
@click.option("--payload", "-p", metavar="JSON", help="Data the script receives.")
@click.option("--dependency", "-d", "dependencies", multiple=True, help="A package to install.")
@click.option("--run-at", metavar="ISO-DATE", help="Run at this time instead of now.")
@click.option("--max-retries", type=click.IntRange(0, 100), help="Retries after a failure.")
@click.option("--type", "job_type", help="A classification (default: GENERIC_SCRIPT).")
@click.option("--timeout", type=float, help="Wall-clock seconds per attempt.")
@click.option("--memory", help="Memory limit per attempt, e.g. 256Mi.")
@click.option("--network/--no-network", default=None, help="Allow network access.")
@click.option(
    "--secret",
    "-s",
    "secret_names",
    multiple=True,
    metavar="NAME",
    help="A stored secret the script gets as the environment variable NAME (repeatable).",
)
@click.option("--follow", "-f", is_flag=True, help="Print the output until the job ends.")
@IDEMPOTENCY_KEY_OPTION
@server_url_option
@format_option
def submit(
    script: Path,
    runtime: str,
    name: str | None,
    payload: str | None,
    dependencies: tuple[str, ...],
    run_at: str | None,
    max_retries: int | None,
    job_type: str | None,
    timeout: float | None,
    memory: str | None,
    network: bool | None,
    secret_names: tuple[str, ...],
    follow: bool,
    idempotency_key: str | None,
    server_url: str | None,
    output_format: str,
) -> None:
    """Submit SCRIPT; prints the job id (and its output with --follow)."""
    limits: dict[str, Any] = {
        k: v
        for k, v in (("timeout", timeout), ("memory", memory), ("network", network))
        if v is not None
    }
    with server_client(server_url) as client:
        submitted = client.submit_job(
            script,
            runtime,
            name=name,
            payload=parse_json_input(payload, "--payload") if payload is not None else None,
            dependencies=list(dependencies) if dependencies else None,
            secrets=list(secret_names) if secret_names else None,
            run_at=run_at,
            max_retries=max_retries,
            type=job_type,
            idempotency_key=idempotency_key,
            **limits,
        )
        if not follow:
            if output_format == "json":
                echo_json(submitted)
            else:
                click.echo(submitted.job_id)
            return
        click.echo(f"job {submitted.job_id}", err=True)
        final = _follow(client, submitted.job_id)
        view = client.get_job(submitted.job_id)
    if output_format == "json":
        echo_json(view)
    elif view.output is not None:
        click.echo(value_text(view.output))
    if final != JobState.COMPLETED.value:
        raise click.ClickException(f"job {view.job_id} ended {final}: {view.error or ''}".strip())


def _follow(client: Any, job_id: str, *, err: bool = True) -> str:
    """Print the job's output as it comes (on stderr by default, keeping stdout for the
    job's output value); returns the final state."""
    with client.follow_job(job_id) as stream:
        for event in stream:
            if event.event == "log":
                click.echo(event.data.get("text", ""), nl=False, err=err)
            elif event.event == "attempt" and event.data.get("reason"):
                click.echo(
                    f"-- attempt {event.data.get('attempt')}: {event.data.get('reason')}", err=True
                )
            elif event.event == "end":
                return str(event.data.get("state"))
    return "UNKNOWN"


@job.command("show")
@click.argument("job_id")
@server_url_option
@format_option
def show(job_id: str, server_url: str | None, output_format: str) -> None:
    """State, output, attempts and logs of JOB_ID."""
    with server_client(server_url) as client:
        view = client.get_job(job_id)
    if output_format == "json":
        echo_json(view)
        return
    click.echo(_job_fields(view))
    if view.attempts:
        rows = [
            [
                str(a.attempt),
                a.state.value,
                when(a.started_at),
                "" if a.exit_code is None else str(a.exit_code),
                a.reason or "",
            ]
            for a in view.attempts
        ]
        click.echo()
        click.echo(table(["ATTEMPT", "STATE", "STARTED", "EXIT", "REASON"], rows))
    if view.logs:
        click.echo("\nLogs (last attempt):")
        click.echo(view.logs.rstrip("\n"))


def _job_fields(view: JobView) -> str:
    pairs = [
        ("Job", view.job_id),
        ("Name", view.name),
        ("Type", view.type),
        ("Runtime", view.runtime),
        ("State", view.state.value),
        ("Exit code", "" if view.exit_code is None else str(view.exit_code)),
        ("Created", when(view.created_at)),
    ]
    if view.run_at is not None:
        pairs.append(("Run at", when(view.run_at)))
    if view.output is not None:
        pairs.append(("Output", value_text(view.output)))
    if view.error:
        pairs.append(("Error", view.error))
    return fields(pairs)


@job.command("list")
@click.option("--state", type=click.Choice([s.value for s in JobState], case_sensitive=False))
@click.option("--name", help="Only jobs with this name.")
@click.option("--type", "job_type", help="Only jobs of this type.")
@click.option("--limit", type=click.IntRange(1, 1000), default=25, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@server_url_option
@format_option
def list_jobs(
    state: str | None,
    name: str | None,
    job_type: str | None,
    limit: int,
    offset: int,
    server_url: str | None,
    output_format: str,
) -> None:
    """Jobs, newest first."""
    with server_client(server_url) as client:
        page = client.list_jobs(
            state=state and state.upper(), name=name, type=job_type, limit=limit, offset=offset
        )
    if output_format == "json":
        echo_json(page)
        return
    if not page.jobs:
        click.echo("No jobs.", err=True)
        return
    rows = [[j.job_id, j.name, j.runtime, j.state.value, when(j.created_at)] for j in page.jobs]
    click.echo(table(["JOB", "NAME", "RUNTIME", "STATE", "CREATED"], rows))
    if offset + len(page.jobs) < page.count:
        click.echo(f"Showing {offset + 1}-{offset + len(page.jobs)} of {page.count}", err=True)


@job.command("cancel")
@click.argument("job_id")
@server_url_option
@format_option
def cancel(job_id: str, server_url: str | None, output_format: str) -> None:
    """Cancel JOB_ID (a running attempt is killed)."""
    with server_client(server_url) as client:
        view = client.cancel_job(job_id)
    if output_format == "json":
        echo_json(view)
    else:
        click.echo(f"{view.job_id}: {view.state.value}")


@job.command("logs")
@click.argument("job_id")
@click.option("--follow", "-f", is_flag=True, help="Keep printing until the job ends.")
@server_url_option
def logs(job_id: str, follow: bool, server_url: str | None) -> None:
    """Print the output of JOB_ID's last attempt."""
    with server_client(server_url) as client:
        if follow:
            _follow(client, job_id, err=False)
        else:
            click.echo(client.get_job(job_id).logs, nl=False)
