"""What every command that talks to a Flux server shares: the `--server-url` and `--format`
options, JSON input, and one mapping from client errors to exit codes.

Exit codes: 0 ok; 1 the server refused or failed (message on stderr); 2 usage or bad input
(click's own code); 3 the server cannot be reached.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click

from flux.client import FluxClient, ServerUnavailableError
from flux.errors import FluxError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_UNREACHABLE = 3


class ServerUnreachable(click.ClickException):
    exit_code = EXIT_UNREACHABLE

    def __init__(self, message: str, *, answered: bool = False):
        super().__init__(message)
        # True when something answered but not as a working Flux server (e.g. 502/503).
        self.answered = answered


def _check_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and urlsplit(value).scheme not in ("http", "https"):
        raise click.BadParameter(f"'{value}' is not an http:// or https:// URL")
    return value


def server_url_option(command: F) -> F:
    return click.option(
        "--server-url",
        callback=_check_url,
        metavar="URL",
        help="Flux server to talk to [default: setting workers.server_url].",
    )(command)


# A start that is retried (by a script, a scheduler, a person) with the same key is
# answered with what the first one started.
IDEMPOTENCY_KEY_OPTION = click.option(
    "--idempotency-key",
    metavar="KEY",
    help="Start at most once per KEY: repeating it returns what the first start made.",
)


def format_option(command: F) -> F:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="Readable text, or JSON for scripts.",
    )(command)


@contextmanager
def server_client(server_url: str | None) -> Iterator[FluxClient]:
    """A client whose errors end the command with the right exit code and message."""
    try:
        with FluxClient(server_url) as client:
            yield client
    except ServerUnavailableError as exc:
        raise _unreachable(exc, server_url) from None
    except FluxError as exc:
        raise click.ClickException(str(exc)) from None


def _unreachable(exc: ServerUnavailableError, server_url: str | None) -> click.ClickException:
    if exc.status_code is None:
        return ServerUnreachable(f"{exc}; start it with `flux start server`")
    return ServerUnreachable(f"the Flux server answered {exc.status_code}: {exc}", answered=True)


def parse_json_input(text: str | None, what: str = "INPUT") -> Any:
    """A command's JSON argument; `-` reads it from stdin. Absent means null."""
    if text is None:
        return None
    if text == "-":
        text = sys.stdin.read()
    try:
        return json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(
            f"not valid JSON ({exc}); a string needs its own quotes, e.g. '\"World\"'",
            param_hint=f"'{what}'",
        ) from None
