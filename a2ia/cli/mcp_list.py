"""``a2ia-cli mcp list``: every MCP server a2ia would use, its status, its tools, prompts,
resources and resource templates (each resource as the ``@server:uri`` that attaches it)."""

from __future__ import annotations

import click

from a2ia.cli.runtime import open_sandbox, open_tools, open_workspace, trust_notice
from a2ia.cli.wording import for_cli
from a2ia.config import Settings
from a2ia.tools.mcp_config import project_config_file, user_config_file

MAX_LISTED = 20  # resources per server: a server may list thousands


async def show_servers(settings: Settings) -> int:
    """Print a line per server and its tools; exit code 1 if any server failed."""
    workspace = open_workspace(settings)
    click.echo(f"config files: {user_config_file()} (user), {project_config_file(workspace.root)} (project)"
               + (f", {settings.mcp_config} (--mcp-config)" if settings.mcp_config else ""))
    notice = trust_notice(settings)
    if notice:
        click.echo(for_cli(notice.text))
    async with open_tools(settings, workspace, open_sandbox(settings, workspace)[0]) as tools:
        offered = {(s.server, s.name) for s in tools.specs()}
        statuses = tools.statuses()
    for status in statuses:
        mark = {"connected": "✓", "failed": "✗"}.get(status.state, "·")
        origin = f"  ({status.source})" if status.source else ""
        click.echo(f"{mark} {status.name} [{status.kind}] {status.state}{origin}")
        if status.error:
            click.echo(f"    {status.error}")
        for tool in status.tools:
            prefixed = f"{status.name}__{tool}"
            click.echo(f"    - {prefixed if (status.name, prefixed) in offered else tool}")
        for usage in status.prompts:
            click.echo(f"    prompt {usage}")
        for uri in status.resources[:MAX_LISTED]:
            click.echo(f"    resource @{status.name}:{uri}")
        if len(status.resources) > MAX_LISTED:
            click.echo(f"    … and {len(status.resources) - MAX_LISTED} more resources (/resources in a session lists them all)")
        for template in status.templates:
            click.echo(f"    template @{status.name}:{template}")
    return 1 if any(s.state == "failed" for s in statuses) else 0
