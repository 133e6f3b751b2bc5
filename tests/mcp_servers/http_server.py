"""A streamable-HTTP MCP server for tests (the ``mcp`` SDK). Run: python http_server.py PORT

It checks the Authorization header a client was configured to send.
"""

from __future__ import annotations

import sys

from mcp.server import MCPServer
from mcp.server.mcpserver import Context

server = MCPServer("web-notes", log_level="ERROR")


@server.tool(structured_output=False)
def shout(text: str) -> str:
    """Say the text in capitals."""
    return text.upper()


@server.tool(structured_output=False)
def whoami(ctx: Context) -> str:
    """Report the Authorization header this request came with."""
    request = ctx.request_context.request
    headers = getattr(request, "headers", {}) or {}
    return f"auth={headers.get('authorization', '<none>')}"


if __name__ == "__main__":
    server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
