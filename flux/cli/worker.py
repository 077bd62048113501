"""`flux worker list`: the workers a Flux server knows, and whether they are connected."""

from __future__ import annotations

import click

from flux.cli.output import echo_json, table, when
from flux.cli.remote import format_option, server_client, server_url_option


@click.group()
def worker() -> None:
    """Inspect the worker fleet (start one with `flux start worker`)."""


@worker.command("list")
@server_url_option
@format_option
def list_workers(server_url: str | None, output_format: str) -> None:
    """List registered workers with their status and resources."""
    with server_client(server_url) as client:
        workers = client.list_workers()
    if output_format == "json":
        echo_json(workers)
        return
    if not workers:
        click.echo("No workers.", err=True)
        return
    rows = [
        [
            w.name,
            w.status,
            str(w.resources.get("cpu_total", "?")),
            f"{int(w.resources.get('memory_total', 0)) // 2**20} MiB",
            str(w.max_concurrency),
            when(w.last_seen_at),
        ]
        for w in workers
    ]
    click.echo(table(["NAME", "STATUS", "CPUS", "MEMORY", "SLOTS", "LAST SEEN"], rows))
