"""`flux limits`: concurrency and rate limits, who holds them, what waits (docs/production.md)."""

from __future__ import annotations

import click

from flux.api.limits import LimitList, LimitView
from flux.cli.output import echo_json, table, when
from flux.cli.remote import format_option, server_client, server_url_option

_SHOWN_HOLDERS = 3


@click.group()
def limits() -> None:
    """Queues and limits: concurrency and rate limits of workflows and jobs."""


@limits.command("list")
@click.option("--workflow", metavar="NAME", help="Only the limits of this workflow.")
@server_url_option
@format_option
def list_limits(workflow: str | None, server_url: str | None, output_format: str) -> None:
    """Each limit: capacity, the runs holding its slots, how many runs wait."""
    with server_client(server_url) as client:
        found = client.list_limits(workflow)
    if output_format == "json":
        echo_json(found)
        return
    if not found.limits and not found.workflows:
        click.echo("No limits.", err=True)
        return
    click.echo(limits_text(found))


def limits_text(found: LimitList) -> str:
    parts = []
    if found.limits:
        headers = ["KIND", "KEY", "CAPACITY", "IN USE", "WAITING", "HOLDERS", "NEXT FREE"]
        parts.append(table(headers, [_row(limit) for limit in found.limits]))
    if found.workflows:
        rows = [
            [
                w.workflow_name,
                str(w.priority),
                "-" if w.concurrency is None else str(w.concurrency),
                w.concurrency_key or "-",
                w.rate_limit or "-",
                w.rate_limit_key or "-",
            ]
            for w in found.workflows
        ]
        headers = ["WORKFLOW", "PRIORITY", "CONCURRENCY", "PER", "RATE", "PER"]
        parts.append(table(headers, rows))
    return "\n\n".join(parts)


def _row(limit: LimitView) -> list[str]:
    holders = ", ".join(h.execution_id for h in limit.holders[:_SHOWN_HOLDERS])
    if len(limit.holders) > _SHOWN_HOLDERS:
        holders += f" +{len(limit.holders) - _SHOWN_HOLDERS}"
    capacity = limit.rate if limit.kind == "rate" and limit.rate else str(limit.capacity)
    return [
        limit.kind,
        limit.key,
        capacity,
        str(limit.in_use),
        str(limit.waiting),
        holders or "-",
        when(limit.next_free_at) if limit.next_free_at else "-",
    ]
