"""Entry point of the `flux` command.

Topics are imported only when used, so `flux secrets list` does not pay for importing the
server. To add a topic, write `flux/cli/<topic>.py` with a click group and list it in `TOPICS`.
"""

from __future__ import annotations

import importlib

import click

from flux import logs
from flux.config import Configuration
from flux.errors import ConfigurationError

# command name -> "module:attribute" of its click command or group
TOPICS: dict[str, str] = {
    "auth": "flux.cli.auth:auth",
    "audit": "flux.cli.audit:audit",
    "db": "flux.cli.db:db",
    "execution": "flux.cli.execution:execution",
    "job": "flux.cli.job:job",
    "limits": "flux.cli.limits:limits",
    "schedule": "flux.cli.schedule:schedule",
    "secrets": "flux.cli.secrets:secrets",
    "start": "flux.cli.start:start",
    "worker": "flux.cli.worker:worker",
    "workflow": "flux.cli.workflow:workflow",
}


class _TopicGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *TOPICS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = TOPICS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


def _configure_logging() -> None:
    """Flux's own messages at the configured level on stderr; libraries only from WARNING, so
    that e.g. a first database migration does not fill the terminal."""
    try:
        settings = Configuration.get().settings
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    logs.configure(settings.log_level, settings.log_format)


@click.group(cls=_TopicGroup)
@click.version_option(package_name="flux-orchestrator", prog_name="flux")
@click.option(
    "--api-key",
    metavar="KEY",
    help="API key for the server [default: setting api_key, e.g. FLUX_API_KEY].",
)
def cli(api_key: str | None) -> None:
    """Flux: durable workflow orchestration."""
    if api_key:
        # Above every other source, so every client this command makes sends it.
        try:
            Configuration.get().override(api_key=api_key)
        except ConfigurationError as exc:
            raise click.ClickException(str(exc)) from None
    _configure_logging()


def main() -> None:
    cli(prog_name="flux")


if __name__ == "__main__":
    main()
