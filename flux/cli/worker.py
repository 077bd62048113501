"""`flux worker list`: the workers a Flux server knows, and whether they are connected.
`flux worker deps`: this machine's cache of script job dependencies."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import click

from flux.cli.ages import parse_age
from flux.cli.output import echo_json, table, when
from flux.cli.remote import format_option, server_client, server_url_option

if TYPE_CHECKING:
    from flux.jobs.deps import DependencyCache


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


@worker.command("revoke")
@click.argument("name")
@server_url_option
def revoke_worker(name: str, server_url: str | None) -> None:
    """End worker NAME's session (admin): it exits; rejoining needs the bootstrap token."""
    with server_client(server_url) as client:
        client.revoke_worker(name)
    click.echo(f"revoked the session of worker '{name}'; its runs go back to the queue")


@worker.group("deps")
def deps() -> None:
    """The dependency cache of script jobs on this machine (jobs.deps_cache)."""


def _cache() -> DependencyCache:
    from flux.config import Configuration
    from flux.jobs.deps import DependencyCache
    from flux.jobs.runner import deps_cache_root
    from flux.jobs.sandbox.process import ProcessSandbox

    # Listing and pruning never install, so no sandbox is probed for it.
    return DependencyCache(
        deps_cache_root(Configuration.get().settings), ProcessSandbox(use_cgroups=False)
    )


@deps.command("list")
@format_option
def list_deps(output_format: str) -> None:
    """Installed dependency sets, least recently used first."""
    cache = _cache()
    entries = cache.list_entries()
    if output_format == "json":
        echo_json([{**vars(e), "path": str(e.path)} for e in entries])
        return
    if not entries:
        click.echo(f"No cached dependencies in {cache.root}.", err=True)
        return
    rows = [
        [e.runtime, " ".join(e.packages), f"{e.size_bytes // 1024} KiB", when(e.last_used)]
        for e in entries
    ]
    click.echo(table(["RUNTIME", "PACKAGES", "SIZE", "LAST USED"], rows))
    click.echo(f"in {cache.root}", err=True)


@deps.command("prune")
@click.option(
    "--older-than", callback=parse_age, metavar="AGE", help="Only sets unused for AGE (e.g. 7d)."
)
def prune_deps(older_than: timedelta | None) -> None:
    """Delete cached dependency sets (all of them without --older-than)."""
    removed = _cache().prune(older_than)
    for entry in removed:
        click.echo(f"removed {entry.runtime} {' '.join(entry.packages)}")
    click.echo(f"{len(removed)} set(s) removed", err=True)
