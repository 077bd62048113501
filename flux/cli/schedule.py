"""`flux schedule`: start workflows on a cron, an interval or once (docs/schedules.md)."""

from __future__ import annotations

from datetime import datetime

import click

from flux.api.schedules import SchedulePreview, ScheduleView
from flux.cli.output import echo_json, fields, table, value_text, when
from flux.cli.remote import format_option, parse_json_input, server_client, server_url_option


@click.group()
def schedule() -> None:
    """Start workflows on a schedule: cron, interval or once."""


def _maybe(moment: datetime | None, empty: str = "-") -> str:
    return empty if moment is None else when(moment)


@schedule.command("list")
@server_url_option
@format_option
def list_schedules(server_url: str | None, output_format: str) -> None:
    """Every schedule with its next fire time."""
    with server_client(server_url) as client:
        found = client.list_schedules()
    if output_format == "json":
        echo_json(found)
        return
    if not found:
        click.echo("No schedules.", err=True)
        return
    rows = [
        [
            s.name,
            s.workflow,
            s.description,
            s.state,
            _maybe(s.next_fire_at, "never"),
            _maybe(s.last_fire_at),
            str(s.runs_started),
        ]
        for s in found
    ]
    headers = ["NAME", "WORKFLOW", "SCHEDULE", "STATE", "NEXT", "LAST", "RUNS"]
    click.echo(table(headers, rows))


@schedule.command("show")
@click.argument("schedule_key", metavar="ID_OR_NAME")
@click.option("--runs", type=click.IntRange(0, 1000), default=10, show_default=True)
@server_url_option
@format_option
def show(schedule_key: str, runs: int, server_url: str | None, output_format: str) -> None:
    """A schedule, its policies and its latest runs."""
    with server_client(server_url) as client:
        view = client.get_schedule(schedule_key, runs)
    if output_format == "json":
        echo_json(view)
        return
    click.echo(_fields(view))
    if view.recent_runs:
        rows = [[when(r.fire_time), r.execution_id or "-", r.state] for r in view.recent_runs]
        click.echo()
        click.echo(table(["FIRE TIME", "EXECUTION", "STATE"], rows))


def _fields(view: ScheduleView) -> str:
    pairs = [
        ("Schedule", view.id),
        ("Name", view.name),
        ("Workflow", view.workflow),
        ("Input", value_text(view.input)),
        ("When", view.description),
        ("State", view.state),
        ("Next fire", _maybe(view.next_fire_at, "never")),
        ("Last fire", _maybe(view.last_fire_at)),
        ("Overlap", view.overlap),
        ("Catch-up", f"{view.catchup} (limit {view.catchup_limit})"),
        ("Runs", f"{view.runs_started} started, {view.runs_skipped} skipped"),
        ("Source", view.source),
    ]
    if view.last_error:
        pairs.append(("Last error", view.last_error))
    return fields(pairs)


@schedule.command("create")
@click.argument("name")
@click.argument("workflow")
@click.option("--cron", "cron_expression", metavar="EXPR", help="5 fields, e.g. '0 9 * * 1-5'.")
@click.option("--timezone", "--tz", metavar="ZONE", help="For --cron, e.g. Europe/Lisbon.")
@click.option("--every", "interval_seconds", type=float, metavar="SECONDS", help="An interval.")
@click.option("--at", "once_at", metavar="ISO-DATE", help="Once, at this time (UTC if naive).")
@click.option("--input", "-i", "input_json", metavar="JSON", help="Input of each run.")
@click.option("--overlap", type=click.Choice(["skip", "allow"]), default="skip", show_default=True)
@click.option(
    "--catchup", type=click.Choice(["skip", "latest", "all"]), default="latest", show_default=True
)
@click.option("--catchup-limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@server_url_option
@format_option
def create(
    name: str,
    workflow: str,
    cron_expression: str | None,
    timezone: str | None,
    interval_seconds: float | None,
    once_at: str | None,
    input_json: str | None,
    overlap: str,
    catchup: str,
    catchup_limit: int,
    server_url: str | None,
    output_format: str,
) -> None:
    """Schedule runs of WORKFLOW, under NAME; give one of --cron, --every, --at."""
    with server_client(server_url) as client:
        view = client.create_schedule(
            name,
            workflow,
            input=parse_json_input(input_json, "--input") if input_json is not None else None,
            cron=cron_expression,
            timezone=timezone,
            interval_seconds=interval_seconds,
            once_at=once_at,
            overlap=overlap,
            catchup=catchup,
            catchup_limit=catchup_limit,
        )
    if output_format == "json":
        echo_json(view)
    else:
        click.echo(f"{view.id}: next fire {_maybe(view.next_fire_at, 'never')}")


def _state_command(action: str, help_text: str) -> None:
    @schedule.command(action, help=help_text)
    @click.argument("schedule_key", metavar="ID_OR_NAME")
    @server_url_option
    @format_option
    def command(schedule_key: str, server_url: str | None, output_format: str) -> None:
        with server_client(server_url) as client:
            change = client.pause_schedule if action == "pause" else client.resume_schedule
            view = change(schedule_key)
        if output_format == "json":
            echo_json(view)
        else:
            click.echo(f"{view.name}: {view.state}, next fire {_maybe(view.next_fire_at, '-')}")


_state_command("pause", "Stop firing until resumed.")
_state_command("resume", "Fire again, from now on (missed times are not caught up).")


@schedule.command("delete")
@click.argument("schedule_key", metavar="ID_OR_NAME")
@server_url_option
def delete(schedule_key: str, server_url: str | None) -> None:
    """Delete a schedule (the runs it started stay)."""
    with server_client(server_url) as client:
        client.delete_schedule(schedule_key)
    click.echo(f"deleted {schedule_key}")


@schedule.command("preview")
@click.argument("schedule_key", metavar="[ID_OR_NAME]", required=False)
@click.option("--cron", "cron_expression", metavar="EXPR", help="Preview this cron instead.")
@click.option("--timezone", "--tz", metavar="ZONE")
@click.option("--every", "interval_seconds", type=float, metavar="SECONDS")
@click.option("--at", "once_at", metavar="ISO-DATE")
@click.option("--count", "-n", type=click.IntRange(1, 1000), default=10, show_default=True)
@server_url_option
@format_option
def preview(
    schedule_key: str | None,
    cron_expression: str | None,
    timezone: str | None,
    interval_seconds: float | None,
    once_at: str | None,
    count: int,
    server_url: str | None,
    output_format: str,
) -> None:
    """The next fire times of a stored schedule, or of --cron/--every/--at."""
    given = (cron_expression, interval_seconds, once_at)
    if (schedule_key is None) == all(value is None for value in given):
        raise click.UsageError("give a schedule's ID_OR_NAME, or one of --cron, --every, --at")
    with server_client(server_url) as client:
        shown: SchedulePreview = client.preview_schedule(
            schedule_key,
            count=count,
            cron=cron_expression,
            timezone=timezone,
            interval_seconds=interval_seconds,
            once_at=once_at,
        )
    if output_format == "json":
        echo_json(shown)
        return
    click.echo(shown.description, err=True)
    for moment in shown.fire_times:
        # In the schedule's own timezone (the server sends it so), with its UTC offset.
        click.echo(moment.isoformat())
