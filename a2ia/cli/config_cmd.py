"""``a2ia-cli config``: the effective settings and where each one came from."""

from __future__ import annotations

import click

from a2ia.cli.exits import exiting_on_errors
from a2ia.cli.options import takes_settings
from a2ia.cli.wording import for_cli
from a2ia.config import Settings, project_settings_file, resolve_settings, user_settings_file


@click.command("config")
@takes_settings()
@click.pass_context
def config_command(ctx: click.Context) -> None:
    """Print the effective settings and where each one came from."""
    from a2ia.cli.runtime import trust_notice  # the agent's parts: not loaded for --help

    with exiting_on_errors():
        settings, origins = resolve_settings(**(ctx.obj or {}))
    click.echo(f"# files: {user_settings_file()} (user), {project_settings_file(settings.workspace)} (project)")
    notice = trust_notice(settings)
    if notice:
        click.echo(f"# {for_cli(notice.text)}")
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if name == "api_key" and value is not None:
            value = "********"
        elif name == "approval" and value is None:
            value = "(auto where the sandbox works, else ask; a2ia-cli doctor says which)"
        elif name == "sandbox_deny_read" and value is None:
            value = "(credentials: ~/.ssh, ~/.gnupg, cloud and token files, a2ia's config)"
        elif isinstance(value, tuple):
            value = ",".join(value)
        click.echo(f"{name} = {value}    # {origins.get(name, 'default')}")
