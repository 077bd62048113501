"""`flux auth`: API keys (docs/security.md) and who the server takes you for.

Every command goes through the server with the key of `--api-key` / FLUX_API_KEY, except
`create-key --local`, the break-glass for a lost admin key: it opens `database_url`
directly, as `flux db` does, so it needs access to the database, not to the server.
"""

from __future__ import annotations

import asyncio

import click

from flux.api.auth import ApiKeyView
from flux.cli.output import echo_json, fields, table, when
from flux.cli.remote import format_option, server_client, server_url_option
from flux.config import Configuration
from flux.domain.access import Role
from flux.errors import FluxError

_ROLES = click.Choice([role.value for role in Role], case_sensitive=False)


@click.group()
def auth() -> None:
    """Manage API keys and check which one you use."""


@auth.command("create-key")
@click.option("--name", required=True, help="Who or what uses the key (e.g. ci, alice).")
@click.option("--role", type=_ROLES, required=True, help="What the key may do.")
@click.option(
    "--local",
    is_flag=True,
    help="Write the key into database_url directly, without a server (a lost admin key).",
)
@server_url_option
def create_key(name: str, role: str, local: bool, server_url: str | None) -> None:
    """Create a key and print it (on stdout, this once only)."""
    if local:
        key_id, key = _create_local(name, role)
    else:
        with server_client(server_url) as client:
            created = client.create_api_key(name, role)
        key_id, key = created.id, created.key
    click.echo(key)
    click.echo(
        f"created API key {key_id} ({name}, {role.lower()}); it is shown only now. "
        "Use it with: export FLUX_API_KEY=<key>",
        err=True,
    )


def _create_local(name: str, role: str) -> tuple[str, str]:
    from flux.orchestrator.api_keys import ApiKeyService
    from flux.storage.factory import create_orchestrator_store

    url = Configuration.get().settings.database_url
    if url.partition("://")[0].lower() == "memory":
        raise click.ClickException("database_url is memory://: no server could see a key")

    async def create() -> tuple[str, str]:
        store = create_orchestrator_store(url)
        try:
            issued = await ApiKeyService(store).create(name, role, "local (flux auth --local)")
        finally:
            await store.close()
        return issued.row.id, issued.key

    try:
        return asyncio.run(create())
    except FluxError as exc:
        raise click.ClickException(str(exc)) from None


@auth.command("list")
@server_url_option
@format_option
def list_keys(server_url: str | None, output_format: str) -> None:
    """List keys (never their secrets), revoked ones too."""
    with server_client(server_url) as client:
        keys = client.list_api_keys()
    if output_format == "json":
        echo_json(keys)
        return
    if not keys:
        click.echo("No API keys.", err=True)
        return
    headers = ["ID", "NAME", "ROLE", "CREATED", "LAST USED", "REVOKED"]
    click.echo(table(headers, [_row(key) for key in keys]))


def _row(key: ApiKeyView) -> list[str]:
    return [
        key.id,
        key.name,
        key.role,
        when(key.created_at),
        when(key.last_used_at) if key.last_used_at else "-",
        when(key.revoked_at) if key.revoked_at else "-",
    ]


@auth.command("revoke")
@click.argument("key_id")
@server_url_option
def revoke(key_id: str, server_url: str | None) -> None:
    """Revoke the key KEY_ID (its id, as `flux auth list` shows)."""
    with server_client(server_url) as client:
        key = client.revoke_api_key(key_id)
    click.echo(f"revoked API key {key.id} ({key.name}, {key.role})")


@auth.command("whoami")
@server_url_option
@format_option
def whoami(server_url: str | None, output_format: str) -> None:
    """Show who the server takes you for, and with which role."""
    with server_client(server_url) as client:
        me = client.whoami()
    if output_format == "json":
        echo_json(me)
        return
    click.echo(fields([("caller", me.label), ("role", me.role)]))
