"""Generated docs stay in step with the code."""

from __future__ import annotations

from pathlib import Path

from flux.config_reference import render

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_configuration_reference_is_current() -> None:
    written = (DOCS / "configuration.md").read_text()
    assert written == render(), (
        "docs/configuration.md is stale: run `python -m flux.config_reference > "
        "docs/configuration.md`"
    )


def test_every_setting_is_described() -> None:
    undocumented = [line for line in render().splitlines() if line.endswith("|  |")]
    assert undocumented == []


def test_api_reference_is_current() -> None:
    from flux import api_reference

    written = (DOCS / "reference" / "api.md").read_text()
    assert written == api_reference.render(), (
        f"docs/reference/api.md is stale: run `{api_reference.REGENERATE}`"
    )


def test_cli_reference_is_current() -> None:
    from flux import cli_reference

    written = (DOCS / "reference" / "cli.md").read_text()
    assert written == cli_reference.render(), (
        f"docs/reference/cli.md is stale: run `{cli_reference.REGENERATE}`"
    )


def test_api_reference_lists_every_endpoint() -> None:
    from flux import api_reference

    schema = api_reference.openapi_schema()
    page = api_reference.render(schema)
    operations = [
        f"### `{method.upper()} {path}`"
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "head", "post", "put", "patch", "delete")
    ]
    assert operations and [op for op in operations if op not in page] == []
    assert "### `POST /jobs/submit`" in page


def test_cli_reference_lists_every_command_and_option() -> None:
    import click

    from flux import cli_reference
    from flux.cli.main import cli

    page = cli_reference.render()
    missing: list[str] = []

    def walk(command: click.Command, ctx: click.Context) -> None:
        if f"`{ctx.command_path}`" not in page:
            missing.append(ctx.command_path)
        for param in command.params:
            for opt in getattr(param, "opts", []) if isinstance(param, click.Option) else []:
                if opt != "--help" and f"`{opt}`" not in page:
                    missing.append(f"{ctx.command_path} {opt}")
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, click.Context(sub, info_name=name, parent=ctx))

    walk(cli, click.Context(cli, info_name="flux"))
    assert missing == []
    assert "#### `flux job submit`" in page
