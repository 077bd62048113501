"""`flux db`: maintenance of the configured database (`database_url`), run where the database
is reachable. These commands open the database directly, as a migration tool does; everything
else in the CLI goes through a server."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

import click

from flux.cli.ages import parse_age
from flux.config import Configuration, RetentionSettings
from flux.errors import FluxError

if TYPE_CHECKING:
    from flux.outputs.prune import OutputsPruned


@click.group()
def db() -> None:
    """Migrate the database and prune old executions."""


def _shown(url: str) -> str:
    # Never print a password from the URL.
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.partition("://")[0] + "://…"


@db.command("migrate")
def migrate() -> None:
    """Bring the database's schema to this version of Flux (servers also do it on start)."""
    from flux.storage.migrate import HEAD_REVISION, current_revision

    url = Configuration.get().settings.database_url
    if url.partition("://")[0].lower() == "memory":
        raise click.ClickException("database_url is memory://: there is nothing to migrate")
    try:
        before = current_revision(url)
        if before != HEAD_REVISION:
            # Opening a store migrates it, under the store's own lock against other migrators.
            asyncio.run(_open_and_close(url))
    except Exception as exc:
        raise click.ClickException(f"cannot migrate {_shown(url)}: {exc}") from None
    if before == HEAD_REVISION:
        click.echo(f"{_shown(url)}: already at revision {HEAD_REVISION}")
    else:
        was = before or "an empty database"
        click.echo(f"{_shown(url)}: migrated from {was} to {HEAD_REVISION}")


@db.command("prune")
@click.option(
    "--older-than",
    callback=parse_age,
    metavar="AGE",
    help="Delete finished executions older than AGE (e.g. 30d) instead of each workflow's "
    "retention (retention.days / retention.workflows).",
)
@click.option("--workflow", metavar="NAME", help="Only this workflow's executions.")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
def prune(older_than: timedelta | None, workflow: str | None, dry_run: bool) -> None:
    """Delete finished executions (with their events and logs) past their retention, then
    the large outputs no stored execution references anymore.

    Running, paused and queued executions are never deleted.
    """
    settings = Configuration.get().settings
    retention = settings.retention
    if older_than is not None:
        if older_than <= timedelta(0):
            raise click.BadParameter("must be more than 0", param_hint="--older-than")
        retention = RetentionSettings(days=older_than / timedelta(days=1), batch=retention.batch)
    try:
        counts = asyncio.run(_prune(settings.database_url, retention, workflow, dry_run))
    except (FluxError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    verb = "would delete" if dry_run else "deleted"
    for name, count in sorted(counts.items()):
        click.echo(f"{name}: {verb} {count}")
    click.echo(f"{verb} {sum(counts.values())} execution(s)", err=True)
    if settings.database_url.partition("://")[0].lower() != "memory":
        try:
            outputs = asyncio.run(_prune_outputs(dry_run))
        except Exception as exc:
            raise click.ClickException(f"cannot prune the output store: {exc}") from None
        click.echo(
            f"{verb} {outputs.deleted} unreferenced output(s), {outputs.bytes} bytes", err=True
        )


async def _open_and_close(url: str) -> None:
    from flux.storage.factory import create_orchestrator_store

    store = create_orchestrator_store(url)
    try:
        await store.ping()
    finally:
        await store.close()


async def _prune(
    url: str, retention: RetentionSettings, workflow: str | None, dry_run: bool
) -> dict[str, int]:
    from flux.orchestrator.retention import prune as prune_executions
    from flux.storage.factory import create_orchestrator_store

    store = create_orchestrator_store(url)
    try:
        return await prune_executions(store, retention, workflow=workflow, dry_run=dry_run)
    finally:
        await store.close()


async def _prune_outputs(dry_run: bool) -> OutputsPruned:
    from flux.outputs.prune import prune_outputs
    from flux.outputs.setup import configured_store

    settings = Configuration.get().settings
    store = configured_store(settings)
    grace = settings.outputs.prune_grace
    return await prune_outputs(settings.database_url, store, grace=grace, dry_run=dry_run)
