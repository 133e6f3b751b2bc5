"""A stdio MCP server (the ``mcp`` SDK) whose one tool reports the environment it was given."""

from __future__ import annotations

import json
import os

from mcp.server import MCPServer

server = MCPServer("env-report", log_level="ERROR")


@server.tool(structured_output=False)
def environment() -> str:
    """The server process's environment variables, as JSON."""
    return json.dumps(dict(os.environ))


if __name__ == "__main__":
    server.run("stdio")
