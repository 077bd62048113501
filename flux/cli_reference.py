"""The CLI reference (`docs/reference/cli.md`), rendered from the click commands themselves so
that it lists every command and option the `flux` executable accepts:
`python -m flux.cli_reference > docs/reference/cli.md`.

Commands are walked depth first in name order; a default computed at run time (from the
settings) is shown as such rather than evaluated, so the page does not depend on the machine.
"""

from __future__ import annotations

import inspect

import click

from flux.cli.main import cli

REGENERATE = "python -m flux.cli_reference > docs/reference/cli.md"

_HEADER = f"""# CLI reference

Every command of the `flux` executable, with its arguments and options. The guides show them
at work: [the `flux` command](../cli.md) (exit codes, output formats), [script jobs](../jobs.md),
[schedules](../schedules.md). Any command prints the same text with `--help`.

This page is generated from the code by `{REGENERATE}`.
"""


def _cell(text: str | None) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")


def help_text(command: click.Command) -> str:
    """The command's help as written, without click's layout markers (`\\b` keeps the next
    paragraph unwrapped; `\\f` ends what `--help` shows)."""
    text = inspect.cleandoc(command.help or "").split("\f")[0]
    return "\n".join(line for line in text.splitlines() if line.strip() != "\b").strip()


def _type(param: click.Parameter) -> str:
    if isinstance(param.type, click.Choice):
        return " \\| ".join(f"`{choice}`" for choice in param.type.choices)
    if isinstance(param, click.Option) and param.is_flag:
        return "flag"
    return param.type.name.lower()


def _default(param: click.Parameter) -> str:
    # The info dict shows "no default" as None across click versions (8.2+ keep a sentinel
    # in `param.default`).
    default = param.to_info_dict().get("default")
    if callable(default):
        return "computed"
    if default is None or default == () or default is False:
        return ""
    if isinstance(param, click.Option) and param.is_flag and default is True:
        return "on"
    return f"`{default}`"


def _options(command: click.Command) -> list[str]:
    options = [
        param
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and param.name != "help"
    ]
    if not options:
        return []
    rows = ["| option | type | default | description |", "|---|---|---|---|"]
    for option in options:
        names = ", ".join(f"`{name}`" for name in [*option.opts, *option.secondary_opts])
        description = option.help or ""
        if option.required:
            description = f"required. {description}"
        rows.append(f"| {names} | {_type(option)} | {_default(option)} | {_cell(description)} |")
    return [*rows, ""]


def _arguments(command: click.Command) -> list[str]:
    arguments = [param for param in command.params if isinstance(param, click.Argument)]
    if not arguments:
        return []
    rows = ["| argument | type | required |", "|---|---|---|"]
    for argument in arguments:
        many = " (one or more)" if argument.nargs == -1 else ""
        yes = "yes" if argument.required else ""
        rows.append(f"| `{argument.human_readable_name}` | {_type(argument)}{many} | {yes} |")
    return [*rows, ""]


def _section(command: click.Command, ctx: click.Context) -> list[str]:
    usage = command.get_usage(ctx).removeprefix("Usage: ")
    depth = min(ctx.command_path.count(" ") + 2, 6)
    lines = [f"{'#' * depth} `{ctx.command_path}`", ""]
    lines += ["```text", usage, "```", ""]
    if help_text(command):
        lines += [help_text(command), ""]
    return lines + _arguments(command) + _options(command)


def _walk(command: click.Command, ctx: click.Context) -> list[str]:
    lines = _section(command, ctx)
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                lines += _walk(sub, click.Context(sub, info_name=name, parent=ctx))
    return lines


def render() -> str:
    root = click.Context(cli, info_name="flux", terminal_width=100, max_content_width=100)
    lines = [_HEADER, *_walk(cli, root)]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
