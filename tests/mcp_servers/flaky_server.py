"""A stdio MCP server for tests: tools that crash the process, hang, report progress, or change the list.

Run: python flaky_server.py [--name NAME]
"""

from __future__ import annotations

import asyncio
import os
import sys

from mcp.server import MCPServer
from mcp.server.mcpserver import Context

server = MCPServer(sys.argv[sys.argv.index("--name") + 1] if "--name" in sys.argv else "flaky", log_level="ERROR")


@server.tool(structured_output=False)
def echo(text: str) -> str:
    """Say the text back, with the process id."""
    return f"{text} (pid {os.getpid()})"


@server.tool(structured_output=False)
def crash() -> str:
    """Kill this server process mid-call."""
    os._exit(3)


@server.tool(structured_output=False)
async def hang() -> str:
    """Never answer."""
    await asyncio.sleep(3600)
    return "never"


@server.tool(structured_output=False)
async def slow_count(steps: int, ctx: Context) -> str:
    """Count, reporting progress."""
    for step in range(1, steps + 1):
        await ctx.report_progress(step, steps, f"step {step}")
        await asyncio.sleep(0.01)
    return f"counted {steps}"


@server.tool(structured_output=False)
def secret_env() -> str:
    """Report whether a secret from the parent environment leaked in."""
    return f"SECRET={os.environ.get('A2IA_TEST_SECRET', '<unset>')} CONFIGURED={os.environ.get('CONFIGURED', '<unset>')}"


@server.tool(structured_output=False)
async def grow(ctx: Context) -> str:
    """Add a tool named 'grown' and tell the client the list changed."""

    def grown() -> str:
        """A tool that appeared later."""
        return "I grew"

    server.add_tool(grown, structured_output=False)
    await ctx.notify_tools_changed()  # 2026-07-28 clients: subscriptions/listen
    await ctx.session.send_tool_list_changed()  # earlier protocol versions: the notification
    return "added 'grown'"


if __name__ == "__main__":
    if "--hang-at-start" in sys.argv:
        import time

        time.sleep(3600)
    server.run("stdio")
