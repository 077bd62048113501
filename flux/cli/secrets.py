"""`flux secrets`: manage encrypted secrets on a Flux server, or with `--local` directly in the
store named by `database_url` (for use with no server, e.g. local `workflow.run()`)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from flux.cli.remote import ServerUnreachable, server_client, server_url_option
from flux.client import FluxClient
from flux.config import Configuration
from flux.errors import FluxError
from flux.keyring import secret_cipher
from flux.secret_managers import DatabaseSecretManager, SecretManager, check_encryption_key
from flux.storage.factory import create_store

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


async def _with_manager(action: Callable[[SecretManager], Awaitable[T]]) -> T:
    settings = Configuration.get().settings
    store = create_store(settings.database_url)
    try:
        # Checked before the key is read: a missing key file would be created anew.
        await check_encryption_key(settings, store)
        return await action(DatabaseSecretManager(store, secret_cipher(settings)))
    finally:
        await store.close()


def _run_local(action: Callable[[SecretManager], Awaitable[T]]) -> T:
    try:
        return asyncio.run(_with_manager(action))
    except (FluxError, ValueError, TypeError) as exc:
        raise click.ClickException(str(exc)) from None


def _dispatch(
    local: bool,
    server_url: str | None,
    on_local: Callable[[SecretManager], Awaitable[T]],
    on_server: Callable[[FluxClient], T],
) -> T:
    """Run on the server; with `--local`, or when no server runs at the default address, on
    the local database. The local flow of flux-core's docs (secrets for `workflow.run()` with
    no server) keeps working, and a note on stderr says where the secret went."""
    if local and server_url is not None:
        raise click.UsageError("--local and --server-url exclude each other")
    if local:
        return _run_local(on_local)
    try:
        with server_client(server_url) as client:
            return on_server(client)
    except ServerUnreachable as exc:
        if server_url is not None or exc.answered:
            raise ServerUnreachable(
                f"{exc.message}, or add --local to use the local database"
            ) from None
    database = Configuration.get().settings.database_url
    click.echo(f"No Flux server is running; using the local database ({database}).", err=True)
    return _run_local(on_local)


def _where(command: F) -> F:
    """`--local` or `--server-url`: which of the two places a command works on."""
    command = server_url_option(command)
    return click.option(
        "--local",
        is_flag=True,
        help="Work on the local database (`database_url`) instead of a Flux server.",
    )(command)


def _delete_on_server(client: FluxClient, name: str) -> bool:
    client.delete_secret(name)  # a missing name is a 404, raised as an error
    return True


async def _one(manager: SecretManager, name: str) -> Any:
    return (await manager.get([name]))[name]


def _read_value() -> str:
    if sys.stdin.isatty():
        value: str = click.prompt("Value", hide_input=True, confirmation_prompt=True, err=True)
        return value
    value = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    if not value:
        raise click.UsageError("no VALUE given and nothing on stdin")
    return value


def _printable(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@click.group()
def secrets() -> None:
    """Manage secrets. Values are stored encrypted; `list` shows names only.

    Commands talk to the Flux server (`--server-url`, default setting workers.server_url);
    with `--local` they use the local database instead.
    """


@secrets.command("list")
@_where
def list_secrets(local: bool, server_url: str | None) -> None:
    """List the names of all secrets."""
    names = _dispatch(
        local, server_url, lambda manager: manager.all(), lambda client: client.list_secrets()
    )
    for name in names:
        click.echo(name)
    if not names:
        click.echo("No secrets.", err=True)


@secrets.command("set")
@click.argument("name")
@click.argument("value", required=False)
@_where
def set_secret(name: str, value: str | None, local: bool, server_url: str | None) -> None:
    """Create or replace secret NAME.

    Without VALUE the value is read from stdin (a hidden prompt on a terminal), which keeps it
    out of the shell history.
    """
    secret = _read_value() if value is None else value
    _dispatch(
        local,
        server_url,
        lambda manager: manager.save(name, secret),
        lambda client: client.set_secret(name, secret),
    )
    click.echo(f"Secret '{name}' saved.")


@secrets.command("get")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Print the value without asking first.")
@_where
def get_secret(name: str, yes: bool, local: bool, server_url: str | None) -> None:
    """Print the value of secret NAME (asks for confirmation first)."""
    value = _dispatch(
        local,
        server_url,
        lambda manager: _one(manager, name),
        lambda client: client.get_secret(name).value,
    )
    if not yes:
        click.confirm(f"Print the value of secret '{name}' to the terminal?", abort=True, err=True)
    click.echo(_printable(value))


@secrets.command("remove")
@click.argument("name")
@_where
def remove_secret(name: str, local: bool, server_url: str | None) -> None:
    """Delete secret NAME."""
    removed = _dispatch(
        local,
        server_url,
        lambda manager: manager.remove(name),
        lambda client: _delete_on_server(client, name),
    )
    if not removed:
        raise click.ClickException(f"secret '{name}' not found")
    click.echo(f"Secret '{name}' removed.")
