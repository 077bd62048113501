"""`flux audit`: who did what on the server (docs/audit.md). Needs an admin key."""

from __future__ import annotations

from datetime import datetime

import click

from flux.api.audit import AuditEntry
from flux.cli.ages import parse_age
from flux.cli.output import echo_json, table, when
from flux.cli.remote import format_option, server_client, server_url_option
from flux.domain.events import utcnow


def _moment(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """An age back from now ('30m', '7d') or an ISO 8601 time (local time if no zone)."""
    if value is None:
        return None
    try:
        age = parse_age(ctx, param, value)
    except click.BadParameter:
        try:
            return datetime.fromisoformat(value.strip()).astimezone()
        except ValueError:
            raise click.BadParameter(
                f"'{value}' is neither an age like 30m, 12h, 7d nor a time like 2025-06-01T12:00"
            ) from None
    assert age is not None
    return utcnow() - age


@click.group()
def audit() -> None:
    """The audit log: starts, cancels, secret and key changes, refused attempts."""


@audit.command("list")
@click.option("--actor", metavar="TEXT", help="Part of the actor: a key id, a key's name.")
@click.option("--action", metavar="ACTION", help="e.g. secret.read, or a family: secret.")
@click.option("--target", metavar="NAME", help="The object: workflow, execution, secret, key.")
@click.option("--since", callback=_moment, metavar="WHEN", help="An age (7d) or a time.")
@click.option("--until", callback=_moment, metavar="WHEN", help="An age (1h) or a time.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--cursor", metavar="CURSOR", help="Continue after a previous page.")
@server_url_option
@format_option
def list_audit(
    actor: str | None,
    action: str | None,
    target: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
    server_url: str | None,
    output_format: str,
) -> None:
    """Recorded actions, newest first (written within about 0.2 s of each action)."""
    with server_client(server_url) as client:
        page = client.audit(
            actor=actor,
            action=action,
            target=target,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
    if output_format == "json":
        echo_json(page)
        return
    if not page.entries:
        click.echo("No audit records.", err=True)
        return
    headers = ["TIME", "ACTOR", "ROLE", "ACTION", "TARGET", "STATUS", "CLIENT"]
    click.echo(table(headers, [_row(entry) for entry in page.entries]))
    if page.next_cursor:
        click.echo(f"More: add --cursor {page.next_cursor}", err=True)


def _row(entry: AuditEntry) -> list[str]:
    return [
        when(entry.at),
        entry.actor,
        entry.role or "-",
        entry.action,
        entry.target or "-",
        "-" if entry.status is None else str(entry.status),
        entry.client or "-",
    ]
