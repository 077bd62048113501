"""`flux secrets`: manage the encrypted secrets of the store named by `database_url`."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from flux.config import Configuration
from flux.errors import FluxError
from flux.keyring import secret_cipher
from flux.secret_managers import DatabaseSecretManager, SecretManager
from flux.storage.factory import create_store

T = TypeVar("T")


async def _with_manager(action: Callable[[SecretManager], Awaitable[T]]) -> T:
    settings = Configuration.get().settings
    cipher = secret_cipher(settings)
    store = create_store(settings.database_url)
    try:
        return await action(DatabaseSecretManager(store, cipher))
    finally:
        await store.close()


def _run(action: Callable[[SecretManager], Awaitable[T]]) -> T:
    try:
        return asyncio.run(_with_manager(action))
    except (FluxError, ValueError, TypeError) as exc:
        raise click.ClickException(str(exc)) from None


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
    """Manage secrets. Values are stored encrypted; `list` shows names only."""


@secrets.command("list")
def list_secrets() -> None:
    """List the names of all secrets."""
    names = _run(lambda manager: manager.all())
    for name in names:
        click.echo(name)
    if not names:
        click.echo("No secrets.", err=True)


@secrets.command("set")
@click.argument("name")
@click.argument("value", required=False)
def set_secret(name: str, value: str | None) -> None:
    """Create or replace secret NAME.

    Without VALUE the value is read from stdin (a hidden prompt on a terminal), which keeps it
    out of the shell history.
    """
    secret = _read_value() if value is None else value
    _run(lambda manager: manager.save(name, secret))
    click.echo(f"Secret '{name}' saved.")


@secrets.command("get")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Print the value without asking first.")
def get_secret(name: str, yes: bool) -> None:
    """Print the value of secret NAME (asks for confirmation first)."""
    value = _run(lambda manager: manager.get([name]))[name]
    if not yes:
        click.confirm(f"Print the value of secret '{name}' to the terminal?", abort=True, err=True)
    click.echo(_printable(value))


@secrets.command("remove")
@click.argument("name")
def remove_secret(name: str) -> None:
    """Delete secret NAME."""
    if not _run(lambda manager: manager.remove(name)):
        raise click.ClickException(f"secret '{name}' not found")
    click.echo(f"Secret '{name}' removed.")
